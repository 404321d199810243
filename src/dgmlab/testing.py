"""Deprecated alias of :mod:`dgmlab.probes.points` (``@points(w)``, how a cell's points are shared among its
tests); import that instead.

A course's own homework made by an earlier ``dgmlab new-homework`` has ``from dgmlab.testing import points`` in its
``checks.py`` and ``hidden.py``: this keeps it working. Importing it warns once (``DeprecationWarning``, naming the
new import, at the line that imported it) and hands back :mod:`dgmlab.probes.points` itself.
"""
import sys
import warnings

from dgmlab.probes import points

warnings.warn("dgmlab.testing is deprecated: write `from dgmlab.probes.points import points` (the same decorator)",
              DeprecationWarning, stacklevel=2)  # the importing line: warn() skips importlib's frames
sys.modules[__name__] = points
