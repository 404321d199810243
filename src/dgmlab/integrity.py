"""Detect monkeypatching of the functions graded tests rely on.

A submission runs in the same kernel as the tests, so it could replace
``torch.allclose`` or ``dgmlab.checks.assert_close`` with something that
always agrees. :func:`snapshot` records the originals when dgmlab is first
imported (the setup cell, before any student code); :func:`tampered` lists
what has been replaced since, or was defined in the notebook itself
(``__module__ == "__main__"``, which also catches a patch made before the
setup cell), and :func:`restore` puts the recorded functions back.
:func:`dgmlab.testing.run_tests` fails a test cell when anything was
replaced, naming it.

The same snapshot records the IPython machinery a cell's verdict passes
through (:func:`ipython_tampered`): custom exception handlers
(``set_custom_exc``, which could swallow a failure), event hooks
(``pre_run_cell``, ``post_run_cell``, ... which could display a number in a
test cell), input and AST transformers (which could rewrite a test cell), the
displayhook and the display formatters (which could show another number than
the score), the kernel session's ``send``, and trace/profile functions.

This catches the common tricks; it is not a proof against a determined
attacker who rewrites dgmlab itself in memory (see the sandbox notes). Scores
of points cells are also signed (``dgmlab.testing``) and checked by the grader.
"""
from __future__ import annotations

import builtins
import importlib
import math
import operator
import sys

_WATCHED = {
    "builtins": ["isinstance", "abs", "all", "any", "len", "float", "int", "bool", "max", "min", "sum", "round",
                 "type", "getattr", "hasattr", "callable", "print"],
    "math": ["isclose", "isfinite", "isnan"],
    "operator": ["eq", "ne", "lt", "le", "gt", "ge"],
    "numpy": ["allclose", "isclose", "array_equal", "asarray", "array", "abs", "all", "any", "isfinite"],
    "numpy.testing": ["assert_allclose", "assert_array_equal", "assert_equal", "assert_almost_equal"],
    "torch": ["allclose", "isclose", "equal", "eq", "is_tensor", "all", "any", "abs", "isfinite", "as_tensor",
              "tensor", "randn", "Generator", "load"],  # the last three: the graded draws' noise and weights (not
              # manual_seed: importing torch._dynamo wraps it)
    "json": ["loads"],
    "hashlib": ["sha256"],
    "torch.Tensor": ["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__float__",
                     "item", "tolist", "numpy", "detach", "allclose", "equal", "all", "any", "abs"],
    "numpy.ndarray": ["__eq__", "__ne__", "__bool__", "all", "any", "astype"],
    "sympy": ["simplify", "Eq", "nsimplify", "N", "sympify"],
    "dgmlab.checks": None,  # every public function
    "dgmlab.testing": ["run_tests", "collect", "plan", "tally", "points", "announce_session", "_check_integrity",
                       "_with_points", "_all_or_nothing", "_show_verdict", "_run_one", "_describe", "cell_digest", "canonical"],
    "dgmlab.testing.Score": ["_repr_mimebundle_", "__repr__", "__new__"],
    "dgmlab.testing._Signer": ["sign", "announce"],
    # what artifact-graded cells score and check with (hw1's samples, hw5's bits/dim, ...): every public function
    "dgmlab.metrics": None,
    "dgmlab.artifacts": None,
    "dgmlab.runtime": ["_draw_seeds_at_import", "is_grading", "mode"],  # the graded draws' seeds, grading mode
    "dgmlab.artifacts.MLPGenerator": ["__init__", "forward"],  # the grader's own copy of hw4's generators
    "dgmlab.novelty": None,
    "dgmlab.likelihoods": None,
    "dgmlab.integrity": ["tampered", "ipython_tampered", "restore", "snapshot", "_resolve", "_names", "protect"],
    "hmac": ["new", "compare_digest"],
    "sys": ["displayhook", "excepthook", "settrace", "setprofile", "_getframe"],
}
# Event callbacks from these packages are IPython's own (the inline backend registers some late).
_TRUSTED_HOOK_MODULES = ("IPython.", "ipykernel.", "matplotlib_inline.", "matplotlib.", "ipywidgets.")
_ipython: dict = {}
_originals: dict = {}
_insides: dict = {}  # (owner, attr) -> what a dgmlab function runs with: code, defaults, closure contents


