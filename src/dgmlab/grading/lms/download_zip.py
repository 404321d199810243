"""Reading an LMS's download zip without trusting it (:mod:`.intake` places what it reads): which entries are not
read at all (unsafe names, links, over ``max_file_bytes``, compressed like a zip bomb, a name the zip holds twice), the
bound on what the rest unpack to, and each entry read whole, its size and checksum checked."""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import Protocol

from ..inert import terminal
from ..layout import CourseError
from .download_names import unsafe_name

MIB = 2 ** 20
RATIO_FROM = MIB  # the compression ratio is judged on entries larger than this (small text compresses well)
SYMLINK = 0o120000  # a zip entry's Unix mode (its external attributes' high 16 bits) for a symbolic link


class Limits(Protocol):
    """What a download is held to (:class:`dgmlab.grading.lms.intake.DgmlabCollect`)."""
    max_file_bytes: int
    max_ratio: int
    max_total_bytes: int


def inert(text) -> str:
    """``text`` quoted and safe to print on a terminal (a zip entry's name or an error about one)."""
    return terminal(repr(str(text)))


def open_zip(zip_path) -> zipfile.ZipFile:
    """``zip_path`` opened, or a :class:`CourseError` saying it is not a readable zip."""
    try:
        return zipfile.ZipFile(zip_path)
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise CourseError(f"{zip_path} is not a readable zip ({inert(exc)})") from exc


def screen(infos: list, limits: Limits, zip_path) -> dict:
    """``{id(info): why it is not read at all}`` (so it counts toward no limit); a zip whose other entries unpack to
    more than ``limits.max_total_bytes`` is a :class:`CourseError`."""
    count: dict = {}
    for info in infos:
        count[info.filename] = count.get(info.filename, 0) + 1
    refused = {}
    for info in infos:
        why = refusal(info, limits)
        if not why and count[info.filename] > 1:
            why = (f"refused: {count[info.filename]} entries have this name (an LMS writes each once): which "
                   "is the student's cannot be told")
        if why:
            refused[id(info)] = why
    total = sum(i.file_size for i in infos if id(i) not in refused)
    if total > limits.max_total_bytes:
        raise CourseError(f"{zip_path} unpacks to {total} bytes, more than c.DgmlabCollect.max_total_bytes = "
                          f"{limits.max_total_bytes} (entries refused one by one not counted): nothing was "
                          "placed (raise the limit in nbgrader_config.py if this zip is what the LMS gave)")
    return refused


def refusal(info: zipfile.ZipInfo, limits: Limits) -> str:
    """Why ``info`` is not read at all (its name, its kind, its size), or ``""``."""
    why = unsafe_name(info.filename)
    if why:
        return f"refused: {why}"
    if (info.external_attr >> 16) & 0o170000 == SYMLINK:
        return "refused: a symbolic link, not a file"
    if info.file_size > limits.max_file_bytes:
        return (f"{info.file_size} bytes unpacked: more than c.DgmlabCollect.max_file_bytes = "
                f"{limits.max_file_bytes}, not read")
    if info.file_size > RATIO_FROM and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        return (f"refused: {info.file_size} bytes packed into {info.compress_size} (more than "
                f"c.DgmlabCollect.max_ratio = {limits.max_ratio} times: a zip bomb?), not read")
    return ""


def read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, zip_path, out: Path | None) -> None:
    """Read ``info`` whole (its checksum checked, never more than its declared size), into ``out`` when given; a
    damaged entry is a :class:`CourseError` saying nothing was placed."""
    size = 0
    try:
        with archive.open(info) as src, (out.open("xb") if out is not None else _Discard()) as dst:
            while True:
                chunk = src.read(MIB)
                if not chunk:
                    break
                size += len(chunk)
                dst.write(chunk)
        if size != info.file_size:
            raise zipfile.BadZipFile(f"{size} bytes where the zip declares {info.file_size}")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError,
            ValueError, OSError) as exc:
        raise CourseError(f"{zip_path}: the entry {inert(info.filename)} cannot be read ({inert(exc)}): the zip is "
                          "damaged or was changed after the LMS made it. Nothing was placed: submitted/ is as it "
                          "was. Download the submissions again from the LMS") from exc


class _Discard:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write(self, data):
        return len(data)
