"""The `dgmlab` command: course-instructor tasks and an environment check. Here its arguments (:func:`build_parser`)
and :func:`main`; what each command does is in :mod:`dgmlab.cli_commands`."""
from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import sys
import warnings

from . import __version__
from .cli_commands import (
    cmd_autograde,
    cmd_build,
    cmd_check,
    cmd_collect,
    cmd_demo,
    cmd_examples,
    cmd_grade,
    cmd_gradescope,
    cmd_ids,
    cmd_info,
    cmd_lti,
    cmd_new_homework,
    cmd_overrides,
    cmd_pdf,
    cmd_push,
    cmd_registrar,
    cmd_release,
    cmd_report,
)

NEW_HOMEWORK = """\
Copy the kit's template homework into homeworks/<hw>/: one code question, one derivation graded by exact sympy
comparison, one written answer. A course's own homework (docs/own_homework.md) gets:

  __init__.py        its description (the notebook is intro.py, the q<N>_*.py, then the p<N>_*.py)
  intro.py           title, setup cell, imports
  q1_log_density.py  a torch function and its check() test cell
  q2_gaussian_kl.py  a sympy derivation and its check() test cell
  q3_written.py      a written answer graded by hand
  checks.py          each test cell's CheckSpec and visible tests (released to students with the notebook)
  hidden.py          the hidden tests test_x(v, ref), HIDDEN by test cell (the grader's only: never released)
  proofs.py          MUTANTS (wrong answers and what each earns) and PARTIAL

Next: dgmlab build --record-expected --record-outputs <hw>, then dgmlab release <hw>.
With --kit (docs/authoring.md): checks/ and hidden/ packages instead (EXPECTED in hidden/references.py)."""


STUDENT_COMMANDS = ("check", "pdf", "info")  # what the student package (dgmlab) does; the rest is the grader's
LOG_LEVELS = ("debug", "info", "warning", "error")  # `dgmlab --log-level`: logging's levels, lower-cased
GRADER_ONLY = "the course's own commands (release, autograde, report, ...) come with the grader, dgmlab-grader"


def grader_installed() -> bool:
    """Whether the grader package (dgmlab-grader: ``dgmlab.grading``) is installed beside the student package."""
    return importlib.util.find_spec("dgmlab.grading") is not None


class _Commands:
    """``build_parser``'s subcommands (argparse's ``add_subparsers()`` action): each one's help line is also its
    description (``dgmlab <command> -h`` says what it does), and its name, help line and parser are handed to
    ``on_command`` as it is added (:func:`command_parsers`). ``students_only``: the grader's commands still parse
    (and then say the grader is not installed) but ``dgmlab -h`` does not list them (argparse lists a command only
    when it has a help line)."""

    def __init__(self, subparsers, on_command=None, students_only: bool = False):
        self._subparsers, self._on_command, self._students_only = subparsers, on_command, students_only

    def add_parser(self, name: str, **kwargs) -> argparse.ArgumentParser:
        kwargs = {"description": kwargs.get("help"), **kwargs}
        if self._students_only and name not in STUDENT_COMMANDS:
            kwargs.pop("help", None)
        parser = self._subparsers.add_parser(name, **kwargs)
        if self._on_command is not None:
            self._on_command(name, kwargs.get("help", ""), parser)
        return parser


def command_parsers() -> dict:
    """``{command: (its help line, its parser)}`` in the order ``dgmlab -h`` lists them, from argparse's public API
    (tools/cli_reference.py writes docs/cli.md from them)."""
    found = {}
    build_parser(on_command=lambda name, help_line, parser: found.__setitem__(name, (help_line, parser)))
    return found


def _add_demo(sub) -> None:

    s = sub.add_parser("demo", help="release all homeworks, grade the example submissions, print the grade table")
    s.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="submissions graded at once")
    s.add_argument("--timeout", type=float, default=900, help="seconds allowed per submission")
    s.add_argument("--csv", default="grades.csv", help="where to write the grades CSV")
    s.set_defaults(func=cmd_demo)