def _resolve(name: str):
    """The module or class a watched name names: ``math``, ``dgmlab.metrics``, ``torch.Tensor``, ``dgmlab.testing.Score``."""
    if name == "builtins":  # held directly, not looked up in sys.modules, which a notebook can rewrite
        return builtins
    if name == "math":
        return math
    if name == "operator":
        return operator
    module, _, attr = name.rpartition(".")
    owner = getattr(sys.modules.get(module), attr, None) if module else None
    if isinstance(owner, type):  # a class of a module already imported: no import machinery on every check
        return owner
    try:
        return importlib.import_module(name)
    except ImportError:  # a class of a module not imported yet
        owner = getattr(importlib.import_module(module), attr, None) if module else None
        if not isinstance(owner, type):
            raise
        return owner


def _names(owner, wanted):
    if wanted is not None:
        return wanted
    return [n for n in vars(owner) if not n.startswith("_") and callable(getattr(owner, n))]


def snapshot() -> None:
    """Record the watched functions and the IPython machinery (idempotent: the first snapshot wins)."""
    _snapshot_ipython()
    for owner_name, wanted in _WATCHED.items():
        try:
            owner = _resolve(owner_name)
        except ImportError:
            continue
        for attr in _names(owner, wanted):
            key = (owner_name, attr)
            if key not in _originals and hasattr(owner, attr):
                _originals[key] = getattr(owner, attr)
                _insides[key] = _inside(_originals[key])


_protected: dict = {}  # name -> (namespace, object, members): notebook names a locked cell asked to keep
_shadow: dict = {}  # the same records, also held by dgmlab.testing (bound at its import): rebinding _protected here
#                     does not erase what testing checks against


def _methods(cls) -> tuple:
    """The functions and descriptors a class defines itself, as ((name, object), ...): what runs when it is used."""
    kinds = (staticmethod, classmethod, property, type(lambda: None))
    return tuple(sorted(((k, v) for k, v in vars(cls).items() if isinstance(v, kinds)), key=lambda kv: kv[0]))


def protect(namespace: dict, *names: str) -> None:
    """Record ``names`` of ``namespace`` (a locked cell's ``globals()``: helpers, modules and classes the tests
    use, e.g. ``sympy_gap``, ``sp``, hw1's ``Generator``); rebinding one later counts as tampering, and so does,
    for a class, replacing, adding or deleting one of its own methods (``Generator.forward = ...``).
    :func:`restore` puts them back."""
    for name in names:
        if name not in namespace:
            raise NameError(f"protect(): {name!r} is not defined in this namespace")
        obj = namespace[name]
        if name in _protected and _same_code(_protected[name][1]) != _same_code(obj):
            continue  # only the locked cell, run again, may protect the name anew: a new definition stays tampering
        record = (namespace, obj, _methods(obj) if isinstance(obj, type) else None)
        _protected[name] = record
        _shadow[name] = record


def _code(code) -> tuple:
    """A code object's instructions, names and constants (nested code included): equal for the same source."""
    return (code.co_code, code.co_names, tuple(_code(c) if hasattr(c, "co_code") else repr(c) for c in code.co_consts))


def _same_code(obj):
    """What must match for a name to be protected again: a class's methods' code, a function's code, a module's
    name, or else the value itself (Z_DIM)."""
    if isinstance(obj, type):
        return tuple((k, _code(v.__code__) if hasattr(v, "__code__") else type(v).__name__) for k, v in _methods(obj))
    if hasattr(obj, "__code__"):
        return _code(obj.__code__)
    if isinstance(obj, type(math)):
        return obj.__name__
    return repr(obj)


def _changed_methods(cls, recorded: tuple) -> list[str]:
    now, then = dict(_methods(cls)), dict(recorded)
    return sorted(k for k in now.keys() | then.keys() if now.get(k) is not then.get(k))


