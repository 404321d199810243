"""The `dgmlab` command: course-instructor tasks and an environment check."""
from __future__ import annotations

import argparse
import logging
import os
import sys

from . import __version__


def _course(args):
    from .grading.course import Course

    return Course(args.course)


def cmd_info(args) -> int:
    from . import data, runtime

    print(runtime.describe())
    print(f"data root: {data.data_root()}  (set {data.DATA_ENV} to change)")
    return 0


def cmd_demo(args) -> int:
    from .grading.demo import run_demo

    return run_demo(args.course, jobs=args.jobs, timeout=args.timeout, csv=args.csv)


def _authoring(module: str):
    """``dgmlab.authoring.<module>``, which builds the kit from its repository and is not in the wheel."""
    import importlib

    try:
        return importlib.import_module(f"dgmlab.authoring.{module}")
    except ModuleNotFoundError as exc:
        if exc.name not in ("dgmlab.authoring", f"dgmlab.authoring.{module}"):
            raise
        print("dgmlab: error: building homeworks needs a checkout of the course kit (its homeworks/ folder and "
              "dgmlab.authoring are not in the wheel): run this in the repository after `make venv`, which "
              "installs dgmlab from it", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_build(args) -> int:
    return _authoring("build").build(_course(args).root, args.hw, check=args.check, record=args.record_outputs)


def cmd_new_homework(args) -> int:
    template = _authoring("template")
    try:
        folder = template.new_homework(_course(args).root, args.hw)
    except template.BuildError as exc:
        print(f"dgmlab: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {folder}: a template homework (docs/own_homework.md); next: dgmlab build {args.hw}")
    return 0


def cmd_examples(args) -> int:
    return _authoring("examples").write_examples(_course(args).root, args.hw, check=args.check)


def cmd_release(args) -> int:
    from .grading import course as C

    course = _course(args)
    local_only = args.local_only or C.release_is_local_only(course)
    if args.check:
        stale = C.release_differences(course, args.hw, local_only=local_only)
        if stale:
            how = "dgmlab release --local-only" if local_only and not args.local_only else "dgmlab release"
            print(f"release/ is out of date for {', '.join(stale)}: run `{how}`", file=sys.stderr)
            return 1
        print("release/ matches source/" + (" (as a local-only release)" if local_only else ""))
        if local_only and not args.local_only:
            print("note: nbgrader_config.py sets no usable install source, so these notebooks cannot install "
                  "dgmlab in Colab; see docs/publishing.md before handing them out", file=sys.stderr)
        return 0
    for res in C.release(course, args.hw, local_only=args.local_only):
        print(f"released {res.args[1]} -> release/{res.args[1]}/ ({res.seconds:.1f} s)")
    if args.local_only:
        print("local-only release: in Colab the setup cells stop and tell students to ask you for dgmlab; "
              "set an install source before handing them out to Colab users (docs/publishing.md)")
    return 0


def cmd_autograde(args) -> int:
    from tqdm.auto import tqdm

    from .grading import course as C
    from .grading.autograde import cluster as K
    from .grading.autograde.options import autograde_options
    from .grading.inert import terminal

    course = _course(args)
    # nbgrader_config.py's c.DgmlabAutograde settings, each flag given put over its setting
    opts = autograde_options(course, workers=args.workers, cluster=args.cluster, force=args.force,
                             timeout=args.timeout, feedback=args.feedback, sandbox=args.sandbox, memory=args.memory,
                             grade_published=args.grade_published)
    given = [f for f, v in (("--partition", args.partition), ("--account", args.account),
                            ("--slurm-jobs", args.slurm_jobs)) if v is not None]
    if given and opts.cluster != "slurm":
        print(f"dgmlab: error: {', '.join(given)} apply to --cluster slurm", file=sys.stderr)
        return 2
    total = len(args.student) if args.student else len(course.submitted(args.hw))
    bar = tqdm(total=total, unit="submission", desc=f"autograde {args.hw}", disable=total == 0)
    counts_so_far = {}

    def show(r):  # the record (outcome, reason, timings for `dgmlab report --html`) is already written
        label = "unchanged" if r.skipped else r.status
        counts_so_far[label] = counts_so_far.get(label, 0) + 1
        bar.set_postfix({k: v for k, v in sorted(counts_so_far.items())}, refresh=False)
        bar.update(1)
        if not r.skipped:
            bar.write(terminal(f"{r.hw} / {r.student}: {r.status} in {r.seconds:.0f} s"
                               + (f" ({r.reason})" if r.reason else "")))

    from .grading.sandbox import Limits

    limits = Limits(memory=int(opts.memory * 1024 ** 3))
    workers = opts.workers if opts.workers is not None else (os.cpu_count() or 1)
    results = C.autograde(course, args.hw, args.student, timeout=opts.timeout, feedback=opts.feedback,
                          jobs=workers, progress=show, sandbox=opts.sandbox, limits=limits,
                          cell_timeout=args.cell_timeout, cluster=opts.cluster or None, force=opts.force,
                          refuse_published=not opts.grade_published,
                          slurm={"partition": args.partition, "account": args.account, "jobs": args.slurm_jobs})
    bar.close()
    counts = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    skipped = sum(r.skipped for r in results)
    print("summary: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
          + (f" ({skipped} unchanged since their last grading, not graded again; --force regrades)" if skipped else ""))
    for r in results:
        if r.status != "graded":
            print(terminal(f"  {r.student}: {r.status}: {r.reason}"))
    table = K.format_summary(K.phase_summary(results))
    if table:
        print("\nseconds per grading, by phase (kept in .dgmlab/grading/<hw>/<student>.json):\n" + table)
    if (course.root / "gradebook.db").exists():
        from .grading.report import report as R

        graded = sorted({r.student for r in results if r.status == "graded"})
        rows = R.grades(course, students=graded, hws=[args.hw]) if graded else []
        if rows:  # the final mark, or pending while an answer is still to grade by hand (dgmlab report's)
            print("\nmarks (final, or pending until graded by hand):\n" + R.table(rows))
    return 0 if all(r.status == "graded" for r in results) else 1


def cmd_gradescope(args) -> int:
    from pathlib import Path

    from .grading import course as C
    from .grading.autograde.options import autograde_options
    from .grading.gradescope.bundle import write_autograder

    course = _course(args)
    opts = autograde_options(course, timeout=args.timeout, sandbox=args.sandbox, memory=args.memory)
    out = Path(args.out) if args.out else course.root / "gradescope" / f"{args.hw}_autograder.zip"
    try:
        path = write_autograder(course, args.hw, out, timeout=opts.timeout, memory=int(opts.memory * 1024 ** 3),
                                sandbox=opts.sandbox, cell_timeout=args.cell_timeout, visibility=args.visibility,
                                pip=args.pip, wheels=Path(args.wheels) if args.wheels else None, force=args.force,
                                refuse_published=not opts.grade_published)
    except C.CourseError as exc:
        print(f"dgmlab gradescope: error: {exc}", file=sys.stderr)
        return 2
    print(f"{path} ({path.stat().st_size / 1024:.0f} KiB): upload it as the assignment's autograder "
          "(Configure Autograder > Zip file upload); docs/instructor_guide.md, \"Gradescope\"")
    return 0


def cmd_report(args) -> int:
    from .grading.report import report as R

    if args.anonymize and not args.html:
        print("dgmlab: error: --anonymize applies to the dashboard: add --html", file=sys.stderr)
        return 2
    course = _course(args)
    hws = course.check_homeworks(args.hw) if args.hw else None
    path = R.export_csv(course, args.csv)
    print(R.table(R.grades(course, hws=hws)))
    print(f"\ngrades CSV (nbgrader): {path}")
    similar = None
    if not args.no_similarity:
        from .grading.copies import similarity as SIM

        similar = SIM.compare(course, hws or course.homeworks())
        where = SIM.write_csv(similar, course.root / "reports" / "similarity.csv")
        lines = SIM.format_report(similar)
        print(f"\nanswers alike a classmate's or the kit's (a reason to look; docs/similarity.md): {where}"
              + (f"\n{lines}" if lines else "\nnone"))
    from .grading.copies import runtime_code as RC

    runtime = RC.scan(course, hws or course.homeworks())  # read by the parser, never run: cheap, always done
    where = RC.write_csv(runtime, course.root / "reports" / "runtime_code.csv")
    lines = RC.format_report(runtime)
    print(f"\nanswer cells that build code or names at run time (a reason to look; docs/similarity.md): {where}"
          + (f"\n{lines}" if lines else "\nnone"))
    from .grading.lms import hand_in_names as HN

    for line in HN.report_lines(course, hws or course.homeworks()):  # as dgmlab collect checked them
        print(line)
    from .grading.autograde.nbgrader_run import run_feedback
    from .grading.inert import terminal
    from .grading.report import analysis as A
    from .grading.report import current_feedback as CF
    from .grading.report import grade_summary as GS

    renewed = CF.renew(course, hws or course.homeworks(), run_feedback)  # feedback older than the hand grades
    for line in renewed.lines():
        print(line, file=sys.stderr if line.startswith("feedback of") else sys.stdout)
    data = A.collect(course, hws)  # final marks: auto + hand points, the late policy applied now
    for problem in data.problems:
        print(terminal(f"roster: {problem}"), file=sys.stderr)
    n = len(GS.write_summaries(course, data))
    print(f"grade summaries (final mark, late penalty and why): feedback/<student>/<hw>/{GS.FILE}.html ({n})")
    status = 0
    if args.exports:
        from .grading.layout import CourseError
        from .grading.lms import lms
        from .grading.report import exports as X

        folder = course.root / args.exports
        ids = dict(lms.settings(course).assignments)
        for given in args.canvas_assignment or []:
            hw, _, aid = given.partition("=")
            ids[hw.strip()] = aid.strip()
        try:
            from .grading.term.term_rules import term_rules

            excused = term_rules(course).is_excused
            print(f"Canvas import CSV:     {X.canvas_csv(data, folder / 'canvas.csv', ids, excused)}")
        except X.CanvasColumnsLeftOut as exc:
            print(f"Canvas import CSV:     {exc.path} (without {', '.join(exc.left_out)})")
            print(f"dgmlab report: Canvas import CSV: {exc}", file=sys.stderr)
            status = 1
        except CourseError as exc:
            print(f"dgmlab report: Canvas import CSV not written: {exc}", file=sys.stderr)
            status = 1
        print(f"per-question CSV:      {X.long_csv(data, folder / 'questions.csv')}")
        written = X.gradescope_dir(data, folder / "gradescope")
        n = sum(p.name == "results.json" for p in written)
        print(f"Gradescope results:    {folder / 'gradescope'}/<hw>/<student>/results.json ({n} submissions"
              + (f"; {len(written) - n} without a final mark: {X.PENDING_FILE} says why" if len(written) > n else "")
              + ")")
    if args.html:
        from .grading.copies import shared_weights as SW
        from .grading.report import dashboard as D

        shared = SW.compare(course, data.hws)
        if any(f.pairs or f.published for f in shared):
            print("\nweights shared between students, or taken from the kit's published files (a reason to look; "
                  "docs/novelty.md):\n" + SW.format_report(shared))
        html_path, _ = D.write(course, args.html, hws, anonymize=args.anonymize, shared=shared,
                               similar=similar if similar is not None else [], runtime=runtime)
        print(f"dashboard ({'pseudonymized' if args.anonymize else 'INSTRUCTOR ONLY'}): {html_path}")
    return status


def cmd_check(args) -> int:
    from .selfcheck import check_notebook, format_report

    try:
        report = check_notebook(args.notebook, timeout=args.cell_timeout, sandbox=args.sandbox, files=args.files)
    except (FileNotFoundError, ValueError) as exc:
        print(f"dgmlab check: error: {exc}", file=sys.stderr)
        return 2
    print(format_report(report, args.question))
    cells = [c for c in report.cells if args.question is None or c.question.lower().startswith(args.question.lower())
             or c.grade_id.startswith(args.question)]
    return 0 if all(c.ok for c in cells) else 1


def cmd_collect(args) -> int:
    from .grading.lms import intake as I
    from .grading.term.deadlines import deadlines

    course = _course(args)
    times = {}
    if args.canvas:
        from .grading.lms import lms

        times.update(lms.submission_times(course, args.hw))
    if args.times:  # a CSV's times go over Canvas's
        times.update(I.read_times(args.times, deadlines(course).tz))
    mappings = I.read_moodle_mappings(args.moodle_mappings) if args.moodle_mappings else None
    got = I.collect(course, args.hw, args.zip, times=times, lms=args.lms, mappings=mappings)
    for line in got.lines():
        print(line)
    return 1 if got.unplaced else 0


def cmd_push(args) -> int:
    from .grading.lms import lms_config

    got = lms_config.push(_course(args), args.hw, platform=args.platform, force=args.force, feedback=args.feedback)
    for line in got.lines(force=args.force):
        print(line)
    return 1 if (got.conflicts and not args.force) or got.skipped else 0


def cmd_lti(args) -> int:
    import json

    from .grading.lms import lti

    course = _course(args)
    if args.action == "keys":
        path, jwk, made = lti.keys(course)
        print(("made" if made else "the tool's key is") + f" {path} (private, mode 600: never share it)")
        print("public JWK, for the LMS admin to paste into the tool's registration (Canvas):\n"
              + json.dumps(jwk, indent=1))
        print("the same public key as PEM (Moodle's 'Public key'):\n" + lti.public_pem(path.read_text()))
        return 0
    got = lti.fill_roster(course, force=args.force)
    for line in got.lines(force=args.force):
        print(line)
    return 1 if got.kept and not args.force else 0


def cmd_overrides(args) -> int:
    from .grading.lms import lms
    from .grading.lms import overrides as O

    course = _course(args)
    hws = course.check_homeworks(args.hw) if args.hw else [h for h in course.homeworks()
                                                          if h in lms.settings(course).assignments]
    if not hws:
        print("dgmlab overrides: no homework has a Canvas assignment: set c.DgmlabCanvas.assignments", file=sys.stderr)
        return 2
    for hw in hws:
        for line in O.fetch(course, hw).lines():
            print(line)
    return 0


def cmd_registrar(args) -> int:
    from .grading.report import registrar as REG

    path, got = REG.write(_course(args), args.out)
    for line in REG.lines(got):
        print(line)
    print(f"registrar CSV: {path}")
    return 0


def _printer_sandbox(wanted) -> tuple:
    """dgmlab pdf's sandbox for Chromium (dgmlab.grading.printer_sandbox.argv), or None and why not."""
    if wanted is False:
        return None, "--no-sandbox"
    try:
        from .grading import printer_sandbox
    except ImportError as exc:  # the student package alone (Colab): no grader, no sandbox
        return None, f"the grader (dgmlab-grader) is not installed: {exc}"
    ok, why = printer_sandbox.available()
    return (printer_sandbox.argv if ok else None), why


def cmd_pdf(args) -> int:
    from pathlib import Path

    from . import pdf as P

    sandbox, why = _printer_sandbox(args.sandbox)
    target = Path(args.target)
    try:
        if target.suffix == ".ipynb" or target.is_file():
            if args.student:
                print("dgmlab pdf: error: --student is for a homework id (collected submissions), not a notebook",
                      file=sys.stderr)
                return 2
            written = P.write_pdfs(target, args.out or target.parent / "pdf", who=args.name or "", sandbox=sandbox)
            print(f"{written.whole}" + "".join(f"\n{path}" for path in written.questions.values()))
            for note in written.notes():
                print(f"dgmlab pdf: {note}", file=sys.stderr)
            return 1 if written.cut else 0
        if args.name:
            print("dgmlab pdf: error: --name is for your own notebook; a homework's PDFs are headed by each "
                  "student's id", file=sys.stderr)
            return 2
        got = P.write_class_pdfs(_course(args), args.target, args.out or _course(args).root / "reports" / "pdf",
                                 students=args.student, sandbox=sandbox, unsandboxed_why=why)
    except P.PdfError as exc:
        print(f"dgmlab pdf: error: {exc}", file=sys.stderr)
        return 2
    if not got.sandboxed:
        print("dgmlab pdf: " + P.UNSANDBOXED.format(why=got.unsandboxed_why), file=sys.stderr)
    for line in got.lines():
        print(line)
    return 1 if got.incomplete else 0


def cmd_grade(args) -> int:
    from .grading.hand import grade_by_question as G

    return G.serve(_course(args), args.hw, question=args.question, port=args.port, browser=not args.no_browser)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dgmlab", description="Deep Generative Models course kit: release, autograde "
                                "and report on nbgrader homeworks. Run from the course directory (repository root).")
    p.add_argument("--version", action="version", version=f"dgmlab {__version__}")
    p.add_argument("--course", default=".", help="course directory holding nbgrader_config.py (default: .)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("demo", help="release all homeworks, grade the example submissions, print the grade table")
    s.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="submissions graded at once")
    s.add_argument("--timeout", type=float, default=900, help="seconds allowed per submission")
    s.add_argument("--csv", default="grades.csv", help="where to write the grades CSV")
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("build", help="write source/<hw>/<hw>.ipynb from its source folder homeworks/<hw>/ "
                                     "(authors; docs/authoring.md)")
    s.add_argument("hw", nargs="*", help="homework ids (default: all)")
    mode = s.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if a committed notebook differs from its source")
    mode.add_argument("--record-outputs", action="store_true",
                      help="also run each notebook in fast mode and store the outputs of its checked cells, "
                           "which CI's nbval run then compares exactly")
    s.set_defaults(func=cmd_build)

    s = sub.add_parser("new-homework", help="copy the template homework (a code question, a derivation, a written "
                                            "answer) into homeworks/<hw>/ (authors; docs/own_homework.md)")
    s.add_argument("hw", help="the new homework's id, e.g. hw6_vae")
    s.set_defaults(func=cmd_new_homework)

    s = sub.add_parser("release", help="generate release/ from source/ (nbgrader generate_assignment)")
    s.add_argument("hw", nargs="*", help="homework ids (default: all)")
    s.add_argument("--check", action="store_true", help="only check that release/ matches source/")
    s.add_argument("--local-only", action="store_true",
                   help="release without an install source (for use on this machine; in Colab the setup cell "
                        "stops and tells students to ask you); without it, an unset install source is an error")
    s.set_defaults(func=cmd_release)

    s = sub.add_parser("examples", help="write the demo's example submissions examples/<student>/<hw>/ from "
                                        "release/, source/ and the builders' mutants (run after release)")
    s.add_argument("hw", nargs="*", help="homework ids (default: all)")
    s.add_argument("--check", action="store_true", help="exit 1 if examples/ is out of date")
    s.set_defaults(func=cmd_examples)

    # Each flag's default is its c.DgmlabAutograde setting in nbgrader_config.py (dgmlab.grading.autograde.options), which
    # defaults to what the help says
    s = sub.add_parser("autograde", help="autograde submitted/<student>/<hw>/ and write feedback (defaults: "
                                         "c.DgmlabAutograde in nbgrader_config.py)")
    s.add_argument("hw", help="homework id, e.g. hw1_wgan")
    s.add_argument("--student", action="append", help="grade only this student (repeatable)")
    s.add_argument("--workers", "--jobs", dest="workers", type=int, default=None,
                   help="worker processes of the local Dask cluster, one submission each at a time "
                        "(default: one per CPU core; ignored with --cluster)")
    s.add_argument("--cluster", default=None, metavar="ADDRESS",
                   help="grade on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786) instead of a local "
                        "one, or, with `slurm`, on grading workers submitted as SLURM jobs (c.DgmlabSlurm in "
                        "nbgrader_config.py; docs/cluster.md)")
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
    s.set_defaults(func=cmd_autograde)

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
    s.add_argument("--pip", default=None, help="what setup.sh installs with pip (default: dgmlab-grader==<this "
                                               "version>), e.g. a git URL of the course's fork")
    s.add_argument("--wheels", default=None, metavar="DIR",
                   help="put DIR's wheels (dgmlab, dgmlab-grader) in the zip; setup.sh installs from them first")
    s.set_defaults(func=cmd_gradescope)

    s = sub.add_parser("report", help="export grades.csv, print the grade table; dashboard and LMS exports")
    s.add_argument("hw", nargs="*", help="homework ids (default: all)")
    s.add_argument("--csv", default="grades.csv", help="where nbgrader's grades CSV goes (default: grades.csv)")
    s.add_argument("--html", nargs="?", const="reports/dashboard.html", default=None, metavar="PATH",
                   help="write the instructor's dashboard, one self-contained HTML page "
                        "(default PATH: reports/dashboard.html)")
    s.add_argument("--anonymize", action="store_true",
                   help="dashboard with stable pseudonyms (student-7f3a) instead of student ids and names")
    s.add_argument("--exports", nargs="?", const="reports", default=None, metavar="DIR",
                   help="write canvas.csv, questions.csv and gradescope/<hw>/<student>/results.json "
                        "into DIR (default: reports)")
    s.add_argument("--canvas-assignment", action="append", metavar="HW=ID",
                   help="the Canvas assignment id of a homework, for canvas.csv's column (repeatable; default: "
                        "c.DgmlabCanvas.assignments in nbgrader_config.py)")
    s.add_argument("--no-similarity", action="store_true",
                   help="skip comparing answers across the class and with the kit (reports/similarity.csv)")
    s.set_defaults(func=cmd_report)

    s = sub.add_parser("check", help="run a notebook's visible checks as the autograder does and report per question "
                                     "(exit 1 when one fails)")
    s.add_argument("notebook", help="path of the saved notebook (.ipynb)")
    s.add_argument("--question", default=None, help="only this question (e.g. Q2) or test cell grade id")
    s.add_argument("--cell-timeout", type=int, default=120, help="seconds one cell may run (the autograder's limit)")
    s.add_argument("--files", default=None, help="the folder of the files the notebook wrote, which graded cells read "
                                                 "(default: the notebook's folder; in Colab, the homework folder on Drive)")
    s.add_argument("--sandbox", dest="sandbox", action="store_true", default=None,
                   help="require the autograder's bubblewrap sandbox (default: use it when available)")
    s.add_argument("--no-sandbox", dest="sandbox", action="store_false", help="run the kernel unsandboxed")
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("collect", help="place an LMS's download zip (Canvas, Moodle) in submitted/<student>/<hw>/ "
                                       "once every entry was read (exit 1 when a file could not be placed; each is "
                                       "listed; exit 2, nothing changed, when the zip is damaged)")
    s.add_argument("hw", help="homework id, e.g. hw5_explicit")
    s.add_argument("zip", help="the zip the LMS's 'download submissions' gave")
    s.add_argument("--times", metavar="CSV", default=None,
                   help="submission times: a CSV with the columns student (nbgrader id or LMS user id) and "
                        "submitted_at (ISO; without an offset, in c.DgmlabDeadlines.timezone)")
    s.add_argument("--canvas", action="store_true",
                   help="submission times from Canvas's API (c.DgmlabCanvas; token in CANVAS_API_TOKEN)")
    s.add_argument("--lms", choices=["canvas", "moodle"], default=None,
                   help="which LMS made the zip (default: told from its structure, Moodle's folders per student or "
                        "Canvas's flat names; asked for when it cannot be told). Students are read from that LMS's "
                        "own fields only. Limits per student and per zip: c.DgmlabCollect")
    s.add_argument("--moodle-mappings", metavar="CSV", default=None,
                   help="a Moodle zip's participant ids (the number in its folder names, not the user id): a CSV "
                        "with the columns participant,userid (mod_assign_get_user_mappings). Default: read from "
                        "the course's Moodle when c.DgmlabMoodle names the assignment; without either, Moodle "
                        "students are matched by name only, and only a roster student with no lms_user_id")
    s.set_defaults(func=cmd_collect)

    s = sub.add_parser("push", help="send each student's final mark and grade summary to the course's LMS "
                                    "(c.DgmlabLms.platform: Canvas, Moodle or LTI 1.3); marks changed in the LMS "
                                    "since the last push are listed, not overwritten")
    s.add_argument("hw", help="homework id")
    s.add_argument("--force", action="store_true", help="overwrite marks changed in the LMS since the last push")
    for name, what in (("canvas", "Canvas's REST API (c.DgmlabCanvas)"), ("moodle", "Moodle's web services "
                       "(c.DgmlabMoodle)"), ("lti", "LTI 1.3 grade services (c.DgmlabLti)")):
        s.add_argument(f"--{name}", dest="platform", action="store_const", const=name, default=None,
                       help=f"this once, through {what} (default: c.DgmlabLms.platform)")
    s.add_argument("--feedback", action="store_true", help="attach each student's own feedback files "
                   "(feedback/<student>/<hw>/*.html, *.pdf) to their submission (Canvas, Moodle)")
    s.set_defaults(func=cmd_push)

    s = sub.add_parser("lti", help="LTI 1.3: `keys` makes the tool's key pair (c.DgmlabLti.private_key_file) and "
                                   "prints the public JWK for the LMS; `roster` fills nbgrader's lms_user_id from "
                                   "the LMS's Names and Role Provisioning Services")
    s.add_argument("action", choices=["keys", "roster"], help="keys: make the key pair if there is none, print its "
                   "public key; roster: fill lms_user_id (exit 1 when an id nbgrader has differs and is kept)")
    s.add_argument("--force", action="store_true", help="roster: replace an LMS id nbgrader has that differs")
    s.set_defaults(func=cmd_lti)

    s = sub.add_parser("overrides", help="read each homework's per-student due dates from Canvas (its assignment "
                                         "overrides; c.DgmlabCanvas) into .dgmlab/canvas_overrides/<hw>.json, "
                                         "where every report's due dates find them")
    s.add_argument("hw", nargs="*", help="homework ids (default: each one c.DgmlabCanvas.assignments names)")
    s.set_defaults(func=cmd_overrides)

    s = sub.add_parser("registrar", help="write the registrar's CSV: per student the course total (c.DgmlabTerm: "
                                         "weights, letters, excused), the letter and each homework's mark")
    s.add_argument("--out", default="registrar.csv", help="where the CSV goes (default: registrar.csv)")
    s.set_defaults(func=cmd_registrar)

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

    s = sub.add_parser("grade", help="grade the written answers by question with a rubric, in the browser (a "
                                     "server on 127.0.0.1; scores and comments go to nbgrader's gradebook)")
    s.add_argument("hw", help="homework id")
    s.add_argument("--question", default=None, help="open this written cell's page (its grade id, e.g. q2_written)")
    s.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    s.add_argument("--no-browser", action="store_true", help="print the address only")
    s.set_defaults(func=cmd_grade)

    s = sub.add_parser("info", help="print mode, device and data root")
    s.set_defaults(func=cmd_info)
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


def log_to_stderr() -> None:
    """The grader's messages (``logging``, each module's ``log``, under ``dgmlab``) to the terminal, as ``print``
    wrote them: the message alone on stderr, INFO and up (the SLURM jobs' progress too). Once a process."""
    log = logging.getLogger("dgmlab")
    if not any(isinstance(h, _Stderr) for h in log.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False  # said once, whatever a library does to the root logger


def main(argv=None) -> int:
    import warnings

    log_to_stderr()
    # nbgrader 0.9.6's gradebook warns on every submission under SQLAlchemy 2 (a cascade it does not use):
    # noise for an instructor, not a problem; every other warning still shows
    warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session")
    args = build_parser().parse_args(argv)
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