def _add_build(sub) -> None:
    s = sub.add_parser("build", help="write source/<hw>/<hw>.ipynb from its source folder homeworks/<hw>/ "
                                     "(authors; docs/authoring.md)")
    s.add_argument("hw", nargs="*", help="homework ids (default: all)")
    mode = s.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if a committed notebook differs from its source")
    mode.add_argument("--record-outputs", action="store_true",
                      help="also run each notebook in fast mode and store the outputs of its checked cells, "
                           "which CI's nbval run then compares exactly")
    s.add_argument("--record-expected", action="store_true",
                   help="first record the values visible tests compare with (ref.<name>), from the grader-only "
                        "EXPECTED of the homework's hidden.py on the visible tests' inputs, into expected.json beside "
                        "its checks.py (released with it; never the references themselves)")
    s.set_defaults(func=cmd_build)


def _add_new_homework(sub) -> None:
    s = sub.add_parser("new-homework", help="copy the template homework (a code question, a derivation, a written "
                                            "answer) into homeworks/<hw>/ (authors; docs/own_homework.md)",
                       formatter_class=argparse.RawDescriptionHelpFormatter, description=NEW_HOMEWORK)
    s.add_argument("hw", help="the new homework's id, e.g. hw6_vae")
    s.add_argument("--kit", action="store_true", help="a kit homework, in a kit checkout; it prints the next steps")
    s.set_defaults(func=cmd_new_homework)


def _add_release(sub) -> None:
    s = sub.add_parser("release", help="generate release/ from source/ (nbgrader generate_assignment)")
    s.add_argument("hw", nargs="*", help="homework ids (default: all)")
    s.add_argument("--check", action="store_true", help="only check that release/ matches source/")
    s.add_argument("--local-only", action="store_true",
                   help="release without an install source (for use on this machine; in Colab the setup cell "
                        "stops and tells students to ask you); without it, an unset install source is an error")
    s.set_defaults(func=cmd_release)


def _add_examples(sub) -> None:
    s = sub.add_parser("examples", help="write the demo's example submissions examples/<student>/<hw>/ from "
                                        "release/, source/ and the builders' mutants (run after release)")
    s.add_argument("hw", nargs="*", help="homework ids (default: all)")
    s.add_argument("--check", action="store_true", help="exit 1 if examples/ is out of date")
    s.set_defaults(func=cmd_examples)


# Each flag's default is its c.DgmlabAutograde setting in nbgrader_config.py (dgmlab.grading.autograde.options), which
# defaults to what the help says
def _add_autograde(sub) -> None:
    s = sub.add_parser("autograde", help="autograde submitted/<student>/<hw>/ and write feedback (defaults: "
                                         "c.DgmlabAutograde in nbgrader_config.py)")
    s.add_argument("hw", help="homework id, e.g. hw1_wgan")
    s.add_argument("--student", action="append", help="grade only this student (repeatable)")
    s.add_argument("--workers", "--jobs", dest="workers", type=int, default=None,
                   help="worker processes of the local Dask cluster, one submission each at a time "
                        "(default: one per CPU core; ignored with --cluster)")
    s.add_argument("--cluster", default=None, metavar="ADDRESS|NAME",
                   help="grade on the Dask cluster whose scheduler is at ADDRESS (tls://host:8786, TLS with "
                        "c.DgmlabDask) instead of a local one, or through the installed cluster plug-in NAME: "
                        "`slurm`, grading workers submitted as SLURM jobs (c.DgmlabSlurm in nbgrader_config.py; "
                        "docs/cluster.md), `local`, or a course's own (docs/plugins.md)")
    s.add_argument("--partition", default=None, help="with --cluster slurm: the partition (default: "
                                                       "c.DgmlabSlurm.partition, else the cluster's default)")
    s.add_argument("--account", default=None, help="with --cluster slurm: the account charged (default: "
                                                     "c.DgmlabSlurm.account)")
    s.add_argument("--slurm-jobs", type=int, default=None, help="with --cluster slurm: the number of jobs, each of "
                                                                  "c.DgmlabSlurm.cores workers (default: "
                                                                  "c.DgmlabSlurm.jobs, 1)")
    s.add_argument("--force", action="store_true", default=None,
                   help="grade again submissions unchanged since their last grading (default: skip them)")
    s.add_argument("--timeout", type=float, default=None, help="seconds allowed per submission (default: 900)")
    s.add_argument("--cell-timeout", type=int, default=None,
                   help="seconds one cell may run before it is interrupted (default: Execute.timeout in nbgrader_config.py)")
    s.add_argument("--no-feedback", dest="feedback", action="store_false", default=None,
                   help="skip feedback (the HTML and the returned notebook)")
    s.add_argument("--sandbox", dest="sandbox", action="store_true", default=None,
                   help="require the bubblewrap sandbox (default: use it where the kernel runs when that machine "
                        "can; when not, warn on this machine, refuse on a cluster's worker)")
    s.add_argument("--no-sandbox", dest="sandbox", action="store_false", help="grade without the sandbox")
    s.add_argument("--memory", type=float, default=None, help="GiB of address space per kernel (sandbox only; "
                                                             "default: 8)")
    s.add_argument("--grade-published", action="store_true", default=None,
                   help="grade weights files that copy the kit's own published ones (default: their cells earn 0; "
                        "use it with --student for a student whose own run made the same network, docs/novelty.md)")
    s.add_argument("--grader", metavar="NAME", default=None,
                   help="who the audit log names for a --force regrade and reopened hand grades (default: "
                        "$DGMLAB_GRADER, else the OS user)")
    s.set_defaults(func=cmd_autograde)