def tampered() -> list[str]:
    """Watched functions that are no longer the recorded originals, and protected notebook names rebound (or,
    for a class, its methods changed)."""
    replaced = []
    for name, (ns, obj, members) in _protected.items():
        if ns.get(name) is not obj:
            replaced.append(f"the notebook's {name}")
        elif members is not None:
            replaced += [f"the notebook's {name}.{m}" for m in _changed_methods(obj, members)]
    for (owner_name, attr), original in _originals.items():
        try:
            current = getattr(_resolve(owner_name), attr)
        except (ImportError, AttributeError):
            replaced.append(f"{owner_name}.{attr}")
            continue
        defined_in_notebook = getattr(current, "__module__", None) == "__main__"
        if (current is not original and current != original) or defined_in_notebook:
            replaced.append(f"{owner_name}.{attr}")
        elif not _same_inside(_inside(current), _insides.get((owner_name, attr))):  # its insides swapped
            replaced.append(f"{owner_name}.{attr}")
    return sorted(replaced)


_EMPTY = object()


def _inside(fn):
    """A dgmlab function's code, defaults and closure contents, or None for anything else: a notebook can keep
    the function and swap these (``f.__code__ = ...``, ``f.__closure__[0].cell_contents = ...``)."""
    if not (isinstance(fn, type(_inside)) and str(getattr(fn, "__module__", "")).startswith("dgmlab")):
        return None
    cells = []
    for c in fn.__closure__ or ():
        try:
            cells.append(c.cell_contents)
        except ValueError:  # an empty cell
            cells.append(_EMPTY)
    return fn.__code__, fn.__defaults__, fn.__kwdefaults__, tuple(cells)


