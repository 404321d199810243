"""nbgrader configuration of the Deep Generative Models course.

Plain `nbgrader ...` commands and `dgmlab ...` both read this file; run them
from the repository root (the course directory).
"""
c = get_config()  # noqa: F821  (provided by nbgrader)

c.CourseDirectory.course_id = "dgm"
c.CourseDirectory.root = "."

# -- Where Colab installs dgmlab from ------------------------------------------
# generate_assignment writes this into every release notebook's setup cell
# (the line `DGMLAB_INSTALL = ...`), which Colab passes to `pip install`. It
# must name ONE dgmlab version; docs/publishing.md shows how to publish each form:
#   c.SetInstallSource.install_source = "dgmlab==0.1.0"                                    # PyPI
#   c.SetInstallSource.install_source = "dgmlab @ git+https://github.com/<org>/<repo>@v0.1.0"  # a Git tag
#   c.SetInstallSource.install_source = "https://<host>/<path>/dgmlab-0.1.0-py3-none-any.whl"  # a wheel URL
# Until it is set, `dgmlab release` and `nbgrader generate_assignment` refuse to
# write release notebooks, except a local-only release (`dgmlab release
# --local-only`, or c.SetInstallSource.local_only = True), whose setup cell in
# Colab stops and tells the student to ask the instructor. The committed
# release/ is local-only: this kit names no course's install source.
c.SetInstallSource.install_source = ""