def _add_gradescope(sub) -> None:
    s = sub.add_parser("gradescope", help="write <hw>'s Gradescope autograder zip (setup.sh, run_autograder): each "
                                          "submission graded as dgmlab autograde grades it (docs/instructor_guide.md)")
    s.add_argument("hw", help="homework id, e.g. hw3_flows")
    s.add_argument("--out", default=None, help="the zip (default: gradescope/<hw>_autograder.zip in the course)")
    s.add_argument("--force", action="store_true", help="replace the zip if it exists")
    s.add_argument("--visibility", default="visible", choices=["visible", "after_due_date", "after_published",
                                                                "hidden"],
                   help="when students see each test's score and reasons (Gradescope's visibility; default: visible)")
    s.add_argument("--timeout", type=float, default=None, help="seconds allowed per submission (default: "
                                                               "c.DgmlabAutograde.timeout, 900)")
    s.add_argument("--cell-timeout", type=int, default=None,
                   help="seconds one cell may run (default: Execute.timeout in nbgrader_config.py)")
    s.add_argument("--memory", type=float, default=None, help="GiB of address space for the kernel (default: "
                                                             "c.DgmlabAutograde.memory, 8)")
    s.add_argument("--sandbox", dest="sandbox", action="store_true", default=None,
                   help="grade only where bubblewrap runs in Gradescope's container (default: bubblewrap where it "
                        "runs, else the kernel as an unprivileged user)")
    s.add_argument("--no-sandbox", dest="sandbox", action="store_false",
                   help="grade even where neither wall holds (the kernel as root, reading everything)")
    s.add_argument("--pip", default=None, help="what setup.sh installs with pip instead of the zip's wheels, e.g. "
                                               "a git URL of the course's fork (default: none, the wheels)")
    s.add_argument("--wheels", default=None, metavar="DIR",
                   help="put DIR's dgmlab and dgmlab-grader wheels of this version in the zip (default: build them "
                        "from this checkout); setup.sh installs them by path")
    s.set_defaults(func=cmd_gradescope)


