"""hw5_explicit's generated mutants that change nothing a grade should notice, each with the reason (proofs.py
re-exports EQUIVALENT_MUTANTS; benchmarks/mutation_kill_rates.py and docs/mutation.md read it)."""

# Generated mutants (benchmarks/mutation_kill_rates.py, docs/mutation.md) that survive because they change
# nothing a grade should notice, each with the reason; the kill rate leaves them out.
EQUIVALENT_MUTANTS = {
    "q3_divergences": {
        "L5 delete: `a, b = (sp.sympify(a), sp.sympify(b))` deleted":
            "sympify only converts: for the documented inputs (sympy numbers or symbols; Python floats too) every "
            "operation below already gives the same sympy expression",
        "L13 delete: `a, b = (sp.sympify(a), sp.sympify(b))` deleted":
            "the same in js_bernoulli: m = (a + b) / 2 and kl_bernoulli give the same expression without it",
    },
    "q3_theta_star": {
        "L7 constant: `1e-06` -> `2e-06` (1e-06 -> 2e-06)":
            "a search bound of 2e-6 instead of 1e-6 (either end): every minimiser graded (0.3, and b in [0.175, "
            "0.825]) is far inside both",
        "L7 arith: `1 - 1e-06` -> `1 + 1e-06` (- -> +)":
            "the bounded search only evaluates inside the bracket, where each graded divergence is convex with its "
            "one minimum; the changed end is never evaluated",
        "L7 constant: `1e-10` -> `2e-10` (1e-10 -> 2e-10)": "a tolerance of 2e-10 still finds each minimiser far "
                                                            "within 1e-4",
    },
    "p1_inpaint": {
        "L18 delete: `if not hidden.any(): ...` deleted":
            "skipping positions where every image is visible only saves forward passes: torch.where keeps "
            "visible pixels anyway",
        "L19 delete: `continue` deleted": "the same skip, undone: torch.where keeps visible pixels anyway",
        "L14 sign: `-2` -> `2`": "x.shape[2:] and x.shape[-2:] are both (H, W) for the documented (N, 1, H, W) input",
    },
    "p2_coupling": {
        "L27 arith: `1 - m` -> `1 + m` (- -> +)":
            "t is used only through (1 - m) * (... + t), so its masked coordinates never reach z",
        "L35 arith: `1 - m` -> `1 + m` (- -> +)":
            "in the inverse, s is used only through (1 - m) * ... * exp(-s), so its masked coordinates never "
            "reach x (tanh keeps exp(-s) finite)",
        "L36 arith: `1 - m` -> `1 + m` (- -> +)": "the same for t in the inverse",
    },
}
