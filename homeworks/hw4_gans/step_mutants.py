"""hw4_gans's mutants of P4(b)'s optional chain of steps (proofs.py adds them to MUTANTS): the cell is worth no
points and fails (earns 0) naming the first step that does not hold, which the TA reads beside the written
derivation; correct chains by another route hold."""
from __future__ import annotations

from dgmlab.authoring.proofs import Mutant

STEP_MUTANTS = [
    Mutant("p4b_steps", "left as released: no steps given", '''
def derivation_steps():
    """Optional: -> list of sympy expressions in p_data and p_g, C(G) first and -log 4 + 2 JSD last."""
    # COMPLETE
    raise NotImplementedError()
''', earns={"p4b_steps_tests": 0}, says={"p4b_steps_tests": "no steps given"}),
    Mutant("p4b_steps", "empty list: no steps given", edits=[("    m = (p_data + p_g) / 2\n    return [", "    return []\n    return [")],
           earns={"p4b_steps_tests": 0}, says={"p4b_steps_tests": "no steps given"}),
    Mutant("p4b_steps", "sign slip: +log 2 (p_data + p_g) in step 3", edits=[
        ("-sp.log(2) * (p_data + p_g) +", "sp.log(2) * (p_data + p_g) +")], earns={"p4b_steps_tests": 0},
           says={"p4b_steps_tests": "steps 1-2 hold; step 2 -> 3 does not (at p_data = ("}),
    Mutant("p4b_steps", "log 2 dropped from step 2", edits=[
        ("p_data * (sp.log(p_data / m) - sp.log(2)) + p_g * (sp.log(p_g / m) - sp.log(2))",
         "p_data * sp.log(p_data / m) + p_g * sp.log(p_g / m)")], earns={"p4b_steps_tests": 0},
           says={"p4b_steps_tests": "step 1 -> 2 does not (at p_data = ("}),
    Mutant("p4b_steps", "the 1/2 weights of the JSD kept in the last step (-log 4 + JSD)", edits=[
        ("-sp.log(4) + p_data * sp.log(p_data / m) + p_g * sp.log(p_g / m)]",
         "-sp.log(4) + (p_data * sp.log(p_data / m) + p_g * sp.log(p_g / m)) / 2]")], earns={"p4b_steps_tests": 0},
           says={"p4b_steps_tests": "steps 1-3 hold; step 3 -> 4 does not"}),
    Mutant("p4b_steps", "starts at V with D = 1/2, not C(G)", edits=[
        ("return [p_data * sp.log(p_data / (p_data + p_g)) + p_g * sp.log(p_g / (p_data + p_g)),",
         "return [(p_data + p_g) * sp.log(sp.Rational(1, 2)), p_data * sp.log(p_data / (p_data + p_g)) + p_g * sp.log(p_g / (p_data + p_g)),")],
           earns={"p4b_steps_tests": 0}, says={"p4b_steps_tests": "step 1 is not C(G) (at p_data = ("}),
    Mutant("p4b_steps", "a wrong fifth step appended (-log 4 + KL(p_g || p_data))",
           edits=[("-sp.log(4) + p_data * sp.log(p_data / m) + p_g * sp.log(p_g / m)]",
                   "-sp.log(4) + p_data * sp.log(p_data / m) + p_g * sp.log(p_g / m), -sp.log(4) + p_g * sp.log(p_g / p_data)]")],
           earns={"p4b_steps_tests": 0}, says={"p4b_steps_tests": "the last step (5) is not -log 4 + 2 JSD"}),
    Mutant("p4b_steps", "a step in another symbol (m as a Symbol)", edits=[
        ("    m = (p_data + p_g) / 2\n", "    m = sp.Symbol(\"m\", positive=True)\n")], earns={"p4b_steps_tests": 0},
           says={"p4b_steps_tests": "uses m: write every step in p_data and p_g only"}),
    Mutant("p4b_steps", "correct variant: the other route, through log(2 p / (p_data + p_g)) and D* = 1/2 at equality",
           source='''
def derivation_steps():
    s = p_data + p_g
    return [V_point.subs(d, D_star),
            p_data * sp.log(2 * p_data / s) + p_g * sp.log(2 * p_g / s) - sp.log(2) * (p_data + p_g),
            2 * (sp.Rational(1, 2) * p_data * sp.log(2 * p_data / s) + sp.Rational(1, 2) * p_g * sp.log(2 * p_g / s))
            - 2 * sp.log(2)]
''', passes=["p4b_steps_tests"]),
    Mutant("p4b_steps", "correct variant: logs expanded, sympy's simplified forms", source='''
def derivation_steps():
    chain = [sp.simplify(V_point.subs(d, D_star)),
             sp.expand_log(p_data * sp.log(p_data) + p_g * sp.log(p_g) - (p_data + p_g) * sp.log(p_data + p_g),
                           force=True),
             -sp.log(4) + p_data * sp.log(2 * p_data / (p_data + p_g)) + p_g * sp.log(2 * p_g / (p_data + p_g))]
    return chain
''', passes=["p4b_steps_tests"]),
]
