"""Every graded cell is proven: the reference passes every test cell, the blank release stub of
each answer fails its tests, realistic wrong answers fail and correct variants pass (the MUTANTS
of homeworks/<hw>/proofs.py). Every test cell is a check() cell, judged as the autograder judges
it: the reference earns all, a blank 0, a mutant with earns= exactly that. A builder's PROOF_ARTIFACTS ({file: writer(folder)}) are written
next to a copy of the notebook first, for cells that grade files a student saves.

Every hint those wrong answers get (each failing test's line, as the student reads it) is one a student can act
on: tests/hints.py's rules, but for the hints tests/authoring/known_hints.py lists."""
import shutil

import pytest

from authoring.known_hints import KNOWN
from conftest import homework_builders
from dgmlab.authoring.proofs import prove
from hints import leaks

BUILDERS = homework_builders()


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def proven(request, tmp_path_factory):
    """``(hw, reference results, outcomes)`` of the homework's proofs, run once for the tests below."""
    hw = request.param
    module = BUILDERS[hw]
    source = module.build().path
    folder = tmp_path_factory.mktemp("proofs") / hw
    shutil.copytree(source.parent, folder, ignore=shutil.ignore_patterns("figures", "*.pt", ".ipynb_checkpoints"))
    for write in getattr(module, "PROOF_ARTIFACTS", {}).values():
        write(folder)
    reference, outcomes = prove(folder / source.name, getattr(module, "MUTANTS", []))
    return hw, reference, outcomes


@pytest.mark.slow
def test_graded_cells_are_proven(proven):
    hw, reference, outcomes = proven
    failing_reference = {k: msg for k, (failed, msg) in reference.items() if failed}
    assert not failing_reference, f"reference solution fails test cells: {failing_reference}"
    wrong = [o for o in outcomes if not o.ok]
    assert not wrong, "\n".join(
        f"{o.mutant} -> {o.test}: expected {o.expected}, got {o.got} {o.message}" for o in wrong)


@pytest.mark.slow
def test_every_hint_the_proofs_produce_speaks_the_homeworks_words(proven):
    hw, _, outcomes = proven
    known = [text for text, _why in KNOWN.get(hw, ())]
    hints = {hint for o in outcomes for hint in o.hints}
    assert hints, "the proofs produced no hint to check"
    bad = {hint: found for hint in hints if (found := leaks(hint)) and not any(k in hint for k in known)}
    assert not bad, "\n".join(f"{hint}\n    -> {'; '.join(found)}" for hint, found in sorted(bad.items()))
