"""Each homework declares the networks it grades in its own folder (``homeworks/<hw>/hidden/networks.py``): the
copies are compared by function for what a folder declares, and a homework that declares none is compared by its
weights only, which the report says."""
import shutil
import sys

import pytest
import torch

import homeworks
from conftest import ROOT
from dgmlab import probes
from dgmlab.grading.copies import functional_copies as FC
from dgmlab.grading.copies import shared_weights as SW
from dgmlab.grading.course import Course

TINY = '''import torch

from dgmlab.grading.copies.networks import KitNetwork, noise


def _load(state):
    net = torch.nn.Linear(4, 3)
    net.load_state_dict(state)
    return net.eval()


def networks(course):
    return [KitNetwork("hw9_tiny", "tiny_weights.pt", 100_000, _load, lambda net: net(noise(4)))]
'''


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A kit homework ``hw9_tiny`` beside the kit's five, whose hidden/networks.py declares one linear network."""
    folder = tmp_path / "homeworks" / "hw9_tiny"
    for side in (homeworks.CHECKS, homeworks.HIDDEN):
        (folder / side).mkdir(parents=True)
        (folder / side / "__init__.py").write_text("CHECKS = []\n" if side == homeworks.CHECKS else "HIDDEN = {}\n")
    (folder / homeworks.HIDDEN / "networks.py").write_text(TINY)
    monkeypatch.setattr(homeworks, "__path__", [*homeworks.__path__, str(tmp_path / "homeworks")])
    monkeypatch.setattr(probes, "KIT_HOMEWORKS", homeworks.names())
    yield "hw9_tiny"
    for name in [m for m in sys.modules if m.startswith("homeworks.hw9_tiny")]:
        del sys.modules[name]


def _saved(tmp_path, state, name="w.pt"):
    torch.save(state, tmp_path / name)
    return tmp_path / name


def test_a_new_homework_s_declared_network_is_compared_by_what_it_computes(tiny, tmp_path):
    (net,) = FC.kit_networks(Course(ROOT), tiny)
    assert net.kind == "hw9_tiny/tiny_weights.pt"
    state = torch.nn.Linear(4, 3).state_dict()
    halved = {"weight": state["weight"] * 0.5, "bias": state["bias"] * 0.5}  # other outputs, unrelated to none
    a = FC.read(_saved(tmp_path, state, "a.pt"), [net])
    b = FC.read(_saved(tmp_path, {k: v.half() for k, v in state.items()}, "b.pt"), [net])  # re-saved as float16
    c = FC.read(_saved(tmp_path, halved, "c.pt"), [net])
    assert FC.agreement(a, b) > 0.999 and FC.agreement(a, c) < 0.9


def test_a_homework_that_declares_no_networks_is_compared_by_its_weights_only_and_the_report_says_so(tmp_path):
    hw = "hw3_flows"  # grades no network: no hidden/networks.py
    assert FC.declared(hw) is None and FC.kit_networks(Course(ROOT), hw) == []
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    state = torch.nn.Linear(40, 30).state_dict()
    for student in ("ann", "ben"):
        (tmp_path / "submitted" / student / hw).mkdir(parents=True)
        torch.save(state, tmp_path / "submitted" / student / hw / "extra.pt")
    (found,) = SW.compare(Course(tmp_path), [hw])
    assert not found.by_function and [p.students for p in found.pairs] == [("ann", "ben")]
    assert "hw3_flows: its .pt files are compared by their weights only" in SW.format_report([found])


def test_a_homework_that_declares_networks_is_not_said_to_lack_them(tmp_path):
    hw = "hw4_gans"
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    for student in ("ann", "ben"):
        (tmp_path / "submitted" / student / hw).mkdir(parents=True)
        torch.save(torch.nn.Linear(40, 30).state_dict(), tmp_path / "submitted" / student / hw / "extra.pt")
    (found,) = SW.compare(Course(tmp_path), [hw])
    assert found.by_function and "weights only" not in SW.format_report([found])