# nbgrader's default list with SetInstallSource first, before checksums and
# SaveCells record the locked setup cell.
c.GenerateAssignment.preprocessors = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "dgmlab.grading.preprocessors.install_source.SetInstallSource",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    "nbgrader.preprocessors.ClearOutput",
    "dgmlab.grading.preprocessors.answer_dependent.TagAnswerDependentCells",
    "dgmlab.grading.preprocessors.due_date.ShowDueDate",  # the due date, when c.DgmlabDeadlines sets one
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# -- Stubs students see in release notebooks ----------------------------------
c.ClearSolutions.code_stub = {"python": "# COMPLETE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "_Write your answer here, replacing this line (Markdown and LaTeX welcome)._"

# -- Execution while autograding and validating -------------------------------
# Under nbgrader (NBGRADER_EXECUTION set) notebooks skip training and test on
# small fixed inputs, so a cell needs seconds; 120 s leaves room for a slow
# machine. The whole-notebook limit is dgmlab autograde's --timeout.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
c.Execute.raise_on_iopub_timeout = True

# A warning on stderr (a deprecation notice, a torch UserWarning) must not
# zero a test cell that passed: failures are raised errors, not stderr text.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"[\s\S]*"

# nbgrader's autograde steps. A test cell that calls check(...) is judged by the grader, not the
# kernel: ProbeTests gives the kernel only the cell's probe call (hidden tests stay here) and
# JudgeTests runs every test on the data it showed and writes the cell's points
# (dgmlab.grading.judge.judge). ZeroUnjudgedTests: any other graded test cell earns 0, since its score would be
# whatever the kernel (the student's code) showed.
c.Autograde.autograde_preprocessors = [
    "dgmlab.grading.preprocessors.probe_tests.ProbeTests",
    "nbgrader.preprocessors.Execute",
    "dgmlab.grading.preprocessors.working_folder.SealWorkingFolder",  # nbgrader writes into an empty folder, never through a link
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "dgmlab.grading.preprocessors.judge_tests.JudgeTests",
    "nbgrader.preprocessors.LimitOutput",
    "dgmlab.grading.preprocessors.output_bytes.LimitOutputBytes",  # output capped in bytes too (defaults in its help)
    "dgmlab.grading.preprocessors.unjudged.ZeroUnjudgedTests",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# The grader's kernels: in grading workers dgmlab.grading.preprocessors.timed_execute.TimedExecute stands in
# for nbgrader's Execute (timed, its output capped as it arrives) and starts each kernel through this kernel
# manager, which runs it in the bubblewrap sandbox and kills it with its process tree at the grading's time
# limit (docs/autograder.md). A replacement must subclass it.
c.TimedExecute.kernel_manager_class = "dgmlab.grading.isolation.kernels.GradingKernelManager"

# Student output is capped so a print loop cannot flood the autograded notebook.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 30

# -- Feedback -----------------------------------------------------------------
# Feedback HTML shows which test cells failed and why, never the hidden tests.
c.GenerateFeedback.preprocessors = [
    # a Markdown answer nbconvert cannot draw (an image naming a missing attachment) is left out, and the page says so
    "dgmlab.grading.preprocessors.feedback_page.LeaveOutBrokenParts",
    "dgmlab.grading.preprocessors.hidden_tests.HideHiddenTests",
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "dgmlab.grading.preprocessors.feedback_page.ExactScores",  # 58.275 shows 58.28, as every export writes it
]
# A student's markdown and HTML outputs are sanitized in the feedback HTML (no scripts or event handlers):
# an instructor or TA who opens a student's feedback file runs none of the student's code.
c.HTMLExporter.sanitize_html = True

# Folders of local outputs (figures/, artifacts/) never travel into release/ or autograded/, nor does a course's own
# homework's hidden.py (its hidden tests, the grader's alone: `dgmlab release` and `dgmlab autograde` refuse a
# config without it). Files a homework grades (e.g. hw1 generator_weights.pt) must travel, so *.pt is not ignored:
# `dgmlab release` warns about any file besides the notebook in release/<hw>/.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "figures", "artifacts", "*.log", "hidden.py"]

# nbgrader's sanitizing steps, with a DeduplicateIds that does not fail a
# submission whose student copied a graded cell (see dgmlab.grading.preprocessors.deduplicate_ids).
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "dgmlab.grading.preprocessors.trusted_cells.TrustSourceCells",  # cell metadata from the gradebook, never the student
    "dgmlab.grading.preprocessors.deduplicate_ids.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# -- dgmlab autograde -----------------------------------------------------------
# What `dgmlab autograde` does when its command line does not say (each flag overrides its setting here;
# dgmlab.grading.autograde.options has the help of each). A cell's own limit is c.Execute.timeout above.
c.DgmlabAutograde.workers = None        # local Dask worker processes (None: one per CPU core)     --workers
c.DgmlabAutograde.cluster = ""          # a Dask scheduler, tcp://host:8786 (docs/cluster.md); "": local  --cluster
c.DgmlabAutograde.timeout = 900         # seconds allowed per submission                            --timeout
c.DgmlabAutograde.force = False         # grade again submissions unchanged since their last grading --force
c.DgmlabAutograde.feedback = True       # write feedback (the HTML and the returned notebook)       --no-feedback
c.DgmlabAutograde.sandbox = None        # True: require the sandbox; False: none; None: when available --[no-]sandbox
c.DgmlabAutograde.memory = 8            # GiB of address space per kernel (sandbox only)            --memory
c.DgmlabAutograde.grade_published = False  # grade copies of the kit's published weights (docs/novelty.md)

# -- Due dates, extensions, late policy (dgmlab.grading.term.deadlines; docs/instructor_guide.md) ---------------------
# Wall-clock times in the course's time zone; the policy applies to the final mark (autograded + hand-graded
# points) whenever a total is shown: grades.csv, the Canvas CSV, Gradescope, the dashboard, each grade summary and
# dgmlab push. Policies: none, zero (nbgrader's two), linear_7days (MIT 6.S978), ten_percent_2days (Toronto
# ECE1508), or "module.name" of a course's own dgmlab.grading.term.late.DailyPolicy. No dates set in this kit:
# c.DgmlabDeadlines.timezone = "America/Toronto"
# c.DgmlabDeadlines.due = {"hw4_gans": "2025-03-11 23:59", "hw5_explicit": "2025-04-01 23:59"}
# c.DgmlabDeadlines.extensions = {"hw5_explicit": {"student_id": "2 days"}}  # or a date: "2025-04-04 17:00"
# c.DgmlabDeadlines.policies = {"hw4_gans": "linear_7days", "hw5_explicit": "ten_percent_2days"}
c.DgmlabDeadlines.timezone = "UTC"
c.DgmlabDeadlines.policy = "none"

# -- dgmlab ---------------------------------------------------------------------
# Weights files the course publishes with the kit (globs relative to the course; {hw}: the homework id,
# {prefix}: its "hwN"): a handed-in copy of one is refused by dgmlab autograde and listed by dgmlab report
# (docs/novelty.md, "Weights the kit itself publishes").
c.PublishedWeights.patterns = ["examples/*/{hw}/*.pt", "tests/fixtures/{prefix}_*.pt"]