def _add_report(sub) -> None:
    s = sub.add_parser("report", help="export grades.csv, print the grade table; dashboard and LMS exports")
    s.add_argument("hw", nargs="*", help="homework ids (default: all)")
    s.add_argument("--csv", default="grades.csv", help="where nbgrader's grades CSV goes (default: grades.csv)")
    s.add_argument("--html", nargs="?", const="reports/dashboard.html", default=None, metavar="PATH",
                   help="write the instructor's dashboard, one self-contained HTML page "
                        "(default PATH: reports/dashboard.html)")
    s.add_argument("--anonymize", action="store_true",
                   help="dashboard with stable pseudonyms (student-7f3a) instead of student ids and names")
    s.add_argument("--exports", nargs="?", const="reports", default=None, metavar="DIR",
                   help="write canvas.csv and questions.csv into DIR (default: reports)")
    s.add_argument("--canvas-assignment", action="append", metavar="HW=ID",
                   help="the Canvas assignment id of a homework, for canvas.csv's column (repeatable; default: "
                        "c.DgmlabCanvas.assignments in nbgrader_config.py)")
    s.add_argument("--no-similarity", action="store_true",
                   help="skip comparing answers across the class and with the kit (reports/similarity.csv)")
    s.set_defaults(func=cmd_report)


def _add_check(sub) -> None:
    s = sub.add_parser("check", help="run a notebook's visible checks as the autograder does and report per question "
                                     "(exit 1 when one fails or a graded file, written answer, full-mode run or "
                                     "up-to-date PDF is lacking)")
    s.add_argument("notebook", help="path of the saved notebook (.ipynb)")
    s.add_argument("--question", default=None, help="only this question (e.g. Q2) or test cell grade id")
    s.add_argument("--cell-timeout", type=int, default=120, help="seconds one cell may run (the autograder's limit)")
    s.add_argument("--files", default=None, help="the folder of the files the notebook wrote, which graded cells read "
                                                 "(default: the notebook's folder; in Colab, the homework folder on Drive)")
    s.add_argument("--sandbox", dest="sandbox", action="store_true", default=None,
                   help="require the autograder's bubblewrap sandbox (default: use it when available)")
    s.add_argument("--no-sandbox", dest="sandbox", action="store_false", help="run the kernel unsandboxed")
    s.set_defaults(func=cmd_check)


def _add_collect(sub) -> None:
    s = sub.add_parser("collect", help="place an LMS's download zip (Canvas, Moodle) in submitted/<student>/<hw>/ "
                                       "once every entry was read (exit 1 when a file could not be placed; each is "
                                       "listed; exit 2, nothing changed, when the zip is damaged)")
    s.add_argument("hw", help="homework id, e.g. hw5_explicit")
    s.add_argument("zip", nargs="?", default=None,
                   help="the zip the LMS's 'download submissions' gave (none for an --lms plug-in that fetches)")
    s.add_argument("--times", metavar="CSV", default=None,
                   help="submission times: a CSV with the columns student (nbgrader id or LMS user id) and "
                        "submitted_at (ISO; without an offset, in c.DgmlabDeadlines.timezone)")
    s.add_argument("--canvas", action="store_true",
                   help="submission times from Canvas's API (c.DgmlabCanvas; token in CANVAS_API_TOKEN)")
    s.add_argument("--moodle", action="store_true",
                   help="submission times from Moodle's web services (c.DgmlabMoodle; token in MOODLE_TOKEN)")
    s.add_argument("--lms", default=None, metavar="NAME",
                   help="which LMS made the zip: canvas, moodle, or an installed LMS plug-in (docs/plugins.md) "
                        "(default: told from its structure, Moodle's folders per student or Canvas's flat names; "
                        "asked for when it cannot be told). Students are read from that LMS's own fields only. "
                        "Limits per student and per zip: c.DgmlabCollect")
    s.add_argument("--moodle-mappings", metavar="CSV", default=None,
                   help="a Moodle zip's participant ids (the number in its folder names, not the user id): a CSV "
                        "with the columns participant,userid (mod_assign_get_user_mappings). Default: read from "
                        "the course's Moodle when c.DgmlabMoodle names the assignment; without either, Moodle "
                        "only the participant ids the course's id map (lms_ids.csv) records match")
    s.add_argument("--match-names", action="store_true",
                   help="an entry whose ids are no student's may be placed by its name, to the one roster student "
                        "of that name with no id on that LMS, once you confirm each (asked here); the id is then "
                        "recorded in lms_ids.csv")
    s.set_defaults(func=cmd_collect)