def _same_inside(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return (a[0] is b[0] and a[1] is b[1] and a[2] is b[2] and len(a[3]) == len(b[3])
            and all(x is y for x, y in zip(a[3], b[3])))


def _put_inside(fn, inside) -> None:
    fn.__code__, fn.__defaults__, fn.__kwdefaults__ = inside[0], inside[1], inside[2]
    for cell, value in zip(fn.__closure__ or (), inside[3]):
        if value is not _EMPTY:
            cell.cell_contents = value


def restore() -> None:
    """Put every recorded original back (the IPython machinery and protected notebook names too)."""
    _restore_ipython()
    for name, (ns, obj, members) in _protected.items():
        ns[name] = obj
        if members is not None:
            recorded = dict(members)
            for m in _changed_methods(obj, members):
                if m in recorded:
                    setattr(obj, m, recorded[m])
                else:
                    delattr(obj, m)
    for (owner_name, attr), original in _originals.items():
        try:
            setattr(_resolve(owner_name), attr, original)
        except (ImportError, AttributeError, TypeError):
            pass
        inside = _insides.get((owner_name, attr))
        if inside is not None and not _same_inside(_inside(original), inside):
            _put_inside(original, inside)


# ---------------------------------------------------------------- IPython machinery
def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _displayhook_parts(shell) -> dict:
    """What a cell's result passes through on its way out: objects, by name."""
    hook, fmt = shell.displayhook, shell.display_formatter
    parts = {"sys.displayhook": sys.displayhook, "shell.displayhook": hook, "shell.display_formatter": fmt,
             "shell.display_pub": shell.display_pub}
    for cls in (type(hook), type(fmt)):
        for name, value in vars(cls).items():
            if callable(value):
                parts[f"{cls.__name__}.{name}"] = value
    for name in ("__call__", "compute_format_data", "write_format_data", "write_output_prompt", "finish_displayhook",
                 "start_displayhook", "format"):
        parts[f"instance.{name}"] = (vars(hook).get(name), vars(fmt).get(name))
    # A score displays through its own _repr_mimebundle_, which wins over the text/plain printers, so
    # printers added for types (sympy.init_printing adds float and int) cannot change it and are
    # allowed; replacing the formatter itself, or mimebundle printers, is not.
    parts["formatter text/plain"] = fmt.formatters.get("text/plain")
    parts["mimebundle formatter"] = fmt.mimebundle_formatter
    parts["mimebundle printers"] = (dict(fmt.mimebundle_formatter.type_printers),
                                    dict(fmt.mimebundle_formatter.deferred_printers))
    session = getattr(hook, "session", None)
    if session is not None:
        parts["session.send"] = (type(session).send, vars(session).get("send"))
    return parts


def _snapshot_ipython() -> None:
    shell = _shell()
    if shell is None or _ipython:
        return
    _ipython["shell"] = shell
    _ipython["custom_exceptions"] = shell.custom_exceptions
    _ipython["events"] = {name: list(cbs) for name, cbs in shell.events.callbacks.items()}
    _ipython["transformers"] = {name: list(getattr(shell, name, []))
                                for name in ("input_transformers_cleanup", "input_transformers_post",
                                             "ast_transformers")}
    _ipython["parts"] = _displayhook_parts(shell)
    _ipython["trace"] = (sys.gettrace(), sys.getprofile())


def _trusted_hook(cb) -> bool:
    func = getattr(cb, "__func__", cb)
    module = getattr(func, "__module__", None) or ""
    if not module.startswith(_TRUSTED_HOOK_MODULES):
        return False
    owner = sys.modules.get(module)
    code = getattr(func, "__code__", None)
    return owner is not None and code is not None and code.co_filename == getattr(owner, "__file__", None)


def _same(a, b) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a is b or a == b


def ipython_tampered() -> list[str]:
    """The IPython machinery changed since the snapshot (names of what changed); ``[]`` outside IPython."""
    shell = _ipython.get("shell")
    if shell is None:
        return []
    changed = []
    if shell.custom_exceptions != _ipython["custom_exceptions"]:
        changed.append("IPython custom exception handler (set_custom_exc)")
    for name, cbs in shell.events.callbacks.items():
        before = _ipython["events"].get(name, [])
        if any(cb not in before and not _trusted_hook(cb) for cb in cbs):
            changed.append(f"IPython event hook ({name})")
    for name, before in _ipython["transformers"].items():
        if list(getattr(shell, name, [])) != before:
            changed.append(f"IPython {name}")
    now = _displayhook_parts(shell)
    for key, value in _ipython["parts"].items():
        if not _same(now.get(key), value):
            changed.append(f"IPython display machinery ({key})")
    if (sys.gettrace(), sys.getprofile()) != _ipython["trace"]:
        changed.append("sys.settrace/sys.setprofile")
    return changed


def _restore_ipython() -> None:
    shell = _ipython.get("shell")
    if shell is None:
        return
    shell.set_custom_exc((), None) if not _ipython["custom_exceptions"] else None
    shell.custom_exceptions = _ipython["custom_exceptions"]
    for name, cbs in shell.events.callbacks.items():
        before = _ipython["events"].get(name, [])
        cbs[:] = [cb for cb in cbs if cb in before or _trusted_hook(cb)]
    for name, before in _ipython["transformers"].items():
        getattr(shell, name)[:] = before
    parts = _ipython["parts"]
    sys.displayhook = parts["sys.displayhook"]
    shell.displayhook = parts["shell.displayhook"]
    shell.display_formatter = parts["shell.display_formatter"]
    shell.display_pub = parts["shell.display_pub"]
    for key, value in parts.items():
        if "." in key and key.split(".", 1)[0] in (type(shell.displayhook).__name__,
                                                   type(shell.display_formatter).__name__):
            cls = type(shell.displayhook) if key.startswith(type(shell.displayhook).__name__ + ".") \
                else type(shell.display_formatter)
            try:
                setattr(cls, key.split(".", 1)[1], value)
            except (AttributeError, TypeError):
                pass
    for obj in (shell.displayhook, shell.display_formatter):
        for name in ("__call__", "compute_format_data", "write_format_data", "write_output_prompt",
                     "finish_displayhook", "start_displayhook", "format"):
            vars(obj).pop(name, None)
    fmt = shell.display_formatter
    if parts.get("formatter text/plain") is not None:
        fmt.formatters["text/plain"] = parts["formatter text/plain"]
    fmt.mimebundle_formatter = parts["mimebundle formatter"]
    tp, dp = parts["mimebundle printers"]
    fmt.mimebundle_formatter.type_printers.clear(); fmt.mimebundle_formatter.type_printers.update(tp)  # noqa: E702
    fmt.mimebundle_formatter.deferred_printers.clear(); fmt.mimebundle_formatter.deferred_printers.update(dp)  # noqa
    session = getattr(shell.displayhook, "session", None)
    if session is not None:
        vars(session).pop("send", None)
        type(session).send = parts["session.send"][0]
    sys.settrace(_ipython["trace"][0])
    sys.setprofile(_ipython["trace"][1])
