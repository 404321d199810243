"""Platforms as plug-ins (grading/plugins.py, lms/platform.py, autograde/cluster_platforms.py): the commands find LMSs and
clusters only through the entry points ``dgmlab.lms`` and ``dgmlab.clusters``, so a course's own distribution, installed
beside the kit (here a dist-info folder on sys.path), adds one without a file of the kit changing."""
import json
import os
import re
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path

import pytest
import tomllib
from werkzeug import Response

from dgmlab import cli
from dgmlab.grading import plugins
from dgmlab.grading.autograde import cluster_platforms as K
from dgmlab.grading.layout import CourseError
from dgmlab.grading.lms import platform as P

ROOT = Path(__file__).resolve().parents[2]

# a course's own Blackboard plug-in as docs/plugins.md shows it: its settings, the column's maximum, the marks
BLACKBOARD = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8").split("```python\n", 1)[1].split("```", 1)[0]

# a course's own cluster plug-in: here a stand-in client, to see that the coordinator's client comes from it
CLUSTER = '''
from contextlib import contextmanager

from dgmlab.grading.autograde.cluster_platforms import ClusterPlatform


class Lab(ClusterPlatform):
    on_this_machine = True
    opened = []

    @contextmanager
    def client(self, course, hw, scheduler, *, workers=1, flags=None):
        Lab.opened.append((hw, workers, scheduler["distributed.scheduler.worker-saturation"]))
        yield "the lab's client"
'''


def _install(site: Path, monkeypatch, dist: str, module: str, source: str, group: str, entry: str) -> None:
    """Install ``module`` as the distribution ``dist`` declaring ``entry`` in ``group``, as pip would leave it."""
    site.mkdir(exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = site / f"{dist.replace('-', '_')}-0.1.dist-info"  # as pip names it (the name up to the first "-")
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[{group}]\n{entry}\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))


def _entry_points(pyproject: Path) -> dict:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    return {g: v for g, v in project.get("entry-points", {}).items() if g.startswith("dgmlab.")}


def test_only_the_grader_wheel_declares_the_kits_plugins():
    here, grader = _entry_points(ROOT / "pyproject.toml"), _entry_points(ROOT / "grader" / "pyproject.toml")
    assert here == {} and set(grader) == {plugins.LMS, plugins.CLUSTERS}


@pytest.mark.parametrize("group", [plugins.LMS, plugins.CLUSTERS])
def test_a_checkout_reads_the_grader_wheels_plugins_from_its_pyproject(group):
    declared = _entry_points(ROOT / "grader" / "pyproject.toml")[group]
    assert {ep.name: ep.value for ep in plugins.checkout_entries(group)} == declared


def test_a_checkout_finds_the_kits_platforms_with_no_entry_point_installed(monkeypatch):
    monkeypatch.setattr(plugins, "entry_points", lambda group: [])  # an editable student package declares none
    assert P.installed() == ["canvas", "lti", "moodle"] and K.installed() == ["local", "slurm"]
    assert P.platform("lti").title == "LTI 1.3"


def test_without_the_grader_pyproject_a_checkout_adds_no_plugins(tmp_path):
    assert plugins.checkout_entries(plugins.LMS, tmp_path / "grader" / "pyproject.toml") == []


def test_the_kits_platforms_are_found_through_their_entry_points():
    assert set(P.installed()) >= {"canvas", "moodle", "lti"} and set(K.installed()) >= {"local", "slurm"}
    assert P.platform("moodle").name == "moodle" and K.cluster("local").on_this_machine


def test_an_unknown_lms_is_refused_naming_the_installed_ones():
    with pytest.raises(CourseError, match=r"no LMS plug-in named 'brightspace' is installed; installed: canvas, lti, "
                                          r"moodle"):
        P.platform("brightspace")


def test_the_grader_wheel_declaring_the_kits_lms_again_is_one_plugin(tmp_path, monkeypatch):
    _install(tmp_path / "site", monkeypatch, "dgmlab-grader", "unused", "", plugins.LMS,
             "canvas = dgmlab.grading.lms.kit_platforms:Canvas")  # as both wheels installed side by side declare it
    assert P.installed().count("canvas") == 1 and P.platform("canvas").title == "Canvas"


