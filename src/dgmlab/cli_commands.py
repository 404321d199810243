"""What each `dgmlab` command does: one ``cmd_<command>(args)`` per subcommand, given the parsed arguments of
:func:`dgmlab.cli.build_parser` (which names it as the subcommand's ``func``), returning the exit status."""
from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import sys
from pathlib import Path


def _course(args):
    from .grading.course import Course

    return Course(args.course)


def _say(line: str) -> None:
    """A line a long-running command says as it goes (the demo's steps, the grading server's address): printed
    at once."""
    print(line, flush=True)


def cmd_info(args) -> int:
    from . import data, runtime

    print(runtime.describe())
    print(f"data root: {data.data_root()}  (set {data.DATA_ENV} to change)")
    return 0


def cmd_demo(args) -> int:
    from .grading.demo import run_demo

    return run_demo(args.course, jobs=args.jobs, timeout=args.timeout, csv=args.csv, say=_say)


@contextlib.contextmanager
def _authoring():
    """Around a command's ``from .authoring import ...``: ``dgmlab.authoring`` builds the kit from its repository and
    is not in the wheel, so its absence is a checkout missing, said as such (exit status 2)."""
    try:
        yield
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("dgmlab.authoring"):
            raise
        print("dgmlab: error: building homeworks needs a checkout of the course kit (its homeworks/ folder and "
              "dgmlab.authoring are not in the wheel): run this in the repository after `make venv`, which "
              "installs dgmlab from it", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_build(args) -> int:
    with _authoring():
        from .authoring.build import build
    return build(_course(args).root, args.hw, check=args.check, record=args.record_outputs,
                 record_expected=args.record_expected)


def cmd_new_homework(args) -> int:
    with _authoring():
        from .authoring import template
    try:
        folder = template.new_homework(_course(args).root, args.hw, kit=args.kit)
    except template.BuildError as exc:
        print(f"dgmlab: error: {exc}", file=sys.stderr)
        return 2
    if args.kit:
        print(f"wrote {folder}: a kit homework\n{template.kit_next_steps(args.hw)}")
        return 0
    print(f"wrote {folder}: a template homework (docs/own_homework.md); next: "
          f"dgmlab build --record-expected --record-outputs {args.hw}, then dgmlab release {args.hw}")
    return 0


def cmd_examples(args) -> int:
    with _authoring():
        from .authoring.examples import write_examples
    return write_examples(_course(args).root, args.hw, check=args.check)


def cmd_release(args) -> int:
    from .grading import course as course_module

    course = _course(args)
    local_only = args.local_only or course_module.release_is_local_only(course)
    if args.check:
        stale = course_module.release_differences(course, args.hw, local_only=local_only)
        if stale:
            how = "dgmlab release --local-only" if local_only and not args.local_only else "dgmlab release"
            print(f"release/ is out of date for {', '.join(stale)}: run `{how}`", file=sys.stderr)
            return 1
        print("release/ matches source/" + (" (as a local-only release)" if local_only else ""))
        if local_only and not args.local_only:
            print("note: nbgrader_config.py sets no usable install source, so these notebooks cannot install "
                  "dgmlab in Colab; see docs/publishing.md before handing them out", file=sys.stderr)
        return 0
    for res in course_module.release(course, args.hw, local_only=args.local_only):
        print(f"released {res.args[1]} -> release/{res.args[1]}/ ({res.seconds:.1f} s)")
    if args.local_only:
        print("local-only release: in Colab the setup cells stop and tell students to ask you for dgmlab; "
              "set an install source before handing them out to Colab users (docs/publishing.md)")
    return 0


def cmd_autograde(args) -> int:
    from tqdm.auto import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    from .grading import course as course_module
    from .grading.autograde.options import autograde_options, run_options
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
    _say_tests_origin(course, args.hw)
    total = len(args.student) if args.student else len(course.submitted(args.hw))
    bar = tqdm(total=total, unit="submission", desc=f"autograde {args.hw}", disable=total == 0)
    options = run_options(opts, cell_timeout=args.cell_timeout,
                          slurm={"partition": args.partition, "account": args.account, "jobs": args.slurm_jobs})
    with logging_redirect_tqdm(loggers=[logging.getLogger("dgmlab")], tqdm_class=tqdm):  # log lines above the bar, never through it
        results = course_module.autograde(course, args.hw, args.student, options=options,
                                          cluster=opts.cluster or None, progress=_progress(bar), grader=args.grader)
    bar.close()
    from .grading.autograde.run_summary import sandboxed, summary_lines
    from .grading.autograde.timings import format_summary, phase_summary

    # what was graded now, what was left unchanged, and whether the kernels ran in the sandbox
    dropped = [] if args.student else [s for s in course.dropped()
                                       if course.folder("submitted", args.hw, s).is_dir()]
    print("\n".join(summary_lines(results, sandboxed(options.sandbox, course_module._on_this_machine(opts.cluster or None)),
                                   dropped)))
    for r in results:
        if r.status != "graded":
            print(terminal(f"  {r.student}: {r.status}: {r.reason}"))
    table = format_summary(phase_summary(results))
    if table:
        print("\nseconds per grading, by phase (kept in .dgmlab/grading/<hw>/<student>.json):\n" + table)
    if (course.root / "gradebook.db").exists():
        from .grading.report import report as report_module

        graded = sorted({r.student for r in results if r.status == "graded"})
        rows = report_module.grades(course, students=graded, hws=[args.hw]) if graded else []
        if rows:  # the final mark, or pending while an answer is still to grade by hand (dgmlab report's)
            print("\nmarks (final, or pending until graded by hand):\n" + report_module.table(rows))
    return 0 if all(r.status == "graded" for r in results) else 1


def _say_tests_origin(course, hw: str) -> None:
    """Which tests are graded, and a copy in the course's homeworks/ that differs from them (an unknown homework is
    refused later, naming the course's); a warning where that cannot be told."""
    from .grading.autograde.tests_origin import origin
    from .grading.inert import terminal

    try:
        if hw in course.homeworks():
            print("\n".join(origin(course.root, hw).lines()))
    except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as exc:
        print(terminal(f"WARNING: where {hw}'s tests are loaded from could not be told: {exc}"))


def _progress(bar):
    """autograde's ``progress``: each result counted on ``bar`` by outcome, and a line for each one graded now
    (the record, outcome, reason and timings for `dgmlab report --html`, is already written)."""
    from .grading.inert import terminal

    counts_so_far = {}

    def show(r):
        label = "unchanged" if r.skipped else r.status
        counts_so_far[label] = counts_so_far.get(label, 0) + 1
        bar.set_postfix({k: v for k, v in sorted(counts_so_far.items())}, refresh=False)
        bar.update(1)
        if not r.skipped:
            bar.write(terminal(f"{r.hw} / {r.student}: {r.status} in {r.seconds:.0f} s"
                               + (f" ({r.reason})" if r.reason else "")))
    return show


def cmd_gradescope(args) -> int:
    from .grading import course as course_module
    from .grading.autograde.options import autograde_options, run_options
    from .grading.gradescope.autograder_zip import write_autograder
    from .grading.gradescope.measured import advice

    course = _course(args)
    opts = autograde_options(course, timeout=args.timeout, sandbox=args.sandbox, memory=args.memory)
    options = run_options(opts, cell_timeout=args.cell_timeout)
    out = Path(args.out) if args.out else course.root / "gradescope" / f"{args.hw}_autograder.zip"
    try:
        path = write_autograder(course, args.hw, out, options, visibility=args.visibility, pip=args.pip,
                                wheels=Path(args.wheels) if args.wheels else None, force=args.force)
    except course_module.CourseError as exc:
        print(f"dgmlab gradescope: error: {exc}", file=sys.stderr)
        return 2
    print(f"{path} ({path.stat().st_size / 1024:.0f} KiB): upload it as the assignment's autograder "
          "(Configure Autograder > Zip file upload); docs/instructor_guide.md, \"Gradescope\"")
    needs = advice(args.hw)  # more memory than Gradescope's default container, as the bench measured it
    if needs:
        print(f"dgmlab gradescope: note: {needs}")
    return 0


def cmd_report(args) -> int:
    from .grading.inert import terminal
    from .grading.report import report as report_module

    if args.anonymize and not args.html:
        print("dgmlab: error: --anonymize applies to the dashboard: add --html", file=sys.stderr)
        return 2
    course = _course(args)
    hws = course.check_homeworks(args.hw) if args.hw else None
    from .grading.lms import hand_in_names

    every = hws or course.homeworks()
    deductions = hand_in_names.deduct(course, every)  # before any mark is read or written
    path = report_module.export_csv(course, args.csv)
    print(report_module.table(report_module.grades(course, hws=hws)))
    ungraded = report_module.not_in_gradebook(course, hws)
    if ungraded:
        print("\nhanded in, no mark yet (pending everywhere, never a 0):\n" + "\n".join(
            terminal(f"  {sid} {hw}: {why}") for (hw, sid), why in sorted(ungraded.items())))
    print(f"\ngrades CSV (nbgrader): {path}")
    similar = None if args.no_similarity else _similarity(course, every)
    runtime = _runtime_code(course, every)
    for line in hand_in_names.report_lines(course, every) + deductions:  # as dgmlab collect checked them
        print(line)
    from .grading.autograde.nbgrader_run import run_feedback
    from .grading.report import analysis, current_feedback, grade_summary

    renewed = current_feedback.renew(course, every, run_feedback)  # feedback older than the hand grades
    for line in renewed.lines():
        print(line, file=sys.stderr if line.startswith("feedback of") else sys.stdout)
    data = analysis.collect(course, hws)  # final marks: auto + hand points, the late policy applied now
    for problem in data.problems:
        print(terminal(f"roster: {problem}"), file=sys.stderr)
    n = len(grade_summary.write_summaries(course, data))
    print(f"grade summaries (final mark, late penalty and why): feedback/<student>/<hw>/{grade_summary.FILE}.html ({n})")
    from .grading.report import item_analysis

    print("\n".join(item_analysis.report_lines(course, data)))  # checks that do not separate strong students from weak
    from .grading.report import training_records

    for line in training_records.report_lines(course, every):  # trained results whose record is not one run
        print(terminal(line))
    from .grading.hand.regrades import report_lines as regrade_lines

    for line in regrade_lines(course, every):  # regrade requests still open (regrade.md files read first)
        print(line)
    status = _feedback_page_problems(course, data)
    if args.exports and _exports(course, args, data):
        status = 1
    if args.html:
        _dashboard(course, args, hws, data, similar=similar, runtime=runtime)
    return status


def _similarity(course, hws: list) -> list:
    """``dgmlab report``'s answers alike a classmate's or the kit's, written to reports/similarity.csv and said."""
    from .grading.copies import similarity as SIM

    similar = SIM.compare(course, hws)
    where = SIM.write_csv(similar, course.root / "reports" / "similarity.csv")
    lines = SIM.format_report(similar)
    print(f"\nanswers alike a classmate's or the kit's (a reason to look; docs/similarity.md): {where}"
          + (f"\n{lines}" if lines else "\nnone"))
    return similar


def _runtime_code(course, hws: list) -> list:
    """``dgmlab report``'s answer cells that build code or names at run time (read by the parser, never run: cheap,
    always done), written to reports/runtime_code.csv and said."""
    from .grading.copies import runtime_code

    runtime = runtime_code.scan(course, hws)
    where = runtime_code.write_csv(runtime, course.root / "reports" / "runtime_code.csv")
    lines = runtime_code.format_report(runtime)
    print(f"\nanswer cells that build code or names at run time (a reason to look; docs/similarity.md): {where}"
          + (f"\n{lines}" if lines else "\nnone"))
    return runtime


def _feedback_page_problems(course, data) -> int:
    """1 where a feedback page was made without an answer nbconvert could not draw (the student misses it), each
    said; else 0."""
    from .grading.inert import terminal
    from .grading.lms import feedback_return

    status = 0
    names = {hw: feedback_return.feedback_names(course, hw) for hw in data.hws}  # the gradebook read once per homework
    for sub in data.submissions:
        for why in feedback_return.page_problems(course, sub.hw, sub.student, missing_too=False, names=names.get(sub.hw)):
            print(terminal(f"feedback of {sub.student} {sub.hw}: {why}"), file=sys.stderr)
            status = 1
    return status


def _exports(course, args, data) -> int:
    """``dgmlab report --exports``: Canvas's import CSV (without the homeworks graded in Moodle) and the
    per-question CSV; 1 where the Canvas CSV is not whole, else 0."""
    from .grading.layout import CourseError
    from .grading.lms import id_map, lms, moodle
    from .grading.report import exports as exports_module

    status = 0
    folder = course.root / args.exports
    ids = dict(lms.settings(course).assignments)
    for given in args.canvas_assignment or []:
        hw, _, aid = given.partition("=")
        ids[hw.strip()] = aid.strip()
    in_moodle = [hw for hw in data.hws if hw in moodle.settings(course).assignments and hw not in ids]
    in_canvas = [hw for hw in data.hws if hw not in in_moodle]
    if in_moodle:
        print(f"Canvas import CSV:     without {', '.join(in_moodle)}: graded in Moodle (c.DgmlabMoodle."
              "assignments); dgmlab push --moodle sends them")
    try:
        from .grading.term.term_rules import term_rules

        excused = term_rules(course).is_excused
        if in_canvas:
            path = exports_module.canvas_csv(data, folder / "canvas.csv", ids, excused, id_map.platform_ids(course, "canvas"),
                                in_canvas, id_map.IdMap.load(course).column("sis"))
            print(f"Canvas import CSV:     {path}")
    except exports_module.CanvasColumnsLeftOut as exc:
        print(f"Canvas import CSV:     {exc.path} (without {', '.join(exc.left_out)})")
        print(f"dgmlab report: Canvas import CSV: {exc}", file=sys.stderr)
        status = 1
    except CourseError as exc:
        print(f"dgmlab report: Canvas import CSV not written: {exc}", file=sys.stderr)
        status = 1
    print(f"per-question CSV:      {exports_module.long_csv(data, folder / 'questions.csv')}")
    if (folder / "gradescope").is_dir():
        print(f"note: {folder / 'gradescope'} is from an earlier dgmlab and no longer written: Gradescope imports "
              "no scores (grade there with `dgmlab gradescope <hw>`'s autograder); remove it")
    return status


def _dashboard(course, args, hws, data, *, similar, runtime) -> None:
    """``dgmlab report --html``: the weights shared between students or taken from the kit's, said, and the
    dashboard (pseudonymized with ``--anonymize``)."""
    from .grading.copies import image_sets, shared_weights
    from .grading.report import dashboard

    shared = shared_weights.compare(course, data.hws)
    if any(f.pairs or f.published or f.not_finite or not f.by_function for f in shared):  # or: by weights only
        print("\nweights shared between students, or taken from the kit's published files (a reason to look; "
              "docs/novelty.md):\n" + shared_weights.format_report(shared))
    looks = image_sets.compare(course, data.hws)
    if looks:
        print("\ngenerators whose images, drawn as a set, are alike another's or far from MNIST (needs a look; "
              "docs/novelty.md):\n" + image_sets.format_report(looks))
    html_path, _ = dashboard.write(course, args.html, hws, anonymize=args.anonymize, shared=shared,
                           similar=similar if similar is not None else [], runtime=runtime, looks=looks)
    print(f"dashboard ({'pseudonymized' if args.anonymize else 'INSTRUCTOR ONLY'}): {html_path}")


def cmd_check(args) -> int:
    from . import handin
    from .selfcheck import asked, check_notebook, format_report, graded_files_folder

    try:
        files = args.files if args.files is not None else graded_files_folder(args.notebook)
        report = check_notebook(args.notebook, timeout=args.cell_timeout, sandbox=args.sandbox, files=files)
    except (FileNotFoundError, ValueError) as exc:
        print(f"dgmlab check: error: {exc}", file=sys.stderr)
        return 2
    print(format_report(report, args.question))
    cells = asked(report, args.question)
    # a graded file missing or incomplete, a PDF older than the notebook, a written answer blank or a quick-mode run
    # counts with --question too: the hand-in list it prints says which (the student guide); blank answers do not
    # where the handout takes them handwritten
    missing = any(size is None for c in report.cells for _, size in c.files) or handin.incomplete(report.hw, files)
    missing = missing or handin.stale_pdfs(report.hw, report.path, files)  # a PDF made before the notebook's last save
    if args.question is not None and not cells:
        return 2  # --question named nothing in this notebook (the report says which names there are)
    hand_in = handin.of(report.hw)
    blank = bool(report.unfinished and report.unfinished.blank) and not (hand_in and hand_in.written_apart)
    quick = bool(report.unfinished and report.unfinished.in_quick_mode)
    return 0 if all(c.ok for c in cells) and not missing and not blank and not quick else 1


def _ask(question: str):
    """``confirm(sid, what) -> bool`` asking the instructor ``question`` (``{sid}``, ``{what}`` filled in) on the
    terminal: yes only for "y" or "yes"; no answer (the end of the input) is no."""
    from .grading.inert import terminal

    def confirm(sid: str, what: str) -> bool:
        try:
            answer = input(terminal(question.format(sid=sid, what=what)) + " [y/N] ")
        except EOFError:
            return False
        return answer.strip().lower() in ("y", "yes")

    return confirm


def cmd_ids(args) -> int:
    from .grading.lms import id_map, roster_fill

    course = _course(args)
    if args.action == "show":
        ids = id_map.IdMap.load(course)
        print(f"{ids.path}" + ("" if ids.path.exists() else " (none yet)"))
        print(ids.text(), end="")
        return 0
    if args.action == "import":
        if not args.csv:
            print("dgmlab ids import: give the CSV (columns student and any of " + ", ".join(id_map.USER_IDS)
                  + f", {id_map.PARTICIPANT}<hw>)", file=sys.stderr)
            return 2
        changes, refused = id_map.import_csv(course, args.csv, force=args.force)
        print(f"{id_map.FILE}: {len(changes)} ids recorded from {args.csv}")
        for c in changes:
            print(f"  {c.text()}")
        if refused:
            print(f"NOT RECORDED ({len(refused)}):")
            for why in refused:
                print(f"  {why}")
        return 1 if refused else 0
    got = [roster_fill.from_canvas(course, force=args.force)] if args.action == "canvas" else \
        roster_fill.from_moodle(course, force=args.force)
    for filled in got:
        for line in filled.lines():
            print(line)
    return 1 if any(f.failed for f in got) else 0


def cmd_collect(args) -> int:
    from .grading.lms import intake, platform
    from .grading.term.deadlines import deadlines

    course = _course(args)
    times = {}
    if args.canvas:
        times.update(platform.platform("canvas").submission_times(course, args.hw))
    if args.moodle:
        times.update(platform.platform("moodle").submission_times(course, args.hw))
    if args.times:  # a CSV's times go over Canvas's
        times.update(intake.read_times(args.times, deadlines(course).tz))
    mappings = intake.read_moodle_mappings(args.moodle_mappings) if args.moodle_mappings else None
    confirm = _ask("place the files of {what} as {sid}'s, and record the id?") if args.match_names else None
    if args.lms:  # that LMS plug-in reads its download (the kit's: the intake, as a Canvas or Moodle zip)
        got = platform.platform(args.lms).collect(course, args.hw, args.zip, times=times, mappings=mappings, confirm=confirm)
    else:  # the zip's shape tells Canvas's from Moodle's
        got = intake.collect(course, args.hw, args.zip, times=times, mappings=mappings, confirm=confirm)
    for line in got.lines():
        print(line)
    return 1 if got.unplaced else 0


def cmd_push(args) -> int:
    from .grading.lms import lms_config

    course = _course(args)
    got = lms_config.push(course, args.hw, platform=args.platform, force=args.force, feedback=args.feedback)
    for line in got.lines(force=args.force):
        print(line)
    return 1 if (got.conflicts and not args.force) or got.skipped else 0


def cmd_lti(args) -> int:
    from .grading.lms import lti

    course = _course(args)
    if args.action == "keys":
        path, jwk, made = lti.keys(course)
        print(("made" if made else "the tool's key is") + f" {path} (private, mode 600: never share it)")
        print("public JWK, for the LMS admin to paste into the tool's registration (Canvas):\n"
              + json.dumps(jwk, indent=1))
        print("the same public key as PEM (Moodle's 'Public key'):\n" + lti.public_pem(path.read_text()))
        return 0
    from .grading.lms import roster_fill

    got = roster_fill.from_lti(course, force=args.force, confirm=_ask("record the LTI user id of {what} as {sid}'s (matched "
                                                             "by e-mail)?"))
    for line in got.lines():
        print(line)
    return 1 if got.failed else 0


def cmd_overrides(args) -> int:
    from .grading.lms import lms, moodle, overrides

    course = _course(args)
    where, fetch = ("Moodle", overrides.fetch_moodle) if args.moodle else ("Canvas", overrides.fetch)
    known = (moodle if args.moodle else lms).settings(course).assignments
    hws = course.check_homeworks(args.hw) if args.hw else [h for h in course.homeworks() if h in known]
    if not hws:
        print(f"dgmlab overrides: no homework has a {where} assignment: set c.Dgmlab{where}.assignments",
              file=sys.stderr)
        return 2
    for hw in hws:
        for line in fetch(course, hw).lines():
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
    """dgmlab pdf's sandbox for Chromium (dgmlab.grading.isolation.printer_sandbox.argv), or None and why not."""
    if wanted is False:
        return None, "--no-sandbox"
    try:
        from .grading.isolation import printer_sandbox
    except ImportError as exc:  # the student package alone (Colab): no grader, no sandbox
        return None, f"the grader (dgmlab-grader) is not installed: {exc}"
    ok, why = printer_sandbox.available()
    return (printer_sandbox.argv if ok else None), why


def cmd_pdf(args) -> int:
    from . import pdf

    sandbox, why = _printer_sandbox(args.sandbox)
    target = Path(args.target)
    try:
        if target.suffix == ".ipynb" or target.is_file():
            if args.student:
                print("dgmlab pdf: error: --student is for a homework id (collected submissions), not a notebook",
                      file=sys.stderr)
                return 2
            written = pdf.write_pdfs(target, args.out or target.parent / "pdf", who=args.name or "", sandbox=sandbox,
                                   note=True)
            print(f"{written.whole}" + "".join(f"\n{path}" for path in written.questions.values()))
            for note in written.notes():
                print(f"dgmlab pdf: {note}", file=sys.stderr)
            return 1 if written.cut else 0
        if args.name:
            print("dgmlab pdf: error: --name is for your own notebook; a homework's PDFs are headed by each "
                  "student's id", file=sys.stderr)
            return 2
        from .grading.lms import hand_in_pdfs

        course = _course(args)
        plan = hand_in_pdfs.planner(course, args.target)  # named as the handout asks, the student's uploads merged
        got = pdf.write_class_pdfs(course, args.target, args.out or course.root / "reports" / "pdf",
                                 students=args.student, sandbox=sandbox, unsandboxed_why=why, plan=plan)
    except pdf.PdfError as exc:
        print(f"dgmlab pdf: error: {exc}", file=sys.stderr)
        return 2
    if not got.sandboxed:
        print("dgmlab pdf: " + pdf.UNSANDBOXED.format(why=got.unsandboxed_why), file=sys.stderr)
    for line in got.lines() + plan.notes:
        print(line)
    return 1 if got.incomplete else 0


def cmd_grade(args) -> int:
    from .grading.hand import grade_by_question

    if args.force and not args.apply:
        print("dgmlab grade: error: --force applies to --apply", file=sys.stderr)
        return 2
    from .grading.hand import record_commands

    if record_commands.wanted(args):  # --log, --requests, --request, --answer-request
        return record_commands.run(_course(args), args)
    record_commands.set_grader(args.grader)  # who the audit log names for the page's changes
    if args.export or args.apply:
        return _grade_table(_course(args), args)
    return grade_by_question.serve(_course(args), args.hw, question=args.question, port=args.port, browser=not args.no_browser,
                   say=_say, anonymous=not args.names)


def _grade_table(course, args) -> int:
    """``dgmlab grade --export/--apply``: the rubric choices as a table (:mod:`.grading.hand.rubric_table`)."""
    from .grading.hand import rubric_table
    from .grading.hand.rubrics import Grader
    from .grading.inert import terminal

    if args.export:
        out = rubric_table.export(Grader(course, args.hw, who=args.grader), Path(args.export))
        _say(f"{out} (and its items' legend {out.with_suffix('.items.csv')}): fill in the items column, then "
             f"dgmlab grade {args.hw} --apply {out}")
        return 0
    done = rubric_table.apply_file(course, args.hw, Path(args.apply), force=args.force, who=args.grader)
    if done.refused:
        print(terminal(f"dgmlab grade: nothing applied: {len(done.refused)} rows would change marks already given "
                       "(--force to change them):\n  " + "\n  ".join(done.refused[:20])), file=sys.stderr)
        return 1
    _say(f"{len(done.applied)} marks applied, {done.unchanged} unchanged")
    return 0