def _add_push(sub) -> None:
    s = sub.add_parser("push", help="send each student's final mark and grade summary to the course's LMS "
                                    "(c.DgmlabLms.platform: Canvas, Moodle, LTI 1.3 or a plug-in); marks changed in the LMS "
                                    "since the last push are listed, not overwritten")
    s.add_argument("hw", help="homework id")
    s.add_argument("--force", action="store_true", help="overwrite marks changed in the LMS since the last push")
    for name, what in (("canvas", "Canvas's REST API (c.DgmlabCanvas)"), ("moodle", "Moodle's web services "
                       "(c.DgmlabMoodle)"), ("lti", "LTI 1.3 grade services (c.DgmlabLti)")):
        s.add_argument(f"--{name}", dest="platform", action="store_const", const=name, default=None,
                       help=f"this once, through {what} (default: the one LMS whose assignments name the "
                            "homework, else c.DgmlabLms.platform)")
    s.add_argument("--lms", dest="platform", default=None, metavar="NAME",
                   help="this once, through the installed LMS plug-in NAME (canvas, moodle, lti, or a course's own: "
                        "docs/plugins.md)")
    s.add_argument("--feedback", action="store_true", help="attach each student's own feedback files "
                   "(feedback/<student>/<hw>/*.html, *.pdf) to their submission (Canvas, Moodle)")
    s.set_defaults(func=cmd_push)


def _add_lti(sub) -> None:
    s = sub.add_parser("lti", help="LTI 1.3: `keys` makes the tool's key pair (c.DgmlabLti.private_key_file) and "
                                   "prints the public JWK for the LMS; `roster` records each learner's LTI user id "
                                   "in the course's id map (lms_ids.csv) from the LMS's Names and Role Provisioning "
                                   "Services")
    s.add_argument("action", choices=["keys", "roster"], help="keys: make the key pair if there is none, print its "
                   "public key; roster: record the LTI user ids, matched by SIS id (exit 1 when an id the map has "
                   "differs and is kept)")
    s.add_argument("--force", action="store_true", help="roster: replace an LTI user id the map has that differs")
    s.set_defaults(func=cmd_lti)


def _add_ids(sub) -> None:
    s = sub.add_parser("ids", help="the course's id map, lms_ids.csv: each student's SIS id, LTI, Canvas and Moodle "
                                   "user ids and Moodle participant ids, which collect, push and the exports use")
    s.add_argument("action", choices=["show", "import", "canvas", "moodle"],
                   help="show: print the map; import CSV: merge a CSV of its columns (student,sis,lti,canvas,"
                        "moodle,moodle_participant:<hw>); canvas: the Canvas course's students' user ids "
                        "(c.DgmlabCanvas), matched by SIS id; moodle: the Moodle course's students' user ids, "
                        "matched by ID number, and each assignment's participant ids (c.DgmlabMoodle)")
    s.add_argument("csv", nargs="?", default=None, help="import: the CSV")
    s.add_argument("--force", action="store_true", help="replace an id the map has that differs (listed)")
    s.set_defaults(func=cmd_ids)


def _add_overrides(sub) -> None:
    s = sub.add_parser("overrides", help="read each homework's per-student due dates from Canvas (its assignment "
                                         "overrides; c.DgmlabCanvas) or Moodle (its extensions) into .dgmlab/canvas_overrides/<hw>.json, "
                                         "where every report's due dates find them")
    s.add_argument("hw", nargs="*", help="homework ids (default: each one c.DgmlabCanvas.assignments names, or "
                                         "c.DgmlabMoodle.assignments with --moodle)")
    s.add_argument("--moodle", action="store_true",
                   help="read the students' extensions from Moodle instead (mod_assign_get_user_flags; "
                        "c.DgmlabMoodle, token in MOODLE_TOKEN): each one is that student's due date")
    s.set_defaults(func=cmd_overrides)


