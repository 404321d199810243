"""Reading a student's ``.pt`` file without trusting the sizes it states: the grader's own processes (``dgmlab
autograde``'s coordinator, ``dgmlab report``), where nothing limits memory, read every such file with :func:`load`;
:mod:`dgmlab.artifacts` (the judge's and the notebook's reads of a graded file) runs :func:`check` first.

``torch.load`` trusts the sizes a file states. A zip archive (what ``torch.save`` writes) can hold a deflated
record that expands to gigabytes from a few megabytes: torch allocates the record's stated size before any check
of its own, so a 3 MB file costs 3 GiB and a file under the 64 MiB cap about 64 GiB. And a tensor may be a view
that repeats one number over any shape (stride 0), so a file of a few bytes can hold a tensor that turns into
gigabytes as soon as it is copied.

So before unpickling anything, :func:`check` reads the archive's own directory with :mod:`zipfile` and refuses a
file that ``torch.save`` cannot have written: an entry that is compressed (``torch.save`` stores every entry as is,
so each entry's bytes are in the file), entries whose sizes add up to more than the file, an archive whose
directory two zip readers could read differently (bytes before or after it, two directories, a name twice), or a
file over the size cap. What is left costs at most the file's own size to load. After loading, :func:`load` refuses
a tensor larger than its storage (a view repeating numbers) and more tensors or tensor bytes than a file of that
size can hold. A file that is not a zip archive (torch's old format, or not torch's at all) goes to ``torch.load``
as before: that format stores every tensor's bytes in the file, and reading fails at the end of the file.

A refused file raises :class:`RefusedFile` (a ``ValueError``) naming the file and what is wrong; each caller treats
it as it treats any unreadable file (no similarity, no functional comparison, no image), so only that submission is
affected. Kernel side and grader side alike import it: it imports nothing of dgmlab.
"""
from __future__ import annotations

import io
import struct
import zipfile

MAX_BYTES = 64 * 2**20  # larger files are not read (a checkpoint, not a weights file): shared_weights.MAX_BYTES
MAX_TENSORS = 4096  # tensors in one file at most (the largest network the kit grades has a few hundred)
_LOCAL = b"PK\x03\x04"  # how torch.load tells a zip archive from its old format: the file's first 4 bytes
_END = struct.Struct("<4s4H2LH")  # end of central directory record (22 bytes)
_END64_LOCATOR = struct.Struct("<4sLQL")  # zip64 end of central directory locator (20 bytes)
_END64 = struct.Struct("<4sQ2H2L4Q")  # zip64 end of central directory record (56 bytes)


class RefusedFile(ValueError):
    """A student's file the grader does not unpickle; the message names the file and what is wrong."""


def check(data: bytes, name: str, max_bytes: int = MAX_BYTES) -> None:
    """Raise :class:`RefusedFile` unless loading ``data`` (the bytes of the file ``name``) with ``torch.load`` can
    cost no more than its own size: see the module docstring."""
    def refuse(what: str):
        raise RefusedFile(f"{name}: {what}; not read (hand in the file torch.save wrote, unchanged)")

    if len(data) > max_bytes:
        refuse(f"{len(data):,} bytes, more than the {max_bytes:,} a weights file can be")
    if data[:4] != _LOCAL:
        return  # torch's old format or not torch's: its tensors' bytes are in the file (see the docstring)
    directory = _directory(data, refuse)
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        refuse(f"not a readable zip archive ({exc})")
    if len(entries) != directory:
        refuse(f"its zip directory lists {directory} entries but holds {len(entries)}")
    names = [e.filename for e in entries]
    if len(set(names)) != len(names):
        refuse("a zip archive that holds an entry name twice")
    for e in entries:
        if e.compress_type != zipfile.ZIP_STORED or e.compress_size != e.file_size:
            refuse(f"entry {e.filename!r} is compressed ({e.file_size:,} bytes stored in {e.compress_size:,}); "
                   "torch.save stores every entry uncompressed")
    total = sum(e.file_size for e in entries)
    if total > len(data):
        refuse(f"its entries add up to {total:,} bytes, more than the file's {len(data):,}")


def _directory(data: bytes, refuse) -> int:
    """The number of entries the archive's one central directory lists, once its end records (at the very end of
    the file, no comment; zip64 records right before, as torch writes them) agree with each other and the directory
    ends where they begin: then every zip reader finds the same directory (else ``refuse``)."""
    if len(data) < _END.size or data[-_END.size:-_END.size + 4] != b"PK\x05\x06":
        refuse("not a zip archive torch.save wrote (its directory record is not at the end of the file)")
    _, disk, cd_disk, on_disk, count, cd_size, cd_offset, comment = _END.unpack(data[-_END.size:])
    end = len(data) - _END.size
    if comment or disk or cd_disk or on_disk != count:
        refuse("a zip archive with a comment or over several disks")
    locator = end - _END64_LOCATOR.size
    if locator >= 0 and data[locator:locator + 4] == b"PK\x06\x07":
        _, loc_disk, record, disks = _END64_LOCATOR.unpack(data[locator:end])
        end = locator - _END64.size
        if end < 0 or record != end or loc_disk or disks != 1 or data[end:end + 4] != b"PK\x06\x06":
            refuse("a zip archive whose zip64 records are not where they point")
        (_, size, _, _, disk64, cd_disk64, on_disk64, count64, cd_size64,
         cd_offset64) = _END64.unpack(data[end:locator])
        if size != _END64.size - 12 or disk64 or cd_disk64 or on_disk64 != count64:
            refuse("a zip archive with an extended zip64 record or over several disks")
        if (count, cd_size, cd_offset) != (count64, cd_size64, cd_offset64) and not (
                count == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF):
            refuse("a zip archive whose two directory records disagree")
        count, cd_size, cd_offset = count64, cd_size64, cd_offset64
    if cd_offset + cd_size != end:
        refuse("a zip archive with bytes between its directory and its end record")
    return count


def _tensors(obj, depth: int = 0):
    """Every tensor in ``obj`` (nested dicts, lists and tuples, as torch.load returns them)."""
    import torch

    if isinstance(obj, torch.Tensor):
        yield obj
    elif depth < 32 and isinstance(obj, dict):
        for v in obj.values():
            yield from _tensors(v, depth + 1)
    elif depth < 32 and isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _tensors(v, depth + 1)


def load(data: bytes, name: str, max_bytes: int = MAX_BYTES):
    """``torch.load(weights_only=True)`` of a student's file ``data`` (its bytes; ``name`` for the messages) on the
    CPU, after :func:`check`; raises :class:`RefusedFile` for a file refused before or after unpickling, and what
    torch raises for a damaged file."""
    import torch

    check(data, name, max_bytes)
    obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    count = total = 0
    for t in _tensors(obj):
        count += 1
        size = t.numel() * t.element_size()
        total += size
        if count > MAX_TENSORS:
            raise RefusedFile(f"{name}: more than {MAX_TENSORS:,} tensors; not read")
        if t.layout != torch.strided or size > t.untyped_storage().nbytes():
            raise RefusedFile(f"{name}: tensor of shape {tuple(t.shape)} repeats the numbers of a smaller storage "
                              "(a view torch.save does not write for a network's weights); not read")
        if total > max_bytes:
            raise RefusedFile(f"{name}: its tensors hold {total:,} bytes, more than the {max_bytes:,} a weights file "
                              "can; not read")
    return obj


__all__ = ["MAX_BYTES", "MAX_TENSORS", "RefusedFile", "check", "load"]