def test_two_distributions_giving_one_name_different_classes_are_refused(tmp_path, monkeypatch):
    _install(tmp_path / "site", monkeypatch, "dgmlab-other", "other_canvas", "", plugins.LMS,
             "canvas = other_canvas:Canvas")
    with pytest.raises(CourseError, match=r"two installed distributions give the LMS plug-in 'canvas' different "
                                          r"classes \(dgmlab.grading.lms.kit_platforms:Canvas, other_canvas:Canvas\)"):
        P.platform("canvas")


def test_a_plugin_that_is_not_an_lms_platform_is_refused_saying_what_to_subclass(tmp_path, monkeypatch):
    _install(tmp_path / "site", monkeypatch, "dgmlab-odd", "odd_lms", "class Odd:\n    pass\n", plugins.LMS,
             "odd = odd_lms:Odd")
    with pytest.raises(CourseError, match=r"'odd' \(odd_lms:Odd\) is not a dgmlab.grading.lms.platform.LmsPlatform"):
        P.platform("odd")


@pytest.mark.parametrize("wanted, says", [
    ("2.0", "is written for dgmlab's plug-in API 2.0; this dgmlab-grader has 1.0"),
    ("1.7", "is written for dgmlab's plug-in API 1.7; this dgmlab-grader has 1.0"),
    ("one", "sets api_version = 'one'"),
])
def test_a_plugin_written_for_another_api_is_refused_saying_which(tmp_path, monkeypatch, wanted, says):
    source = f"from dgmlab.grading import plugin_api as api\n\nclass New(api.LmsPlatform):\n    api_version = {wanted!r}\n" \
             "    def push(self, course, hw, *, data, force=False, feedback=False):\n        pass\n"
    module = "new_lms_" + re.sub(r"\W", "_", wanted)  # one module a case: an imported one stays in sys.modules
    _install(tmp_path / "site", monkeypatch, "dgmlab-new", module, source, plugins.LMS, f"new = {module}:New")
    with pytest.raises(CourseError, match=re.escape(f"the LMS plug-in 'new' ({module}:New) {says}")):
        P.platform("new")


def test_a_plugin_written_for_this_api_or_an_earlier_minor_loads():
    assert plugins.api_mismatch("1.0") == "" and plugins.api_mismatch(None) == ""


def test_the_plugin_api_module_offers_every_name_it_lists():
    from dgmlab.grading import plugin_api

    assert plugin_api.API_VERSION == plugins.API_VERSION
    assert [name for name in plugin_api.__all__ if not hasattr(plugin_api, name)] == []
    assert {"LmsPlatform", "ClusterPlatform", "push_marks", "place", "HandedIn", "platform_ids"} <= set(plugin_api.__all__)


# a course's own LMS whose download (here a JSON of notebooks by student) the kit places by its rules (api.place)
EXPORT = '''
import json
from pathlib import Path

from dgmlab.grading import plugin_api as api


class Export(api.LmsPlatform):
    title = "Brightspace"
    api_version = "1.0"

    def collect(self, course, hw, download, *, times, mappings=None, confirm=None):
        folder, files = Path(download).parent / "export", []
        for sid, text in json.loads(Path(download).read_text(encoding="utf-8")).items():
            (folder / sid).mkdir(parents=True)
            (folder / sid / "my notebook.ipynb").write_text(text, encoding="utf-8")
            files.append(api.HandedIn(sid, "my notebook.ipynb", folder / sid / "my notebook.ipynb"))
        return api.place(course, hw, files, times=times, where=self.title)

    def push(self, course, hw, *, data, force=False, feedback=False):
        raise NotImplementedError
'''