def _add_registrar(sub) -> None:
    s = sub.add_parser("registrar", help="write the registrar's CSV: per student the course total (c.DgmlabTerm: "
                                         "weights, letters, excused), the letter and each homework's mark")
    s.add_argument("--out", default="registrar.csv", help="where the CSV goes (default: registrar.csv)")
    s.set_defaults(func=cmd_registrar)


def _add_pdf(sub) -> None:
    s = sub.add_parser("pdf", help="PDFs of a notebook, whole and one per question, made offline (Debian's chromium "
                                   "and libjs-mathjax): of your notebook, or of each collected submission of a homework")
    s.add_argument("target", help="a notebook (.ipynb): <out>/<hw>.pdf and <out>/<hw>_<Q>.pdf; or a homework id: the "
                                  "same for each submitted/<student>/<hw>/<hw>.ipynb in <out>/<hw>/<student>/")
    s.add_argument("--out", default=None, help="folder for the PDFs (default: pdf/ beside the notebook; for a "
                                               "homework, reports/pdf)")
    s.add_argument("--student", action="append", help="with a homework id: only this student (repeatable)")
    s.add_argument("--name", default=None, help="with your notebook: your name, printed atop every page (a "
                                                "homework's PDFs are headed by each student's id)")
    s.add_argument("--no-sandbox", dest="sandbox", action="store_false", default=None,
                   help="print without bubblewrap's sandbox (it says so loudly), where Chromium cannot start in it")
    s.set_defaults(func=cmd_pdf)


def _add_grade(sub) -> None:
    s = sub.add_parser("grade", help="grade the written answers by question with a rubric, in the browser (a "
                                     "server on 127.0.0.1; scores and comments go to nbgrader's gradebook)")
    s.add_argument("hw", help="homework id")
    s.add_argument("--question", default=None, help="open this written cell's page (its grade id, e.g. q2_written); "
                                                    "with --log or --requests, only its lines")
    s.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    s.add_argument("--no-browser", action="store_true", help="print the address only")
    s.add_argument("--names", action="store_true",
                   help="show each student's id on the pages (default: the pseudonym the anonymized dashboard gives)")
    table = s.add_mutually_exclusive_group()
    table.add_argument("--export", metavar="CSV", default=None,
                       help="instead of the browser: write every student's rubric items and note per written "
                            "question to CSV (and the items' legend to CSV's .items.csv) to fill in offline")
    table.add_argument("--apply", metavar="CSV", default=None,
                       help="instead of the browser: apply such a table (columns student,question,items,note; "
                            "items by id, space-separated) as the browser would; all checked before anything is "
                            "written")
    s.add_argument("--force", action="store_true", help="with --apply: change marks already given")
    s.add_argument("--grader", metavar="NAME", default=None,
                   help="who the audit log names for these changes (default: $DGMLAB_GRADER, else the OS user)")
    table.add_argument("--log", action="store_true",
                       help="print the homework's audit log (rubrics/<hw>.log.jsonl; --question, --student filter "
                            "it) and whether its hash chain holds (exit 1 when not)")
    s.add_argument("--student", default=None, help="with --log: only this student's lines")
    table.add_argument("--requests", action="store_true",
                       help="list the regrade requests (each regrade.md handed in entered first) and their answers")
    table.add_argument("--request", nargs=2, metavar=("STUDENT", "QUESTION"), default=None,
                       help="enter a student's regrade request about a question (its grade id); with --text")
    s.add_argument("--text", default=None, help="with --request: what the student asks")
    table.add_argument("--answer-request", nargs=2, metavar=("STUDENT", "QUESTION"), default=None,
                       help="answer a student's open regrade requests about a question; with --decision and "
                            "--reason (the student reads it in their feedback and the LMS with the next push)")
    s.add_argument("--decision", choices=("kept", "changed"), default=None, help="with --answer-request")
    table.add_argument("--looked", nargs=2, metavar=("STUDENT", "CELL"), default=None,
                       help="score a trained result that needs a look (dgmlab report lists them); with "
                            "--points and --reason")
    s.add_argument("--points", type=float, default=None, help="with --looked")
    s.add_argument("--reason", default=None, help="with --answer-request or --looked: why, for the student")
    s.set_defaults(func=cmd_grade)


