"""benchmarks/recorded_float_spread.py: how a recorded number's move is measured and written."""
import json
import math

import torch

import recorded_float_spread as spread


def test_a_tensor_moves_by_its_largest_absolute_and_relative_difference():
    d = spread.difference(torch.tensor([1.0, -2.0, 4.0]), torch.tensor([1.0, -2.002, 4.001]))
    assert d["kind"] == "tensor float32"
    assert math.isclose(d["abs"], 0.002, rel_tol=1e-3) and math.isclose(d["rel"], 1e-3, rel_tol=1e-3)


def test_an_entry_recorded_as_zero_that_moved_is_infinitely_off_relatively():
    d = spread.difference(torch.tensor([0.0, 1.0]), torch.tensor([1e-9, 1.0]))
    assert d["rel"] == math.inf and 0 < d["abs"] < 2e-9


def test_a_float_moves_and_exact_kinds_do_not_count():
    assert spread.difference(2.0, 2.5) == {"kind": "float", "abs": 0.5, "rel": 0.25}
    assert spread.difference(3, 3) is None and spread.difference("a", "a") is None


def test_another_shape_or_type_is_a_mismatch_not_noise():
    assert spread.difference(torch.zeros(2), torch.zeros(3)) == {"kind": "mismatch"}
    assert spread.difference(1.0, torch.tensor(1.0)) == {"kind": "mismatch"}
    assert spread.difference("a", "b") == {"kind": "mismatch"}


def test_leaves_are_named_by_their_keys_and_positions():
    found = [p for p, _, _ in spread.leaves({"a": [1.0, {"b": 2.0}]}, {"a": [1.0, {"b": 3.0}]}, "cell")]
    assert found == ["cell/a/0", "cell/a/1/b"]


def test_the_data_file_is_json_one_line_per_number(tmp_path):
    path = tmp_path / "spread.json"
    data = {"command": "c", "settings": {"1 thread": {"capability": "AVX2"}},
            "spread": {"hw": {"cell/x": {"kind": "float", "abs": 1.23456e-7, "rel": 0.5, "by_setting": {}}}}}
    spread.write_data(data, path)
    back = json.loads(path.read_text())
    assert back["spread"]["hw"]["cell/x"]["abs"] == 1.23e-7 and back["settings"] == data["settings"]
    assert sum('"cell/x"' in line for line in path.read_text().splitlines()) == 1


def test_a_run_over_some_homeworks_keeps_the_others_recorded_spread(tmp_path, capsys):
    """``--hw hw6_vae`` measures one homework; every other homework's spread recorded before is kept, setting by
    setting, and a homework whose folder is gone is dropped, saying so (the trial's run had deleted the five's)."""
    kept_hw, measured_hw = spread.HOMEWORKS[0], spread.HOMEWORKS[-1]
    path = tmp_path / "spread.json"
    spread.write_data({"command": "c", "settings": {"1 thread": {"capability": "AVX2", "threads": 1, "mkldnn": True}},
                       "spread": {kept_hw: {"cell/x": {"kind": "float", "abs": 1e-7, "rel": 0.5,
                                                       "by_setting": {"1 thread": [1e-7, 0.5]}}},
                                  "hw0_gone": {"cell/y": {"kind": "float", "abs": 0, "rel": 0, "by_setting": {}}}}},
                      path)
    runs = {"1 thread": {"capability": "AVX2", "threads": 1, "mkldnn": True, "homeworks": {measured_hw: {
        "leaves": {"cell/z": {"kind": "float", "abs": 2e-7, "rel": 0.1}}, "seconds": 1.0}}}}
    assert spread.keep_recorded(runs, [measured_hw], path) == [kept_hw]
    assert "dropped hw0_gone" in capsys.readouterr().err
    _, per_leaf = spread.tables(runs, [kept_hw, measured_hw])
    assert per_leaf[kept_hw]["cell/x"]["by_setting"] == {"1 thread": [1e-7, 0.5]}
    assert per_leaf[measured_hw]["cell/z"]["abs"] == 2e-7 and "hw0_gone" not in per_leaf