def _course(root: Path, hw: str = "hw1_wgan") -> Path:
    """A course folder with ``hw``'s source notebook (what collect checks the homework against)."""
    (root / "source" / hw).mkdir(parents=True)
    (root / "source" / hw / f"{hw}.ipynb").write_text("{}", encoding="utf-8")
    (root / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    return root


def test_dgmlab_collect_places_a_download_through_a_courses_own_lms_plugin(tmp_path, monkeypatch, capsys):
    _install(tmp_path / "site", monkeypatch, "dgmlab-export", "lms_export", EXPORT, plugins.LMS,
             "brightspace = lms_export:Export")
    course = _course(tmp_path / "course")
    (tmp_path / "export.json").write_text(json.dumps({"ada": "{}", "bob": "{}"}), encoding="utf-8")
    argv = ["--course", str(course), "collect", "hw1_wgan", str(tmp_path / "export.json"), "--lms", "brightspace"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "collected 2 submissions of hw1_wgan (2 files), read as a Brightspace download" in out
    assert "bob: named my notebook.ipynb, the homework asks for hw1_wgan.ipynb" in out  # the kit's hand-in check
    assert (course / "submitted" / "bob" / "hw1_wgan" / "hw1_wgan.ipynb").read_text(encoding="utf-8") == "{}"


def test_the_dgmlab_command_finds_a_plugin_installed_in_its_environment(tmp_path, monkeypatch):
    _install(tmp_path / "site", monkeypatch, "dgmlab-export", "lms_export", EXPORT, plugins.LMS,
             "brightspace = lms_export:Export")
    _course(tmp_path)
    (tmp_path / "export.json").write_text(json.dumps({"ada": "{}"}), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}  # a fresh process: its own sys.path, no test's
    res = subprocess.run([sys.executable, "-m", "dgmlab.cli", "--course", str(tmp_path), "collect", "hw1_wgan",
                          str(tmp_path / "export.json"), "--lms", "brightspace"], env=env, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "collected 1 submissions of hw1_wgan (1 files), read as a Brightspace download" in res.stdout


def test_collect_through_an_lms_that_gives_no_download_exits_2_saying_what_to_collect(tmp_path, capsys):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    assert cli.main(["--course", str(tmp_path), "collect", "hw1_wgan", str(tmp_path / "x.zip"), "--lms", "lti"]) == 2
    assert "LTI 1.3 gives no download that dgmlab collect reads" in capsys.readouterr().err


def test_a_courses_cluster_plugin_gives_the_gradings_client(tmp_path, monkeypatch):
    from dgmlab.grading.autograde.clients import client_for
    from dgmlab.grading.course import _on_this_machine

    _install(tmp_path / "site", monkeypatch, "dgmlab-lab", "lab_cluster", CLUSTER, plugins.CLUSTERS,
             "lab = lab_cluster:Lab")
    with client_for("lab", workers=3, hw="hw1") as client:
        assert client == "the lab's client"
    import lab_cluster

    assert lab_cluster.Lab.opened == [("hw1", 3, 1.0)] and _on_this_machine("lab")
    assert not _on_this_machine("tls://127.0.0.1:8786")  # an address is a scheduler elsewhere, not a name
    with pytest.raises(CourseError, match=r"no cluster plug-in named 'kubernetes' is installed; installed: lab, "
                                          r"local, slurm"):
        _on_this_machine("kubernetes")


@contextmanager
def _blackboard(httpserver, possible=20):
    """A Blackboard gradebook column on 127.0.0.1: its points, each user's score, the PATCHes that set them."""
    scores, sent = {}, []

    def user(request):
        uid = request.path.rsplit("/", 1)[-1]
        if request.method == "PATCH":
            sent.append((uid, request.json))
            scores[uid] = request.json["score"]
        return Response(json.dumps({"score": scores.get(uid)}), content_type="application/json")

    httpserver.expect_request("/columns/c9", method="GET").respond_with_json({"possible": possible})
    httpserver.expect_request(re.compile(r"^/columns/c9/users/\d+$")).respond_with_handler(user)
    yield scores, sent


@pytest.mark.slow  # nbgrader makes a gradebook with alembic
def test_dgmlab_push_sends_marks_through_a_courses_own_lms_plugin(tmp_path, monkeypatch, httpserver, capsys):
    from grading.term.test_late_everywhere import EXPECTED, HW, LMS, _make

    _install(tmp_path / "site", monkeypatch, "dgmlab-blackboard", "dgmlab_blackboard", BLACKBOARD, plugins.LMS,
             "blackboard = dgmlab_blackboard:Blackboard")
    (tmp_path / "course").mkdir()
    course = _make(tmp_path / "course")
    with (course.root / "nbgrader_config.py").open("a", encoding="utf-8") as f:
        f.write(f'c.DgmlabBlackboard.url = "{httpserver.url_for("").rstrip("/")}"\nc.DgmlabLms.platform = "blackboard"\n'
                f'c.DgmlabBlackboard.columns = {{"{HW}": "c9"}}\n')
    with _blackboard(httpserver) as (scores, sent):
        assert cli.main(["--course", str(course.root), "push", HW, "--lms", "blackboard"]) == 0
    assert scores == {LMS[s]: float(m) for s, m in EXPECTED.items()}
    assert "pushed 4 marks of hw9_late to Blackboard" in capsys.readouterr().out
    assert all(body["text"].startswith(f"{HW}: ") for _, body in sent)  # each with its grade summary
    kit = [(ROOT / "pyproject.toml").read_text(), (ROOT / "grader" / "pyproject.toml").read_text()]
    assert not any("blackboard" in text for text in kit)  # found through its own entry point, not the kit's


def test_a_push_to_an_lms_not_installed_exits_2_naming_the_installed_ones(tmp_path, capsys):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    assert cli.main(["--course", str(tmp_path), "push", "hw1_wgan", "--lms", "blackboard"]) == 2
    assert "no LMS plug-in named 'blackboard' is installed; installed: canvas, lti, moodle" in capsys.readouterr().err


# a course's own LMS that fetches the submissions over its API: collect names no download
FETCHES = EXPORT.replace("json.loads(Path(download).read_text(encoding=\"utf-8\"))", "{'ada': '{}'}").replace(
    "Path(download).parent", "Path(course.root)")


def test_collect_with_a_plugin_that_fetches_needs_no_zip_and_without_lms_one_is_asked_for(tmp_path, monkeypatch,
                                                                                           capsys):
    _install(tmp_path / "site", monkeypatch, "dgmlab-fetch", "lms_fetch", FETCHES, plugins.LMS,
             "brightspace = lms_fetch:Export")
    course = _course(tmp_path / "course")
    assert cli.main(["--course", str(course), "collect", "hw1_wgan", "--lms", "brightspace"]) == 0
    assert "collected 1 submissions of hw1_wgan (1 files), read as a Brightspace download" in capsys.readouterr().out
    assert cli.main(["--course", str(course), "collect", "hw1_wgan"]) == 2
    assert "name the zip the LMS's 'download submissions' gave" in capsys.readouterr().err


def test_a_kit_lms_collect_without_its_zip_exits_2_asking_for_it(tmp_path, capsys):
    course = _course(tmp_path / "course")
    assert cli.main(["--course", str(course), "collect", "hw1_wgan", "--lms", "canvas"]) == 2
    assert "name the zip the LMS's 'download submissions' gave" in capsys.readouterr().err


# a course's own LMS that reports a submitter its id map does not match
UNMATCHED = FETCHES.replace("return api.place(course, hw, files, times=times, where=self.title)",
                            "return api.place(course, hw, files, times=times, where=self.title, "
                            "unmatched={'brightspace user 1099 (Stranger)': 'not in lms_ids.csv'})")


def test_a_plugins_unmatched_submitter_is_listed_not_placed_and_collect_exits_1(tmp_path, monkeypatch, capsys):
    _install(tmp_path / "site", monkeypatch, "dgmlab-unmatched", "lms_unmatched", UNMATCHED, plugins.LMS,
             "brightspace = lms_unmatched:Export")
    course = _course(tmp_path / "course")
    assert cli.main(["--course", str(course), "collect", "hw1_wgan", "--lms", "brightspace"]) == 1
    out = capsys.readouterr().out
    assert "NOT PLACED (1)" in out and "brightspace user 1099 (Stranger): not in lms_ids.csv" in out
    assert (course / "submitted" / "ada" / "hw1_wgan" / "hw1_wgan.ipynb").is_file()  # the matched one still placed
