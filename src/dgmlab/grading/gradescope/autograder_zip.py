"""The Gradescope autograder zip of a homework: ``setup.sh`` and ``run_autograder`` at its root, and
``grader/`` (root's alone once set up, mode 700) holding what grading the homework needs and nothing of any
student: the course's ``nbgrader_config.py``, a gradebook holding only this homework's cells (a course's own
homework's hidden tests included; a kit homework's come with the grader, ``dgmlab.grading.hidden``),
``source/<hw>/`` (its files and the source notebook), the kit's published weights files of the homework
(a handed-in copy of one is refused), the course's draw key (the graded draws' and check inputs'
seeds: :mod:`dgmlab.grading.autograde.draw_seeds`) and ``settings.json`` (the graded cells in order, the limits,
the late policy, the course's due date); and ``wheels/``: the dgmlab and dgmlab-grader wheels (:mod:`.wheels`: built from this checkout,
or ``--wheels DIR``'s; none with ``--pip SPEC``).

``setup.sh`` (run once by Gradescope, as root, when it builds the image): makes ``grader/`` root's alone,
installs the Debian packages the image lacks (``apt-get update`` first; bubblewrap is optional), CPU torch from
PyTorch's index (the course's torch and torchvision versions: :func:`torch_install`), the zip's wheels by path
(their published dependencies from the package index), makes the grader's packages unreadable to other users,
adds the unprivileged kernel user (:mod:`.boundary`), and checks the result. ``DGMLAB_GRADESCOPE_PYTHON``: use that
Python, which already holds the grader, and install nothing (a custom image). ``DGMLAB_GRADESCOPE_APT=0``: install
no Debian package. pip's own settings (``PIP_NO_INDEX``, ``PIP_FIND_LINKS``) apply, so an offline image installs
from a local folder of wheels.
``run_autograder`` runs :mod:`.run`.
"""
from __future__ import annotations

import json
import re
import shlex
import shutil
import stat
import tempfile
import zipfile
from importlib.metadata import PackageNotFoundError, requires, version
from pathlib import Path

import nbformat

from ... import __version__
from .. import draw_key, layout
from ..autograde.keys import folder_files, ignored_in_source
from ..autograde.options import RunOptions
from ..copies.shared_weights import published_files
from ..course import hidden_tests_copied
from ..term import late
from ..term.deadlines import DgmlabDeadlines, load_policy, parse_time
from . import wheels as wheels_module
from .boundary import KERNEL_USER
from .results import VISIBILITY

TORCH_INDEX = "https://download.pytorch.org/whl/cpu"  # PyTorch's own index of CPU-only wheels (no CUDA: smaller)

SETUP = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (dgmlab {version}, {hw}).
set -euo pipefail
ROOT="${{DGMLAB_GRADESCOPE_ROOT:-/autograder}}"
SRC="$ROOT/source"
# the grading files and the course's draw key: root's alone
chmod 700 "$SRC" "$SRC/grader"
chmod -R go-rwx "$SRC/grader"
if [ -n "${{DGMLAB_GRADESCOPE_PYTHON:-}}" ]; then
    PY="$DGMLAB_GRADESCOPE_PYTHON"  # a Python that already holds dgmlab-grader {version}: install nothing
