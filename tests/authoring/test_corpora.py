"""Answer corpora (issue 62): answers written from the statement and the handout alone, by someone who had not read
the checks, each graded through the self-check (the visible tests on the working draw) and the judge (every test on a
graded draw) with its answer cell in place (dgmlab.authoring.corpus). Each entry of tests/corpora/<hw>.json pins its
outcome (full, loses_visible or loses_hidden_only, and the points lost): a change to a check that changes one fails
here, and `python benchmarks/run_corpus.py <hw> --record --pin` re-records it (benchmarks/results/corpora_<hw>.md
has the summary)."""
import pytest

from conftest import ROOT, load_script
from dgmlab.authoring.corpus import Graded, load, outcome

RUNNER = load_script(ROOT / "benchmarks" / "run_corpus.py")
CORPORA = sorted((ROOT / "tests" / "corpora").glob("*.json"))


def test_outcome_says_whether_the_self_check_shows_the_lost_points():
    model = Graded("model answer", "q", "correct", {"t": (2.0, 2.0, 5.0, 5.0)})
    assert outcome(Graded("a", "q", "correct", {"t": (2.0, 2.0, 5.0, 5.0)}), model)["outcome"] == "full"
    assert outcome(Graded("b", "q", "mistake", {"t": (1.0, 2.0, 3.0, 5.0)}), model) == {
        "outcome": "loses_visible", "visible": 1.0, "total": 2.0}
    assert outcome(Graded("c", "q", "mistake", {"t": (2.0, 2.0, 4.5, 5.0)}), model) == {
        "outcome": "loses_hidden_only", "visible": 0.0, "total": 0.5}


@pytest.mark.slow
@pytest.mark.parametrize("path", CORPORA, ids=[p.stem for p in CORPORA])
def test_each_corpus_answer_gets_the_outcome_it_is_pinned_to(path, tmp_path):
    entries = load(path)
    _references, results = RUNNER.grade(path.stem, entries, workdir=tmp_path)
    changed = [f"{e['cell']}: {e['label']} ({e['kind']}): pinned {e.get('expect')}, now {o}"
               for e, _g, o in results if e.get("expect") != o]
    unpinned = any("expect" not in e for e in entries)
    fix = (f"\nafter checking each outcome: python benchmarks/run_corpus.py {path.stem} --pin "
           "(writes them as each entry's expect)") if unpinned else ""
    assert not changed, "\n".join(changed) + fix
