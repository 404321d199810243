"""dgmlab.weights_files: the grader's own processes read a student's .pt file without trusting its sizes."""
import io
import json
import struct
import subprocess
import sys
import zipfile

import pytest
import torch

from conftest import ROOT
from dgmlab import weights_files as WF

BOMB_BYTES = 256 * 2**20  # what the bomb's data record expands to


def _saved(obj, **kwargs) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer, **kwargs)
    return buffer.getvalue()


def make_bomb(path, expands_to: int = BOMB_BYTES):
    """A torch.save file whose data record is rewritten deflated and ``expands_to`` bytes long (zeros): a few
    hundred kilobytes that torch.load would expand in full (the red team's, smaller)."""
    original = zipfile.ZipFile(io.BytesIO(_saved({"w": torch.zeros(4)})))
    with zipfile.ZipFile(path, "w") as out:
        for info in original.infolist():
            if info.filename.endswith("/data/0"):
                deflated = zipfile.ZipInfo(info.filename)
                deflated.compress_type = zipfile.ZIP_DEFLATED
                with out.open(deflated, "w", force_zip64=True) as record:
                    chunk = b"\0" * 2**24
                    for _ in range(expands_to // len(chunk)):
                        record.write(chunk)
            else:
                out.writestr(info, original.read(info.filename))


def _deflated(path):
    return [i.compress_type for i in zipfile.ZipFile(path).infolist() if i.filename.endswith("/data/0")]


_GROWTH = """
import resource, sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_weights_files import make_bomb
make_bomb(Path({path!r}))
data = Path({path!r}).read_bytes()
import torch, io
from dgmlab import weights_files as WF
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    {load}
    outcome = "loaded"
except Exception as exc:
    outcome = type(exc).__name__
print(outcome, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
"""


def _peak_growth_mib(tmp_path, load: str):
    """(outcome, MiB the peak RSS grew by while ``load`` read the bomb), in a fresh process of its own."""
    code = _GROWTH.format(tests=str(ROOT / "tests"), path=str(tmp_path / "bomb.pt"), load=load)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    outcome, growth = done.stdout.split()[-2:]
    return outcome, float(growth)


def test_a_zip_bomb_is_refused_before_it_is_expanded(tmp_path):
    outcome, growth = _peak_growth_mib(tmp_path, 'WF.load(data, "generator_weights.pt")')
    assert outcome == "RefusedFile" and growth < 32, (outcome, growth)
    # a real bomb: its record, read in chunks, is 256 MiB from a file of some 260 KB (torch.load allocates all of
    # it at once: 244 MiB of peak-RSS growth measured alone; not asserted, swapping on a busy machine hides it)
    assert _deflated(tmp_path / "bomb.pt") == [zipfile.ZIP_DEFLATED]
    with zipfile.ZipFile(tmp_path / "bomb.pt") as z, z.open("archive/data/0") as record:
        expanded = sum(len(chunk) for chunk in iter(lambda: record.read(2**22), b""))
    assert expanded == BOMB_BYTES and (tmp_path / "bomb.pt").stat().st_size < BOMB_BYTES / 500


def test_a_zip_bomb_is_refused_with_the_file_and_the_entry_named(tmp_path):
    make_bomb(tmp_path / "bomb.pt", 2**24)
    with pytest.raises(WF.RefusedFile, match=r"generator_weights\.pt: entry 'archive/data/0' is compressed"):
        WF.load((tmp_path / "bomb.pt").read_bytes(), "generator_weights.pt")


def test_a_torch_save_file_loads():
    state = {"w": torch.randn(5, 3), "b": torch.zeros(5), "n": torch.tensor(7)}
    loaded = WF.load(_saved(state), "w.pt")
    assert set(loaded) == set(state) and all(torch.equal(loaded[k], state[k]) for k in state)
    published = (ROOT / "examples" / "demo_reference" / "hw1_wgan" / "generator_weights.pt").read_bytes()
    assert isinstance(WF.load(published, "generator_weights.pt"), dict)


def test_a_file_in_torchs_old_format_loads_as_before():
    state = {"w": torch.randn(5, 3)}
    old = _saved(state, _use_new_zipfile_serialization=False)
    assert old[:4] != b"PK\x03\x04" and torch.equal(WF.load(old, "w.pt")["w"], state["w"])
    with pytest.raises(Exception) as raised:  # not torch's at all: torch's own error, as before
        WF.load(b"not a torch file", "w.pt")
    assert not isinstance(raised.value, WF.RefusedFile)


def _stated_sizes(data: bytes, entry: bytes, size: int) -> bytes:
    """``data`` with the central directory's compressed and uncompressed sizes of ``entry`` set to ``size``."""
    at = data.index(b"PK\x01\x02")  # the first directory header
    while data[at + 46:at + 46 + len(entry)] != entry:
        at = data.index(b"PK\x01\x02", at + 4)
    return data[:at + 20] + struct.pack("<2L", size, size) + data[at + 28:]


def _twice(data: bytes) -> bytes:
    """``data`` rewritten with its first tensor's record stored a second time under the same name."""
    original, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as z, pytest.warns(UserWarning, match="Duplicate"):
        for info in original.infolist():
            z.writestr(info, original.read(info))
        z.writestr("archive/data/0", b"\0" * 256)
    return out.getvalue()


def test_entries_stating_more_bytes_than_the_file_holds_are_refused():
    data = _saved({"w": torch.randn(64)})
    inflated = _stated_sizes(data, b"archive/data/0", 2**30)
    with pytest.raises(WF.RefusedFile, match="add up to .* more than the file's"):
        WF.check(inflated, "w.pt")


@pytest.mark.parametrize("edit, reason", [
    (lambda d: d + b"\0", "not at the end"),  # bytes after the archive
    (lambda d: d[:-2] + b"\1\0" + b"x", "not at the end"),  # a comment: another reader may find another directory
    (_twice, "an entry name twice"),  # which of the two is read depends on the reader
])
def test_an_archive_other_readers_could_read_differently_is_refused(edit, reason):
    with pytest.raises(WF.RefusedFile, match=reason):
        WF.check(edit(_saved({"w": torch.randn(64)})), "w.pt")


def test_a_view_that_repeats_a_few_numbers_into_a_huge_tensor_is_refused():
    data = _saved({"w": torch.zeros(1).expand(30000, 30000)})  # 1,577 bytes; 3.6 GB once copied
    assert len(data) < 4096
    with pytest.raises(WF.RefusedFile, match=r"shape \(30000, 30000\) repeats"):
        WF.load(data, "w.pt")


def test_more_tensor_bytes_than_the_cap_are_refused():
    big = torch.zeros(2**20)  # 4 MiB, saved once; 20 views of all of it
    with pytest.raises(WF.RefusedFile, match="tensors hold"):
        WF.load(_saved({f"v{i}": big[:] for i in range(20)}), "w.pt", max_bytes=64 * 2**20)


def test_a_file_over_the_cap_is_refused_unread():
    with pytest.raises(WF.RefusedFile, match="more than the 1,000"):
        WF.load(_saved({"w": torch.randn(1000)}), "w.pt", max_bytes=1000)


def test_the_graders_readers_treat_a_bomb_as_an_unreadable_file(tmp_path):
    """shared_weights (dgmlab report, the coordinator's published_copy), functional_copies and the dashboard's
    sample grid: a note of why, no tensors, no outputs, no exception."""
    from dgmlab.grading.copies import functional_copies as FC
    from dgmlab.grading.copies import shared_weights as SW
    from dgmlab.grading.course import Course
    from dgmlab.grading.report import dashboard_charts

    make_bomb(tmp_path / "generator_weights.pt", 2**24)
    data = (tmp_path / "generator_weights.pt").read_bytes()
    networks = FC.kit_networks(Course(ROOT), "hw4_gans")
    weights = SW.weights_of(data, networks, "generator_weights.pt")
    assert weights.tensors == [] and weights.function is None and "is compressed" in weights.unread
    with pytest.raises(FC.NoKitNetwork, match="is compressed"):
        networks[0].fingerprint(data)
    image, why = dashboard_charts.sample_grid(tmp_path / "generator_weights.pt")
    assert image is None and "is compressed" in why
    json.dumps(why)  # plain text for the page


def test_the_judges_read_of_a_graded_file_refuses_a_bomb_unexpanded(tmp_path):
    # dgmlab.artifacts is how the judge reads a handed-in weights file: a bomb under the size cap is refused there
    # too, before torch.load allocates what it claims (red team F8, the judge's side)
    from dgmlab.artifacts import ArtifactError, load_bytes

    make_bomb(tmp_path / "generator_weights.pt")
    data = (tmp_path / "generator_weights.pt").read_bytes()
    with pytest.raises(ArtifactError, match="compressed"):
        load_bytes(data, name="generator_weights.pt", max_bytes=4 * 2**20)
