"""A course's own homework's recorded values (`dgmlab build --record-expected`, dgmlab.authoring.expected) and what
`dgmlab build --check` compares of its files, on a scratch course holding the template (`dgmlab new-homework`)."""
import json
import shutil

import pytest
import torch

from conftest import ROOT
from dgmlab import probes
from dgmlab.authoring.build import BuildError, build
from dgmlab.authoring.template import new_homework
from dgmlab.probes import wire

HW = "hw6_gauss"
CELL = "q1_log_density_tests"


@pytest.fixture
def course(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    new_homework(tmp_path, HW)
    return tmp_path


@pytest.fixture
def recorded(course, capsys):
    assert build(course, [HW], record_expected=True) == 0
    capsys.readouterr()
    return course


def _reference_on_the_working_draw():
    spec = probes.spec_for(HW, CELL)
    inputs = probes.make_inputs(spec, probes.WORKING_SEED)
    return torch.distributions.Normal(inputs["mu"], inputs["log_sigma"].exp()).log_prob(inputs["x"])


def test_record_expected_writes_the_reference_values_on_the_visible_tests_draw(recorded):
    values = wire.loads((recorded / "homeworks" / HW / "expected.json").read_text(encoding="utf-8"))
    assert list(values) == [CELL] and list(values[CELL]) == ["log_density"]
    assert torch.equal(values[CELL]["log_density"], _reference_on_the_working_draw())


def test_the_build_copies_the_recorded_values_beside_the_checks_it_releases(recorded):
    mine, copy = recorded / "homeworks" / HW / "expected.json", recorded / "source" / HW / "expected.json"
    assert copy.read_bytes() == mine.read_bytes()


def test_the_recorded_values_are_plain_data_holding_no_hidden_test_or_reference(recorded):
    text = (recorded / "source" / HW / "expected.json").read_text(encoding="utf-8")
    assert isinstance(json.loads(text), dict)
    for secret in ("expected_log_density", "test_values_on_a_fresh_draw", "log_prob", "Normal", "def "):
        assert secret not in text, f"expected.json holds {secret!r}"


def test_record_expected_refuses_a_hidden_py_without_expected(course):
    hidden = course / "homeworks" / HW / "hidden.py"
    text = hidden.read_text(encoding="utf-8")
    hidden.write_text(text.replace('EXPECTED = {"q1_log_density_tests": expected_log_density}\n', ""),
                      encoding="utf-8")
    with pytest.raises(BuildError, match="hidden.py defines no EXPECTED, so there is nothing to record"):
        build(course, [HW], record_expected=True)
    assert not (course / "homeworks" / HW / "expected.json").exists()


def test_record_expected_with_check_is_refused(course):
    with pytest.raises(BuildError, match="--check compares and writes nothing"):
        build(course, [HW], check=True, record_expected=True)


def test_check_names_no_course_file_when_the_copies_and_recorded_values_are_current(recorded, capsys):
    build(recorded, [HW], check=True)  # it still fails for the checked cell's output, recorded by a kernel run
    err = capsys.readouterr().err
    assert "without a recorded output" in err
    assert not [word for word in ("expected.json", "checks.py", "hidden.py", "out of date") if word in err], err


@pytest.mark.parametrize("name", ["checks.py", "hidden.py"])
def test_check_fails_naming_a_stale_copy_in_source_and_what_to_run(recorded, capsys, name):
    copy = recorded / "source" / HW / name
    copy.write_text(copy.read_text(encoding="utf-8") + "# edited by hand\n", encoding="utf-8")
    assert build(recorded, [HW], check=True) == 1
    assert f"source/{HW}/{name} differs from homeworks/{HW}/{name}: run dgmlab build {HW}" in capsys.readouterr().err


def test_check_fails_when_the_recorded_values_are_stale(recorded, capsys):
    checks = recorded / "homeworks" / HW / "checks.py"
    checks.write_text(checks.read_text(encoding="utf-8").replace("0.5 * torch.randn(6", "0.4 * torch.randn(6"),
                      encoding="utf-8")
    assert build(recorded, [HW], check=True) == 1
    assert (f"homeworks/{HW}/expected.json is stale for {CELL} (hidden.py's EXPECTED gives other values on "
            f"checks.py's inputs): run dgmlab build --record-expected {HW}") in capsys.readouterr().err


def test_check_fails_when_the_values_were_never_recorded(course, capsys):
    build(course, [HW])
    capsys.readouterr()
    assert build(course, [HW], check=True) == 1
    assert (f"homeworks/{HW}/expected.json is missing: record it with dgmlab build --record-expected {HW}"
            in capsys.readouterr().err)


def _self_check(folder, values) -> list:
    """What a student's kernel judges for the template's Q1 with ``folder``'s checks.py beside the notebook."""
    probes.load_checks(HW, folder)
    spec = probes.spec_for(HW, CELL)
    inputs = probes.make_inputs(spec, probes.WORKING_SEED)
    data = {"log_density": values(inputs), "working": {"log_density": values(inputs["working"])}}
    return probes.judge(HW, spec, wire.loads(wire.dumps(data)), probes.WORKING_SEED).results


def test_a_self_check_compares_with_the_values_recorded_beside_checks_py(recorded):
    def right(x):
        return torch.distributions.Normal(x["mu"], x["log_sigma"].exp()).log_prob(x["x"])

    def no_constant(x):
        return right(x) + 0.5 * torch.log(torch.tensor(2 * torch.pi, dtype=torch.float64))

    passed = {name: ok for name, _, _, ok, _ in _self_check(recorded / "source" / HW, right)}
    assert passed == {"test_returns_one_float64_value_per_x": True, "test_matches_the_reference_values": True}
    passed = {name: ok for name, _, _, ok, _ in _self_check(recorded / "source" / HW, no_constant)}
    assert passed == {"test_returns_one_float64_value_per_x": True, "test_matches_the_reference_values": False}


def test_a_self_check_without_the_recorded_values_says_what_is_missing(recorded):
    (recorded / "source" / HW / "expected.json").unlink()
    results = _self_check(recorded / "source" / HW, lambda x: torch.zeros_like(x["x"]))
    reason = dict((name, why) for name, _, _, _, why in results)["test_matches_the_reference_values"]
    assert reason.startswith(f"no recorded values for {CELL}: expected.json, handed out with checks.py, is missing")


def test_record_expected_of_a_kit_homework_records_it_from_the_graders_references(monkeypatch, tmp_path):
    """Issue 64: `dgmlab build --record-expected hw3_flows` records as tools/record_expected.py does, not refuses."""
    from dgmlab.authoring import build as B
    from dgmlab.grading.references import recorded as R

    written = []
    monkeypatch.setattr(R, "write_expected", lambda hw: written.append(hw) or tmp_path / "expected.json")
    assert B._record_expected("hw3_flows", nb=None) == tmp_path / "expected.json" and written == ["hw3_flows"]
