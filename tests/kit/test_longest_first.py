"""make test's schedule (tests/longest_first.py): groups of tests, handed to the two workers longest first."""
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

import longest_first


class FakeItem:
    def __init__(self, nodeid, **params):
        self.nodeid = nodeid
        if params:
            self.callspec = SimpleNamespace(params=params)
        self.marks = []

    def iter_markers(self, name):
        return iter(m for m in self.marks if m.name == name)

    def add_marker(self, mark):
        self.marks.append(mark.mark)


def _config(dist, loadgroup=False):
    return SimpleNamespace(getoption=lambda name, default=None: dist, option=SimpleNamespace(loadgroup=loadgroup))


def _scheduled(items, seconds, monkeypatch, tmp_path):
    record = tmp_path / "group_seconds.json"
    record.write_text(json.dumps(seconds))
    monkeypatch.setattr(longest_first, "SECONDS", record)
    longest_first.pytest_collection_modifyitems(_config("no", loadgroup=True), items)  # as on an xdist worker
    return [item.nodeid for item in items]


def test_a_split_files_tests_are_grouped_by_homework_and_other_files_whole():
    proofs = "tests/authoring/test_proofs.py"
    assert longest_first.SPLIT_BY_HOMEWORK >= {proofs}
    assert longest_first.group_of(FakeItem(f"{proofs}::t[hw4_gans]", proven="hw4_gans")) == f"{proofs}:hw4_gans"
    corpus = "tests/authoring/test_corpora.py"
    assert longest_first.group_of(FakeItem(f"{corpus}::t[hw1_wgan]", path=Path("x/hw1_wgan.json"))) == \
        f"{corpus}:hw1_wgan"
    assert longest_first.group_of(FakeItem(f"{corpus}::test_outcome")) == corpus
    assert longest_first.group_of(FakeItem("tests/test_x.py::t[hw1_wgan]", hw="hw1_wgan")) == "tests/test_x.py"


def test_groups_run_longest_first_and_an_unrecorded_group_before_all(monkeypatch, tmp_path):
    items = [FakeItem("tests/a.py::one"), FakeItem("tests/b.py::one"), FakeItem("tests/a.py::two"),
             FakeItem("tests/new.py::one"), FakeItem("tests/c.py::one")]
    order = _scheduled(items, {"tests/a.py": 5.0, "tests/b.py": 50.0, "tests/c.py": 20.0}, monkeypatch, tmp_path)
    assert order == ["tests/new.py::one", "tests/b.py::one", "tests/c.py::one", "tests/a.py::one", "tests/a.py::two"]
    assert [m.args[0] for m in items[-1].marks] == ["tests/a.py"]


def test_the_order_is_left_alone_without_loadgroup():
    items = [FakeItem("tests/b.py::one"), FakeItem("tests/a.py::one")]
    longest_first.pytest_collection_modifyitems(_config("load"), items)
    assert [item.nodeid for item in items] == ["tests/b.py::one", "tests/a.py::one"] and not items[0].marks


def test_the_recorder_adds_each_reports_seconds_to_its_group_and_keeps_groups_that_did_not_run(monkeypatch,
                                                                                                 tmp_path):
    record = tmp_path / "group_seconds.json"
    record.write_text('{"tests/old.py": 3.0, "tests/a.py": 1.0}')
    monkeypatch.setattr(longest_first, "SECONDS", record)
    recorder = longest_first._Recorder()
    for nodeid, seconds in [("tests/a.py::one@tests/a.py", 2.0), ("tests/a.py::two@tests/a.py", 0.5),
                            ("tests/p.py::t[hw1_wgan]@tests/p.py:hw1_wgan", 4.0)]:
        recorder.pytest_runtest_logreport(SimpleNamespace(nodeid=nodeid, duration=seconds))
    recorder.pytest_sessionfinish(SimpleNamespace(config=SimpleNamespace()))
    assert json.loads(record.read_text()) == {
        "tests/a.py": 2.5, "tests/old.py": 3.0, "tests/p.py:hw1_wgan": 4.0}


@pytest.mark.parametrize("path", sorted(longest_first.SPLIT_BY_HOMEWORK))
def test_each_split_file_exists(path):
    assert (Path(longest_first.__file__).parents[1] / path).is_file(), f"{path}: remove it from SPLIT_BY_HOMEWORK"


def test_a_files_tests_run_on_one_worker_under_loadgroup(tmp_path):
    """Through xdist itself: two workers; two files of four tests each, and a split file's two homeworks of two tests
    each: each file's tests on one worker, and each homework's of the split file (a module-scoped fixture built
    once a homework, not once a test)."""
    import subprocess
    import sys

    here = Path(longest_first.__file__).parent
    (tmp_path / "conftest.py").write_text(f"import sys\nsys.path.insert(0, {str(here)!r})\n"
                                          "import longest_first\nlongest_first.SPLIT_BY_HOMEWORK.add('test_s.py')\n"
                                          "pytest_plugins = ['longest_first']\n")
    log = ("    with open(pathlib.Path(__file__).parent / f'ran_{name}', 'a') as f:\n"
           "        f.write(os.environ['PYTEST_XDIST_WORKER'] + '\\n')\n")
    for name in ("a", "b"):
        (tmp_path / f"test_{name}.py").write_text(
            "import os, pathlib, time\nimport pytest\n\n\n@pytest.mark.parametrize('i', range(4))\n"
            f"def test_t(i):\n    time.sleep(0.2)\n    name = {name!r}\n" + log)
    (tmp_path / "test_s.py").write_text(
        "import os, pathlib, time\nimport pytest\n\n\n"
        "@pytest.fixture(scope='module', params=['hw1_wgan', 'hw2_wgangp'])\ndef hw(request):\n"
        "    name = 'built_' + request.param\n" + log + "    return request.param\n\n\n"
        "def test_one(hw):\n    time.sleep(0.2)\n    name = hw\n" + log + "\n\n"
        "def test_two(hw):\n    time.sleep(0.2)\n    name = hw\n" + log)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist",
                           "loadgroup", str(tmp_path)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    for name, tests in (("a", 4), ("b", 4), ("hw1_wgan", 2), ("hw2_wgangp", 2)):
        workers = (tmp_path / f"ran_{name}").read_text().split()
        assert len(workers) == tests and len(set(workers)) == 1, (name, workers)
    for hw in ("hw1_wgan", "hw2_wgangp"):
        assert len((tmp_path / f"ran_built_{hw}").read_text().split()) == 1, f"{hw}'s fixture built more than once"
