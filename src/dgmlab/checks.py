"""Deprecated alias of :mod:`dgmlab.probes.asserts` (the assertions notebook tests use); import that instead.

A course's own homework made by an earlier ``dgmlab new-homework`` has ``from dgmlab import checks`` in its
``checks.py`` and ``hidden.py``: this keeps it working. Importing it warns once (``DeprecationWarning``, naming the
new import, at the line that imported it) and hands back :mod:`dgmlab.probes.asserts` itself.
"""
import sys
import warnings

from dgmlab.probes import asserts

warnings.warn("dgmlab.checks is deprecated: write `from dgmlab.probes import asserts` (the same functions)",
              DeprecationWarning, stacklevel=2)  # the importing line: warn() skips importlib's frames
sys.modules[__name__] = asserts