def _add_info(sub) -> None:
    s = sub.add_parser("info", help="print mode, device and data root")
    s.set_defaults(func=cmd_info)


COMMAND_PARSERS = (  # each command adds its own parser, in the order `dgmlab -h` lists them
    _add_demo, _add_build, _add_new_homework, _add_release, _add_examples, _add_autograde, _add_gradescope,
    _add_report, _add_check, _add_collect, _add_push, _add_lti, _add_ids, _add_overrides, _add_registrar, _add_pdf,
    _add_grade, _add_info,
)


def build_parser(on_command=None) -> argparse.ArgumentParser:
    """The parser of ``dgmlab``; ``on_command(name, help, parser)``, if given, is called for each command."""
    students_only = on_command is None and not grader_installed()  # the reference (docs/cli.md) lists them all
    if students_only:
        p = argparse.ArgumentParser(prog="dgmlab", description="Deep Generative Models course kit: check a homework "
                                    "notebook as it will be graded, print it to PDF.", epilog=GRADER_ONLY + ".")
    else:
        p = argparse.ArgumentParser(prog="dgmlab", description="Deep Generative Models course kit: release, "
                                    "autograde and report on nbgrader homeworks. Run from the course directory "
                                    "(repository root).")
    p.add_argument("--version", action="version", version=f"dgmlab {__version__}")
    p.add_argument("--course", default=".", help="course directory holding nbgrader_config.py (default: .)")
    p.add_argument("--log-level", type=str.lower, choices=LOG_LEVELS, default="info", metavar="LEVEL",
                   help="messages shown from LEVEL up: debug, info (default), warning, error; debug adds "
                        "each submission's timings")
    sub = _Commands(p.add_subparsers(dest="command", required=True, metavar="COMMAND"), on_command, students_only)
    for add in COMMAND_PARSERS:
        add(sub)
    return p


class _Stderr(logging.StreamHandler):
    """A handler writing to ``sys.stderr`` as it is when a message comes (a redirected or captured stream too)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _):
        pass


def log_to_stderr(level: str = "info") -> None:
    """The grader's messages (``logging``, each module's ``log``, under ``dgmlab``) to the terminal, as ``print``
    wrote them: the message alone on stderr, ``level`` (one of :data:`LOG_LEVELS`) and up (at ``info``, the SLURM
    jobs' progress too). The handler is added once a process; the level is the last one asked for."""
    log = logging.getLogger("dgmlab")
    if not any(isinstance(h, _Stderr) for h in log.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    log.setLevel(level.upper())
    log.propagate = False  # said once, whatever a library does to the root logger


def main(argv=None) -> int:
    # nbgrader 0.9.6's gradebook warns on every submission under SQLAlchemy 2 (a cascade it does not use):
    # noise for an instructor, not a problem; every other warning still shows
    warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session")
    args = build_parser().parse_args(argv)
    log_to_stderr(args.log_level)
    try:
        return args.func(args)
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("dgmlab.grading"):
            raise
        print(f"dgmlab: error: `dgmlab {args.command}` is the grader's, and the grader (dgmlab-grader) is not "
              "installed here: a student's environment has only the student package. Instructors install both "
              "from the course kit's checkout (`make venv`, or `pip install . ./grader`)", file=sys.stderr)
        return 2
    except Exception as exc:
        from .data import DataUnavailableError

        known = (DataUnavailableError,)
        try:
            from .grading.course import CourseError
        except ImportError:  # a student's environment: the student package only
            pass
        else:
            known += (CourseError,)
        try:
            from .authoring.build import BuildError
        except ImportError:  # installed from the wheel, which has no dgmlab.authoring
            pass
        else:
            known += (BuildError,)
        if isinstance(exc, known):
            print(f"dgmlab: error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    raise SystemExit(main())
