"""dgmlab.testing: the deprecated alias of dgmlab.probes.points that a course's own homework made by an earlier
`dgmlab new-homework` imports (`from dgmlab.testing import points`)."""
import sys

import pytest

import dgmlab
from dgmlab.probes import points as points_module


def test_importing_dgmlab_testing_warns_naming_the_new_import_and_gives_the_points(monkeypatch):
    monkeypatch.delitem(sys.modules, "dgmlab.testing", raising=False)  # as in a fresh process
    monkeypatch.delattr(dgmlab, "testing", raising=False)
    with pytest.warns(DeprecationWarning, match=r"`from dgmlab\.probes\.points import points`") as caught:
        from dgmlab.testing import points
    assert points is points_module.points
    assert points(2)(lambda v: None).__dgmlab_points__ == 2
    assert [w.filename for w in caught] == [__file__], "the warning points at the line that imported it"
