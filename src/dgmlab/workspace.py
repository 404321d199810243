"""The homework folder: where a notebook's figures, checkpoints and files to hand in are written.

A Colab runtime's working folder ``/content`` is wiped when the runtime disconnects, while the
notebook itself lives in Google Drive. So in Colab the homework folder is on Drive::

    <DRIVE_MOUNT>/MyDrive/<course folder>/<hw>/      e.g. /content/drive/MyDrive/dgm-course/hw1_wgan/

(Drive is mounted once: Colab asks for permission the first time.) Everywhere else, and always
while nbgrader grades, it is the notebook's own folder (the working directory the kernel started
in), so grading finds the files beside the submitted notebook.

``dgmlab.setup(hw)`` calls :func:`enter`, which makes the homework folder the working directory:
every relative path a notebook uses (``figures/``, ``checkpoints/``, ``generator_weights.pt``) lands there.

Settings:

- the course folder: ``setup(hw, course=...)``, else ``$DGMLAB_HOME``, else ``dgm-course``. A
  relative name is taken inside ``MyDrive``; an absolute path (a shared drive, say) is used as is.
- the Drive mount point: ``$DGMLAB_DRIVE_MOUNT`` or the module attribute :data:`DRIVE_MOUNT`
  (default ``/content/drive``); tests point it at a temporary folder.
"""
from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

from . import runtime

COURSE_ENV = "DGMLAB_HOME"
MOUNT_ENV = "DGMLAB_DRIVE_MOUNT"
DEFAULT_COURSE = "dgm-course"
DRIVE_MOUNT = "/content/drive"

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_folder: Path | None = None  # set by enter()
_homework: str | None = None  # set by enter(): the homework the notebook's checks belong to


def in_colab() -> bool:
    """True inside a Google Colab runtime (its ``google.colab`` module is loaded or importable)."""
    if "google.colab" in sys.modules:
        return True
    try:
        return importlib.util.find_spec("google.colab") is not None
    except (ImportError, ValueError):
        return False


def _grading() -> bool:
    return runtime.is_grading()


def drive_mount() -> Path:
    """Where Google Drive is (or will be) mounted: ``$DGMLAB_DRIVE_MOUNT`` or :data:`DRIVE_MOUNT`."""
    return Path(os.environ.get(MOUNT_ENV) or DRIVE_MOUNT)


def course_folder(course: str | os.PathLike | None = None) -> Path:
    """The course folder on Drive: ``course``, else ``$DGMLAB_HOME``, else ``dgm-course``, inside MyDrive."""
    name = course if course is not None else (os.environ.get(COURSE_ENV) or DEFAULT_COURSE)
    path = Path(name).expanduser()
    if path.is_absolute():
        return path
    if not str(name).strip() or any(part in ("..", "") for part in Path(name).parts) or \
            not all(_NAME.fullmatch(part) for part in path.parts):
        raise ValueError(f"course folder {str(name)!r}: use a folder name such as 'dgm-course' (letters, digits, "
                         f"'_', '-', '.'; subfolders with '/'), or an absolute path; set it with "
                         f"dgmlab.setup(..., course=...) or the environment variable {COURSE_ENV}")
    return drive_mount() / "MyDrive" / path


def _check_hw(hw: str) -> str:
    if not isinstance(hw, str) or not _NAME.fullmatch(hw):
        raise ValueError(f"homework id {hw!r}: pass the homework's folder name, e.g. dgmlab.setup('hw1_wgan')")
    return hw


def mount_drive() -> Path:
    """Mount Google Drive at :func:`drive_mount` unless it is already there; return the mount point."""
    root = drive_mount()
    if not (root / "MyDrive").is_dir():
        from google.colab import drive  # only called in Colab

        drive.mount(str(root))
        if not (root / "MyDrive").is_dir():
            raise RuntimeError(f"Google Drive was mounted at {root} but {root / 'MyDrive'} does not exist")
    return root


def homework_folder(hw: str | None, course: str | os.PathLike | None = None) -> tuple[Path, str]:
    """Where ``hw``'s files go, and a few words on why: ``(folder, note)``. Mounts Drive in Colab.

    Falls back to the working directory (with a note saying the files will not survive) when Drive
    cannot be mounted in Colab or no homework id was given.
    """
    here = Path.cwd()
    if _grading():
        return here, "the notebook's folder (grading)"
    if not in_colab():
        return here, "this notebook's folder"
    if hw is None:
        return here, ("the runtime's working folder: NOT kept when the Colab runtime disconnects "
                      "(call dgmlab.setup('<homework id>') to keep files on Google Drive)")
    folder = course_folder(course) / _check_hw(hw)
    try:
        mount_drive()
    except Exception as exc:  # the student declined, or Drive is unavailable: keep working, loudly
        return here, (f"the runtime's working folder, because Google Drive could not be mounted ({exc}): files here "
                      f"are LOST when the runtime disconnects; run this cell again to retry")
    return folder, "on Google Drive: kept when the Colab runtime disconnects"


def enter(hw: str | None = None, course: str | os.PathLike | None = None, quiet: bool = False) -> Path:
    """Find the homework folder, create it, make it the working directory and say where files go."""
    global _folder, _homework
    if hw is not None:
        _check_hw(hw)
        _homework = hw
    folder, note = homework_folder(hw, course)
    folder.mkdir(parents=True, exist_ok=True)
    if folder.resolve() != Path.cwd().resolve():
        os.chdir(folder)
    _folder = folder.resolve()
    if not quiet and not _grading():
        print(f"dgmlab: homework folder {_folder} ({note}); figures, checkpoints and files to submit are saved here")
    return _folder


def current_homework() -> str | None:
    """The homework id the setup cell gave :func:`enter` (``None`` before it ran)."""
    return _homework


def folder() -> Path:
    """The homework folder :func:`enter` chose (the working directory when it was not called)."""
    return _folder if _folder is not None else Path.cwd().resolve()


def saved(path: str | os.PathLike, graded: bool = False, what: str = "saved") -> Path:
    """Print where a file was written (its full path); for a graded file, that it must be submitted.

    Returns the absolute path. Notebooks call it right after writing a file.
    """
    full = Path(path).expanduser().resolve()
    line = f"{what}: {full}"
    if graded:
        line += ("\n  -> graded: submit this file together with the notebook"
                 + (" (download it from Google Drive)" if in_colab() and not _grading() else ""))
    print(line)
    return full
