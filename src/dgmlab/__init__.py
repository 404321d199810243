"""dgmlab: the helper package of the Deep Generative Models homework suite.

Modules: ``runtime`` (mode, device, seed), ``data`` (MNIST, CIFAR-10),
``plots``, ``probes`` (graded test cells; ``probes.asserts`` and ``probes.points`` for their tests), ``metrics``
(IS/FID), ``workspace`` (the homework folder), ``checkpoint``
(training that resumes), ``grading`` (instructors' release/autograde/report) and ``cli``.
``artifacts`` and ``probes`` also hold how the grader reads handed-in weights (layouts, names, shapes), so that
a grade never runs a student's class; what a network a homework asks students to write computes (hw4's MLPs) is
the grader's alone (``homeworks/hw4_gans/hidden/``), never in this package, where it would answer the question.
"""
__version__ = "0.2.0.dev0"  # main after the 0.1.0 release; a release drops ".dev0"

from . import runtime, workspace  # noqa: E402,F401


def __getattr__(name: str):
    """The student package's modules, each imported when a notebook first reads it (``dgmlab.artifacts.save_weights``
    works without an ``import dgmlab.artifacts`` cell: a student's run once lost its weights file to that import),
    each by a plain import that import-linter and readers see. Not the deprecated aliases ``checks`` and ``testing``:
    only an import reaches them, so that their warning names the line that imported them."""
    match name:
        case "artifacts":
            import dgmlab.artifacts as module
        case "checkpoint":
            import dgmlab.checkpoint as module
        case "checkpoint_record":
            import dgmlab.checkpoint_record as module
        case "data":
            import dgmlab.data as module
        case "handin":
            import dgmlab.handin as module
        case "image_budget":
            import dgmlab.image_budget as module
        case "metrics":
            import dgmlab.metrics as module
        case "novelty":
            import dgmlab.novelty as module
        case "pdf":
            import dgmlab.pdf as module
        case "pdf_page":
            import dgmlab.pdf_page as module
        case "pdf_printer":
            import dgmlab.pdf_printer as module
        case "pdf_questions":
            import dgmlab.pdf_questions as module
        case "pdf_scrub":
            import dgmlab.pdf_scrub as module
        case "pdf_tools":
            import dgmlab.pdf_tools as module
        case "plots":
            import dgmlab.plots as module
        case "probes":
            import dgmlab.probes as module
        case "selfcheck":
            import dgmlab.selfcheck as module
        case "tex_text":
            import dgmlab.tex_text as module
        case "toys":
            import dgmlab.toys as module
        case "unfinished":
            import dgmlab.unfinished as module
        case "weights_files":
            import dgmlab.weights_files as module
        case _:
            raise AttributeError(f"module 'dgmlab' has no attribute {name!r}")
    return module


def check(question: str | None = None, path=None, files=None) -> bool | None:
    """Check the saved notebook as the autograder runs it and print per question what the visible
    checks earn and what hidden tests decide (see :mod:`dgmlab.selfcheck`).

    Without ``path`` it finds the notebook in the homework folder or, in Colab, in
    ``MyDrive/Colab Notebooks/`` or any other folder of the Drive; the graded files are read from ``files``,
    default the homework folder the setup cell entered (where the notebook wrote them). It ends with what the
    handout asks to hand in and what is missing. Returns whether every visible check passed; ``None`` in a notebook
    (the report says it) and while graded or checked (then it does nothing)."""
    from .selfcheck import check as _check

    return _check(question, path, files)


def setup(hw: str | None = None, seed: int = 0, quiet: bool = False, course: str | None = None):
    """What a notebook's setup cell calls: seed everything, pick the device, enter the homework folder.

    ``hw`` is the homework id (``"hw1_wgan"``). The homework folder (see ``dgmlab.workspace``) is
    where figures, checkpoints and files to submit go: in Colab ``MyDrive/<course>/<hw>/`` on Google
    Drive (mounted here, once; ``course`` defaults to ``$DGMLAB_HOME`` or ``dgm-course``), elsewhere
    and while grading the notebook's own folder. It becomes the working directory.

    In fast and grading mode torch uses one CPU thread: the small models there
    run faster that way on a shared 2-core machine, and results do not depend
    on the thread count. In full mode on the CPU, :func:`dgmlab.runtime.cpu_threads`: the cores other programs
    leave idle (one on a busy shared CPU, where a thread waiting for a core slows every step). Returns the
    ``torch.device`` to use.
    """
    dev = runtime.device()
    if runtime.is_fast() or dev.type == "cpu":
        import torch

        torch.set_num_threads(runtime.cpu_threads())
    runtime.seed_everything(seed)
    if not quiet:
        print(runtime.describe())
    workspace.enter(hw, course=course, quiet=quiet)
    return dev
