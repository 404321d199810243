"""Every graded cell is proven: the reference passes every test cell, the blank release stub of
each answer fails its tests, realistic wrong answers fail and correct variants pass (the MUTANTS
of homeworks/<hw>/proofs.py). Every test cell is a check() cell, judged as the autograder judges
it: the reference earns all, a blank 0, a mutant with earns= exactly that. A builder's PROOF_ARTIFACTS ({file: writer(folder)}) are written
next to a copy of the notebook first, for cells that grade files a student saves."""
import shutil

import pytest

from conftest import homework_builders
from dgmlab.authoring.proofs import prove

BUILDERS = homework_builders()


@pytest.mark.slow
@pytest.mark.parametrize("hw", sorted(BUILDERS))
def test_graded_cells_are_proven(hw, tmp_path):
    module = BUILDERS[hw]
    source = module.build().path
    folder = tmp_path / hw
    shutil.copytree(source.parent, folder, ignore=shutil.ignore_patterns("figures", "*.pt", ".ipynb_checkpoints"))
    for write in getattr(module, "PROOF_ARTIFACTS", {}).values():
        write(folder)
    reference, outcomes = prove(folder / source.name, getattr(module, "MUTANTS", []))
    failing_reference = {k: msg for k, (failed, msg) in reference.items() if failed}
    assert not failing_reference, f"reference solution fails test cells: {failing_reference}"
    wrong = [o for o in outcomes if not o.ok]
    assert not wrong, "\n".join(
        f"{o.mutant} -> {o.test}: expected {o.expected}, got {o.got} {o.message}" for o in wrong)
