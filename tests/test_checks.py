"""dgmlab.checks: the deprecated alias of dgmlab.probes.asserts that a course's own homework made by an earlier
`dgmlab new-homework` imports (`from dgmlab import checks`)."""
import sys

import pytest

import dgmlab
from dgmlab.probes import asserts


def test_importing_dgmlab_checks_warns_naming_the_new_import_and_gives_the_asserts(monkeypatch):
    monkeypatch.delitem(sys.modules, "dgmlab.checks", raising=False)  # as in a fresh process
    monkeypatch.delattr(dgmlab, "checks", raising=False)
    with pytest.warns(DeprecationWarning, match=r"`from dgmlab\.probes import asserts`") as caught:
        from dgmlab import checks
    assert checks is asserts
    assert [w.filename for w in caught] == [__file__], "the warning points at the line that imported it"
