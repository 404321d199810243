"""A test cell's points are written once, in its header: the kit's CheckSpecs leave them out and dgmlab.probes
fills them in from points.json, which dgmlab build writes from the headers."""
import json

import pytest

from conftest import ROOT, homework_builders
from dgmlab import probes
from dgmlab.authoring.build import points_text


@pytest.mark.parametrize("hw", probes.KIT_HOMEWORKS)
def test_every_kit_test_cell_takes_its_points_from_its_header(hw):
    table = json.loads((ROOT / "homeworks" / hw / "checks" / probes.POINTS_FILE).read_text(encoding="utf-8"))
    module = __import__(f"dgmlab.probes.{hw}", fromlist=["CHECKS"])
    assert [s.cell for s in module.CHECKS if s.points is not None] == [], "points written twice"
    assert {cell: spec.points for cell, spec in probes.specs(hw).items()} == table


def test_the_build_records_the_headers_points():
    nb = homework_builders()["hw3_flows"].build()
    path, text = points_text(nb)
    assert path == ROOT / "homeworks" / "hw3_flows" / "checks" / probes.POINTS_FILE
    headers = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in nb.nb.cells
               if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    assert json.loads(text) == headers


def test_a_spec_without_points_and_no_recorded_points_says_how_to_record_them(monkeypatch):
    spec = probes.CheckSpec("q9_new_tests", hidden=1, names=("x",))
    module = type("M", (), {"CHECKS": [spec]})
    monkeypatch.setattr(probes, "_module", lambda hw: module)
    monkeypatch.setitem(probes._points, "hw9_new", {})
    with pytest.raises(KeyError, match="dgmlab build hw9_new"):
        probes.specs("hw9_new")
    probes.use_points("hw9_new", {"q9_new_tests": 3})
    assert probes.specs("hw9_new")["q9_new_tests"].points == 3.0