else
    # Debian/Ubuntu packages, only those missing; DGMLAB_GRADESCOPE_APT=0: install none (an image that has them)
    need=()
    python3 -c "import ensurepip, venv" > /dev/null 2>&1 || need+=(python3-venv python3-pip)
    command -v prlimit > /dev/null || need+=(util-linux)
    command -v useradd > /dev/null || need+=(passwd)
    command -v bwrap > /dev/null || need+=(bubblewrap)
    if [ "${{#need[@]}}" -gt 0 ] && [ "${{DGMLAB_GRADESCOPE_APT:-1}}" != 0 ]; then
        if ! {{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${{need[@]}}"; }}; then
            echo "dgmlab setup: apt-get could not install ${{need[*]}}; going on with what the image has" >&2
        fi
    fi
    python3 -c "import ensurepip, venv" || {{ echo "dgmlab setup: python3 with venv and ensurepip is needed (python3-venv)" >&2; exit 1; }}
    command -v prlimit > /dev/null || {{ echo "dgmlab setup: prlimit is needed (util-linux)" >&2; exit 1; }}
    python3 -m venv /opt/dgmlab
    chmod o+x /opt /opt/dgmlab  # the kernel user starts its Python from here (an image may close /opt)
    PY=/opt/dgmlab/bin/python
    "$PY" -m pip install --upgrade pip || echo "dgmlab setup: pip not upgraded; going on with $("$PY" -m pip --version)" >&2
    {torch_install}
    {install}
    # the grader's packages (references, hidden tests' helpers, nbgrader): root's alone, so that a kernel run as
    # the unprivileged user (where bubblewrap cannot run) cannot read them
    "$PY" -I -c "from dgmlab.grading.gradescope.boundary import package_folders
print(*package_folders(), sep=chr(10))" | while IFS= read -r dir; do
        if [ -n "$dir" ] && [ -d "$dir" ]; then chown -R root:root "$dir"; chmod -R go-rwx "$dir"; fi
    done
    id -u {kernel_user} > /dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin {kernel_user}
fi
printf '%s\n' "$PY" > "$SRC/grader/python"
"$PY" -m dgmlab.grading.gradescope.run --check --root "$ROOT"
"""

RUN = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission (dgmlab {version}, {hw}): it writes $ROOT/results/results.json.
set -euo pipefail
ROOT="${{DGMLAB_GRADESCOPE_ROOT:-/autograder}}"
cd "$ROOT"
exec "$(cat "$ROOT/source/grader/python")" -I -m dgmlab.grading.gradescope.run --root "$ROOT"
"""


def torch_install(index: str = TORCH_INDEX) -> str:
    """setup.sh's line that installs CPU torch and torchvision from ``index``: the versions this course built the
    zip with (so two builds of the image grade with the same torch), else, where those cannot be had (an offline
    image, a build the index lacks), the kit's lower bounds (dgmlab's requirements), saying so."""
    floor = [r for r in requires("dgmlab") or [] if re.match(r"(torch|torchvision)\s*[<>=!~]", r) and ";" not in r]
    try:
        pins = [f"{name}=={version(name).split('+')[0]}" for name in ("torch", "torchvision")]
    except PackageNotFoundError:
        pins = floor
    pip = f'"$PY" -m pip install --index-url {index}'
    words = " and ".join(pins)
    return (f"{pip} {' '.join(map(shlex.quote, pins))} || {{ echo \"dgmlab setup: {words} (what the course built "
            f"the zip with) could not be installed; installing {' and '.join(floor)} instead\" >&2; "
            f"{pip} {' '.join(map(shlex.quote, floor))}; }}")


def graded_cells(gradebook: Path, course_id: str, hw: str, order: list) -> list:
    """The homework's graded cells (``{"notebook", "grade_id", "max_score", "manual"}``) from the template
    gradebook, in ``order`` (the source notebook's grade ids) and the gradebook's order after that. Manual: a
    written answer (a Markdown grade cell or a task) or code graded by hand (a grade cell that is also a solution)."""
    from .. import nbgrader_gradebook

    cells = []
    with nbgrader_gradebook.open_gradebook_file(gradebook, course_id) as gb:
        for nb in sorted(gb.find_assignment(hw).notebooks, key=lambda n: n.name):
            solutions = {c.name for c in nb.solution_cells}
            for c in nb.grade_cells:
                cells.append({"notebook": nb.name, "grade_id": c.name, "max_score": c.max_score,
                              "manual": c.cell_type == "markdown" or c.name in solutions})
            for c in nb.task_cells:
                cells.append({"notebook": nb.name, "grade_id": c.name, "max_score": c.max_score, "manual": True})
    rank = {gid: i for i, gid in enumerate(order)}
    return sorted(cells, key=lambda c: (c["notebook"], rank.get(c["grade_id"], len(rank))))


def notebook_order(path: Path) -> list:
    nb = nbformat.read(path, as_version=4)
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if isinstance(c.metadata.get("nbgrader"), dict) and c.metadata["nbgrader"].get("grade_id")]


def _late_settings(course: layout.Course, hw: str, grader: Path) -> tuple[str, str, str | None]:
    """``(policy name, time zone, due)`` of ``hw``: its late policy (a course's own policy module is copied in)
    and the course's due date (``c.DgmlabDeadlines.due``, ISO; ``None`` where it sets none), which the results
    name where Gradescope's differs."""
    settings = course.settings(DgmlabDeadlines)
    due = settings.due.get(hw)
    try:
        due = parse_time(due, late.zone(settings.timezone)).isoformat() if due else None
    except (ValueError, TypeError) as exc:
        raise layout.CourseError(f"nbgrader_config.py: c.DgmlabDeadlines.due[{hw!r}]: {exc}") from exc
    name = settings.policies.get(hw, settings.policy)
    load_policy(name, course.root)  # a clear error now rather than in every grading
    if "." in name:
        module = course.root / (name.rsplit(".", 1)[0].replace(".", "/") + ".py")
        target = grader / module.relative_to(course.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(module, target)
    return name, settings.timezone, due


def write_autograder(course: layout.Course, hw: str, out: Path, options: RunOptions | None = None, *,
                     visibility: str = "visible", pip: str | None = None, wheels: Path | None = None,
                     force: bool = False) -> Path:
    """Write ``hw``'s autograder zip to ``out`` and return it (refuses to replace a file unless ``force``).
    Each submission is graded as ``options`` says (:class:`~dgmlab.grading.autograde.options.RunOptions`): its
    timeout, cell timeout, sandbox and limits; ``options.refuse_published``: bundle the kit's published weights
    files, so that a copy of one handed in is refused as ``dgmlab autograde`` refuses it
    (``c.DgmlabAutograde.grade_published`` turns it off). Gradescope grades one submission at a time and always
    returns feedback: the other options do not apply."""
    from ..autograde.homework_bundle import course_id, template_gradebook

    options = options or RunOptions()
    (hw,) = course.check_homeworks([hw])
    _refuse(course, hw, out, visibility=visibility, pip=pip, wheels=wheels, force=force)
    config = course.config()
    cid = course_id(config)
    with tempfile.TemporaryDirectory(prefix="dgmlab-gradescope-") as tmp:
        stage = Path(tmp)
        wheel_files = [] if pip else wheels_module.pick(wheels, __version__) if wheels else wheels_module.build(stage / "wheels", __version__)
        grader = stage / "grader"
        grader.mkdir()
        template_gradebook(course, hw, grader / "gradebook.db", config)
        notebooks = sorted({c["notebook"] for c in graded_cells(grader / "gradebook.db", cid, hw, [])})
        cells = graded_cells(grader / "gradebook.db", cid, hw, notebook_order(course.source_notebook(hw)))
        shutil.copy(course.root / "nbgrader_config.py", grader / "nbgrader_config.py")
        source_rel = _copy_source(course, hw, grader)
        published = _copy_published(course, hw, grader) if options.refuse_published else []
        (grader / "draw.key").write_text(draw_key.course_key(course).hex() + "\n", encoding="utf-8")
        policy, tz, due = _late_settings(course, hw, grader)
        limits, sandbox = options.limits, options.sandbox
        settings = {"hw": hw, "version": __version__, "course_id": cid, "notebooks": notebooks, "cells": cells,
                    "timeout": float(options.timeout), "cell_timeout": options.cell_timeout, "memory": limits.memory,
                    "file_size": limits.file_size, "tmpfs": limits.tmpfs,
                    "sandbox": sandbox if sandbox is None else bool(sandbox), "visibility": visibility,
                    "late_policy": policy, "timezone": tz, "course_due": due, "source_folder": source_rel.as_posix(),
                    "published": published}
        (grader / "settings.json").write_text(json.dumps(settings, indent=1), encoding="utf-8")
        _write_zip(out, stage, _scripts(hw, wheel_files, pip), wheel_files)
    return out


def _refuse(course: layout.Course, hw: str, out: Path, *, visibility: str, pip: str | None, wheels: Path | None,
            force: bool) -> None:
    """Raises :class:`~dgmlab.grading.layout.CourseError` where no autograder can be written as asked."""
    problem = hidden_tests_copied(course, hw)  # Gradescope's nbgrader would copy them to the kernel's folder
    if problem:
        raise layout.CourseError(f"{problem}; no autograder was written")
    if visibility not in VISIBILITY:
        raise layout.CourseError(f"--visibility must be one of {', '.join(VISIBILITY)} (got {visibility!r})")
    if out.exists() and not force:
        raise layout.CourseError(f"{out} exists: remove it or pass --force to replace it")
    if pip and wheels:
        raise layout.CourseError("--pip and --wheels say two ways to install the grader: give one (neither: the zip "
                            "carries wheels built from this checkout)")


def _copy_source(course: layout.Course, hw: str, grader: Path) -> Path:
    """Copies source/<hw>/ under ``grader`` where the course's config puts it (returned, relative): its files
    (nbgrader copies them over the submission) and the source notebook (the published networks' architectures are
    read from it)."""
    source_rel = course.folder("source", hw).relative_to(course.root)
    source = {k: v for k, v in folder_files(course.folder("source", hw)).items()
              if not ignored_in_source(k) and not k.endswith(".ipynb")}
    source[f"{hw}.ipynb"] = course.source_notebook(hw).read_bytes()
    for rel, data in source.items():
        (grader / source_rel / rel).parent.mkdir(parents=True, exist_ok=True)
        (grader / source_rel / rel).write_bytes(data)
    return source_rel


def _copy_published(course: layout.Course, hw: str, grader: Path) -> list:
    """Copies the kit's own weights files of ``hw`` under ``grader`` (a handed-in copy of one is refused, as by
    autograde); returns their paths, relative to the course."""
    published = [p.relative_to(course.root).as_posix() for p in published_files(course, hw)]
    for rel in published:
        (grader / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(course.root / rel, grader / rel)
    return published


def _scripts(hw: str, wheel_files: list, pip: str | None) -> dict:
    """``{name: text}`` of setup.sh and run_autograder, installing the zip's wheels by path (these files, whatever
    the index holds of the same names) or else ``pip``'s requirement."""
    if wheel_files:
        install = '"$PY" -m pip install ' + " ".join(f'"$SRC/wheels/{w.name}"' for w in wheel_files)
    else:
        install = '"$PY" -m pip install ' + " ".join(shlex.quote(w) for w in pip.split())
    words = {"version": __version__, "hw": hw, "torch_install": torch_install(), "kernel_user": KERNEL_USER,
             "install": install}
    return {"setup.sh": SETUP.format(**words), "run_autograder": RUN.format(**words)}


def _write_zip(out: Path, stage: Path, scripts: dict, wheel_files: list) -> None:
    """The zip, written beside ``out`` (the owner's alone: it holds the draw key, the hidden tests and the
    solutions) and then moved onto it: the scripts, ``stage``'s ``grader/`` and the wheels."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    partial.touch(mode=0o600)
    partial.chmod(0o600)
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in scripts.items():
            _add(zf, name, text.encode("utf-8"), 0o755)
        _add_dir(zf, "grader/", 0o700)
        for path in sorted((stage / "grader").rglob("*")):
            rel = path.relative_to(stage).as_posix()
            if path.is_dir():
                _add_dir(zf, rel + "/", 0o700)
            else:
                _add(zf, rel, path.read_bytes(), 0o600)
        for wheel in wheel_files:
            _add(zf, f"wheels/{wheel.name}", wheel.read_bytes(), 0o644)
    partial.chmod(0o600)  # it holds the draw key, the hidden tests and the solutions: the owner's alone
    partial.replace(out)


def _add(zf: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # the same homework, the same zip
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | mode) << 16
    zf.writestr(info, data)


def _add_dir(zf: zipfile.ZipFile, name: str, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFDIR | mode) << 16 | 0x10
    zf.writestr(info, b"")

