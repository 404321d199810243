"""Answer cells that build code or names at run time are listed by `dgmlab report` (grading/copies/runtime_code.py);
plain code, given code and the kit's own notebooks are not."""
import base64
import csv
import json
import zlib
from pathlib import Path

import pytest

from dgmlab.grading.copies import runtime_code as RC
from dgmlab.grading.layout import Course

ROOT = Path(__file__).resolve().parents[3]
HW = "hw4_gans"


@pytest.mark.parametrize("code, construct", [
    ("exec(text)", "exec"),
    ("eval('1 + 1')", "eval"),
    ("code = compile(text, '<answer>', 'exec')", "compile"),
    ("m = __import__(name)", "__import__"),
    ("import importlib\nm = importlib.import_module(name)", "importlib.import_module"),
    ("import importlib as il\nm = il.import_module(name)", "importlib.import_module"),
    ("import importlib\nm = importlib.__import__(name)", "importlib.__import__"),
    ("from importlib import import_module as im\nm = im(name)", "importlib.import_module"),
    ("f = getattr(module, 'statement_' + 'd_loss')", "getattr with a computed name"),
    ("setattr(model, name, value)", "setattr with a computed name"),
    ("hasattr(model, name)", "hasattr with a computed name"),
    ("delattr(model, name)", "delattr with a computed name"),
    ("f = globals()[name]", "globals() with a computed key"),
    ("f = vars(module)[name]", "vars() with a computed key"),
    ("f = module.__dict__[name]", "__dict__ with a computed key"),
    ("import base64\nt = base64.b64decode(s)", "base64.b64decode"),
    ("from base64 import b64decode as d\nt = d(s)", "base64.b64decode"),
    ("import zlib\nt = zlib.decompress(b)", "zlib.decompress"),
    ("import bz2\nt = bz2.decompress(b)", "bz2.decompress"),
    ("import lzma\nt = lzma.decompress(b)", "lzma.decompress"),
    ("import marshal\ncode = marshal.loads(b)", "marshal.loads"),
    ("import pickle\nf = pickle.loads(b)", "pickle.loads"),
    ("import codecs\nt = codecs.decode(s, 'rot13')", "codecs.decode"),
    ("import binascii\nt = binascii.unhexlify(h)", "binascii.unhexlify"),
    ("t = bytes.fromhex(h)", "bytes.fromhex"),
    ("import types\nf = types.FunctionType(code, globals())", "types.FunctionType"),
    ("import types\ncode = types.CodeType(*parts)", "types.CodeType"),
    ("run = exec\nrun(text)", "exec"),
    ("import builtins\nbuiltins.eval(text)", "eval"),
    ("import builtins\ngetattr(builtins, 'exec')(text)", "exec"),
    ("results = list(map(eval, texts))", "eval"),
    ("import sys\nm = sys.modules[name]", "sys.modules"),
    ("%%capture\nexec(text)", "exec"),
    ("!python -c 'print(1)'", "a shell command"),
    ("%run helper.py", "the magic %run"),
    ("from homeworks.hw4_gans.checks import statement_d_loss", "reaches homeworks"),
    ("from dgmlab.probes import check", "reaches dgmlab.probes"),
])
def test_each_run_time_construct_is_listed(code, construct):
    assert construct in RC.constructs(code)


def test_exec_of_decoded_text_names_the_decoders_not_the_text():
    code = "import base64, zlib\nexec(zlib.decompress(base64.b64decode('eJwLyczPBgAEkgH8')).decode())"
    assert RC.constructs(code) == ["exec of zlib.decompress of base64.b64decode"]


@pytest.mark.parametrize("code", [
    "model.eval()",
    "w = getattr(layer, 'weight')",
    "if hasattr(m, 'bias'):\n    pass",
    "import torch\nfast = torch.compile(model)",  # compiles a function the student wrote: no code from text
    "import re\npattern = re.compile('[a-z]+')",
    "def train(model, eval=False):\n    if eval:\n        model.eval()",
    "def eval(x):\n    return x\neval(3)",
    "text = raw.decode('utf-8')",
    "import torch\nstate = torch.load('generator.pt')",
    "import ast\nx = ast.literal_eval(s)",
    "%matplotlib inline\nx = 1",
    "from dgmlab import metrics\nscore = metrics.frechet_distance",
])
def test_plain_code_is_not_listed(code):
    assert RC.constructs(code) == []


def test_a_parameter_named_like_a_builtin_hides_nothing_outside_its_function():
    assert RC.constructs("def run(eval):\n    return eval(text)\nrun(eval)") == ["eval"]


