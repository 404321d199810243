"""Every graded cell is proven: the reference passes every test cell, the blank
release stub of each answer fails its tests, realistic wrong answers fail and
correct variants pass (the MUTANTS of tools/notebooks/<hw>.py)."""
import pytest

from conftest import homework_builders
from dgmlab.grading.proofs import prove

BUILDERS = homework_builders()


@pytest.mark.slow
@pytest.mark.parametrize("hw", sorted(BUILDERS))
def test_graded_cells_are_proven(hw):
    module = BUILDERS[hw]
    path = module.build().path
    reference, outcomes = prove(path, getattr(module, "MUTANTS", []))
    failing_reference = {k: msg for k, (failed, msg) in reference.items() if failed}
    assert not failing_reference, f"reference solution fails test cells: {failing_reference}"
    wrong = [o for o in outcomes if not o.ok]
    assert not wrong, "\n".join(
        f"{o.mutant} -> {o.test}: expected {o.expected}, got {o.got} {o.message}" for o in wrong)