@pytest.mark.parametrize("code", ["def broken(:\n    pass", "x = (" * 300 + ")" * 300, "%%time\n%%capture\nexec("])
def test_a_cell_that_does_not_parse_is_listed_not_raised(code):
    assert RC.constructs(code) == [RC.NOT_PARSED]


def test_a_construct_is_said_in_the_kits_words_never_the_submissions():
    code = "getattr(m, '<script>alert(1)</script>' + x)\n__import__('<img src=x onerror=alert(1)>' + y)"
    words = RC.constructs(code)
    assert words == ["__import__", "getattr with a computed name"]
    assert not any("<" in w for w in words)


def test_an_import_in_one_cell_names_a_decoder_used_in_another(tmp_path):
    release = [("code", "import torch\n", {}),
               ("code", "# YOUR CODE HERE", {"grade_id": "p1_losses", "solution": True})]
    path = _write(tmp_path / "s.ipynb", [("code", "import torch\nimport base64 as b\n", None),
                                         ("code", "x = b.b64decode(s)", {"grade_id": "p1_losses", "solution": True})])
    assert [(f.where, f.construct) for f in RC.scan_notebook(HW, "ana", path, _cells(release))] == \
        [("cell 2 (p1_losses)", "base64.b64decode")]


def _cells(cells):
    return [(t, s, m) for t, s, m in cells]


def _write(path, cells):
    nb = {"cells": [{"cell_type": t, "source": s, "metadata": {} if m is None else {"nbgrader": m},
                     **({"outputs": [], "execution_count": None} if t == "code" else {})} for t, s, m in cells],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb))
    return path


def _release(course):
    return _write(course.release_notebook(HW), [
        ("markdown", "# GANs", {"grade_id": "text_01", "solution": False, "locked": True}),
        ("code", "import torch\nfrom homeworks.hw4_gans import checks as P  # given: the kit's own\n",
         {"grade_id": "imports", "solution": False, "locked": True}),
        ("code", "def discriminator_loss(r, f):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
         {"grade_id": "p1_losses", "solution": True, "locked": False}),
        ("code", "assert discriminator_loss is not None", {"grade_id": "p1_losses_tests", "grade": True,
                                                          "solution": False, "locked": True}),
        ("code", "def generator_loss(f):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
         {"grade_id": "p1_g_loss", "solution": True, "locked": False}),
    ])


@pytest.fixture
def course(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("")
    course = Course(tmp_path)
    _release(course)
    course.source_notebook(HW).parent.mkdir(parents=True)
    course.source_notebook(HW).write_text(course.release_notebook(HW).read_text())
    return course


def _submission(course, sid, answers, extra=(), meta=lambda gid: {"grade_id": gid, "solution": True}):
    release = json.loads(course.release_notebook(HW).read_text())["cells"]
    cells = []
    for c in release:
        gid = c["metadata"]["nbgrader"]["grade_id"]
        src = answers.get(gid, "".join(c["source"]))
        cells.append((c["cell_type"], src, meta(gid) if gid in answers else c["metadata"]["nbgrader"]))
    cells += list(extra)
    return _write(course.root / "submitted" / sid / HW / f"{HW}.ipynb", cells)


def test_an_encoded_copy_of_a_kit_solution_execd_in_an_answer_cell_is_listed(course):
    solution = ("import torch.nn.functional as F\n\ndef discriminator_loss(r, f):\n"
                "    return F.softplus(-r).mean() + F.softplus(f).mean()\n")
    blob = base64.b64encode(zlib.compress(solution.encode())).decode()
    _submission(course, "ana", {"p1_losses": f"import base64, zlib\nexec(zlib.decompress(base64.b64decode('{blob}')))"})
    _submission(course, "ben", {"p1_losses": solution})
    r = RC.scan_homework(course, HW)
    assert [(f.student, f.where, f.construct) for f in r.findings] == \
        [("ana", "cell 3 (p1_losses)", "exec of zlib.decompress of base64.b64decode")]
    assert "ana: cell 3 (p1_losses): exec of zlib.decompress of base64.b64decode" in RC.format_report([r])


def test_given_code_is_not_read_even_where_it_reaches_the_kit(course):
    _submission(course, "ana", {"p1_losses": "def discriminator_loss(r, f):\n    return (f - r).mean()"})
    assert RC.scan_homework(course, HW).findings == []


def test_the_cell_is_named_by_the_release_notebook_not_the_submissions_metadata(course):
    # the student relabels the first answer as the second one's and strips the second's metadata
    labels = {"p1_losses": {"grade_id": "p1_g_loss", "solution": True}, "p1_g_loss": {}}
    _submission(course, "ana", {"p1_losses": "exec(a)", "p1_g_loss": "eval(b)"}, meta=lambda gid: labels[gid])
    found = {(f.where, f.construct) for f in RC.scan_homework(course, HW).findings}
    assert found == {("cell 3 (p1_losses)", "exec"), ("cell 5 (p1_g_loss)", "eval")}


def test_a_cell_the_student_added_is_listed_by_its_position(course):
    _submission(course, "ana", {}, extra=[("code", "import pickle\nm = pickle.loads(b)", None)])
    assert [(f.where, f.grade_id, f.construct) for f in RC.scan_homework(course, HW).findings] == \
        [("cell 6", None, "pickle.loads")]


def test_a_changed_given_cell_is_read(course):
    release = json.loads(course.release_notebook(HW).read_text())["cells"]
    changed = "".join(release[3]["source"]) + "\nexec(t)"
    _submission(course, "ana", {"p1_losses_tests": changed}, meta=lambda gid: {})
    assert [(f.where, f.construct) for f in RC.scan_homework(course, HW).findings] == [("cell 4", "exec")]


def test_an_unreadable_notebook_is_said_and_skipped(course):
    bad = course.root / "submitted" / "zed" / HW / f"{HW}.ipynb"
    bad.parent.mkdir(parents=True)
    bad.write_text("{not json")
    r = RC.scan_homework(course, HW)
    assert r.findings == [] and r.skipped == [f"zed: {HW}.ipynb not read (JSONDecodeError: not a notebook)"]


def test_the_csv_and_the_page_list_each_construct(course, tmp_path):
    _submission(course, "ana", {"p1_losses": "f = getattr(P, name)"})
    results = RC.scan(course, [HW])
    rows = list(csv.reader(RC.write_csv(results, tmp_path / "r.csv").open(encoding="utf-8")))
    assert rows == [RC.CSV_COLUMNS, [HW, "ana", "3", "p1_losses", "getattr with a computed name"]]
    page = RC.html_section(HW, results)
    assert 'data-stat="construct">getattr with a computed name<' in page and "cell 3 (p1_losses)" in page
    named = RC.html_section(HW, RC.anonymize(results, {"ana": "student-0001"}))
    assert "student-0001" in named and "ana" not in named


def test_dgmlab_report_writes_the_list_and_the_dashboard_shows_it(course, capsys):
    import os
    import sys

    from nbgrader.api import Gradebook

    from dgmlab import cli

    _submission(course, "ana", {"p1_losses": "exec(t)"})
    _submission(course, "ben", {"p1_losses": "def discriminator_loss(r, f):\n    return (f - r).mean()"})
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])  # nbgrader runs alembic by name
    try:
        with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
            gb.add_assignment(HW)
            gb.add_notebook(HW, HW)
            for sid in ("ana", "ben"):
                gb.add_student(sid)
                gb.add_submission(HW, sid)
    finally:
        os.environ["PATH"] = saved
    assert cli.main(["--course", str(course.root), "report", HW, "--no-similarity", "--html", "page.html"]) == 0
    out = capsys.readouterr().out
    assert f"\n{HW}: ana: cell 3 (p1_losses): exec\n" in out and "ben:" not in out
    rows = list(csv.DictReader((course.root / "reports" / "runtime_code.csv").open(encoding="utf-8")))
    assert [(r["student"], r["grade_id"], r["construct"]) for r in rows] == [("ana", "p1_losses", "exec")]
    page = (course.root / "page.html").read_text(encoding="utf-8")
    assert 'data-stat="runtime"><td data-stat="student">ana</td><td data-stat="where">cell 3 (p1_losses)</td>' in page


@pytest.mark.parametrize("hw", sorted(p.name for p in (ROOT / "release").iterdir() if p.is_dir()))
def test_the_kits_own_notebooks_list_nothing(hw):
    course = Course(ROOT)
    notebooks = [course.source_notebook(hw), course.release_notebook(hw),
                 *sorted((ROOT / "examples").glob(f"*/{hw}/{hw}.ipynb"))]
    r = RC.scan_homework(course, hw, {p.relative_to(ROOT).as_posix(): p for p in notebooks})
    assert (r.findings, r.skipped) == ([], [])
    for p in notebooks:  # and no answer cell of theirs, read alone
        for cell in json.loads(p.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code" and cell["metadata"].get("nbgrader", {}).get("solution"):
                assert RC.constructs("".join(cell["source"])) == [], (p, cell["metadata"]["nbgrader"]["grade_id"])
