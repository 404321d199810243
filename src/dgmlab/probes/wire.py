"""Plain data between the student's kernel and the grader: :func:`encode` there, :func:`decode` here.

A probe (see :mod:`dgmlab.probes`) runs the student's objects in the kernel and hands back what they
computed. What comes out of that process is untrusted, so the format is JSON of a few tagged kinds,
never pickle, and :func:`decode` rebuilds values from it with limits on size, depth and type:

=================  ==================================================  ==============================
kind               JSON                                                rebuilt as
=================  ==================================================  ==============================
null, bool, str    as is (strings up to ``MAX_STR`` characters)        the same
int                ``{"int": "123"}`` (up to ``MAX_INT_DIGITS``)       ``int``
float              ``{"float": "0.5"}`` (``nan``/``inf`` allowed)      ``float``
list, tuple        ``{"list": [...]}``                                 ``list``
dict (str keys)    ``{"dict": {...}}``                                 ``dict``
array / tensor     ``{"array": {dtype, shape, data (base64),          ``numpy.ndarray`` or
                   torch, requires_grad}}``                            ``torch.Tensor``
sympy expression   ``{"sympy": tree}``, a tree of whitelisted node     a sympy object, built without
                   names (``["Add", a, b]``, ``["Symbol", "x",         evaluation, so the grader never
                   {"real": true}]``, ``["Integer", "3"]``)            computes while rebuilding it
                                                                       (:class:`Unreadable` when over a
                                                                       limit: the others are still read)
raised             ``{"raised": "TypeError: ..."}``                    :class:`Raised`
unreadable         ``{"unreadable": "why, what to change"}``           :class:`Unreadable`
anything else      ``{"unsupported": "<type name>"}``                  :class:`Unsupported`
=================  ==================================================  ==============================

:func:`decode` raises :class:`WireError` (with what is wrong) on anything malformed or over a limit;
the caller turns that into a failed check, never a crash. Messages say what to change in the student's words.

Checks compare sympy answers by value (:mod:`dgmlab.probes.sympy_values`, mpmath at a bounded precision), so the
wire reads every form sympy writes for a derivation (:data:`SYMPY_FUNCTIONS`: erf and erfc, expint, Piecewise and
the conditions ``integrate`` adds, ``exp_polar``, a power of a power such as ``sigma**(2*sigma**2)``) and refuses only
what cannot be evaluated within its budget: an expression of more than :data:`MAX_SYMPY_NODES` nodes, a function
sympy has but the checks do not evaluate, an unevaluated ``Integral``, a number whose exact value has more than
:data:`MAX_NUMBER_BITS` bits (``10**(10**9)`` written out), or exp, sin... of a value beyond ``2**MAX_ARGUMENT_BITS``.
"""
from __future__ import annotations

import base64
import json
import math
import re
import sys
from dataclasses import dataclass
from typing import Any, NoReturn

MAX_BYTES = 8 * 2**20        # one probe's JSON text
MAX_NODES = 200_000          # JSON values in one probe
MAX_DEPTH = 64               # nesting of lists and dicts (sympy trees: MAX_SYMPY_DEPTH)
MAX_STR = 2_000              # characters of one string
MAX_ITEMS = 100_000          # items of one list or dict (an array holds up to MAX_ARRAY_ITEMS)
MAX_INT_DIGITS = 130         # digits of one integer (also sympy Integer, Rational and Float parts)
MAX_ARRAY_ITEMS = 2_000_000  # elements of one array
MAX_SYMPY_NODES = 5_000      # nodes of one sympy expression or matrix
MAX_SYMPY_DEPTH = 200
MAX_MATRIX_SIDE = 64
MAX_FLOAT_BITS = 400         # precision of one sympy Float
MAX_FLOAT_EXPONENT = 100_000 # binary exponent of one sympy Float
MAX_POW_EXPONENT = 1_000     # |p|, |q| of a numeric exponent p/q (2**(10**9) would be computed on use)
MAX_NUMBER_BITS = 200_000    # bound on the exact numbers an expression's numeric parts become (see _SympyReader)
MAX_POWER_BITS = 2**20       # bound on log2 |x**y| for a symbolic exponent y where symbols are up to 2**6 (see _bits)
MAX_ARGUMENT_BITS = 20_000   # bound on log2 |x| of what exp, sin, a symbolic exponent... is evaluated at (see _SympyReader)
SYMBOL_SIZE_BITS = 6         # a symbol is taken to be at most 2**6 = 64 in size, and at least 2**-6, where evaluated
DTYPES = ("float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool")

# functions whose numerical value needs their argument x to about log2 |x| bits more precision (exp(x) to d digits
# needs x to d digits after the point): an exp of an exp of an exp would need more bits than there are atoms
PRECISION_FUNCTIONS = ("exp", "sinh", "cosh", "tanh", "sin", "cos", "tan", "asin", "acos", "atan", "erf", "floor",
                       "ceiling", "exp_polar", "cot", "sec", "csc", "erfc", "erfi", "expint", "Ei", "Si", "Ci", "Shi",
                       "Chi", "gamma", "loggamma", "lowergamma", "uppergamma", "polygamma", "digamma", "beta",
                       "factorial", "binomial", "besselj", "bessely", "besseli", "besselk", "fresnels", "fresnelc",
                       "sinc", "erf2")
# of those, the functions whose value may grow as fast as exp of their argument (the others stay within a power)
EXP_GROWTH = ("exp", "exp_polar", "sinh", "cosh", "erfi", "Ei", "Shi", "Chi", "gamma", "factorial", "binomial", "beta",
              "besseli", "besselk", "lowergamma", "uppergamma", "expint", "erfc", "polygamma")
# sympy node names the grader rebuilds: the algebra, the functions dgmlab.probes.sympy_values evaluates (elementary and
# the special functions integrate and simplify write) and the logic of Piecewise
SYMPY_FUNCTIONS = (
    "Add", "Mul", "Pow", "exp", "log", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
    "Abs", "sign", "re", "im", "Max", "Min", "floor", "ceiling", "erf", "Heaviside", "DiracDelta",
    "Piecewise", "ExprCondPair", "StrictLessThan", "LessThan", "StrictGreaterThan", "GreaterThan",
    "Equality", "Unequality", "And", "Or", "Not", "Tuple",
    "cot", "sec", "csc", "acot", "asec", "acsc", "atan2", "coth", "sech", "csch", "asinh", "acosh", "atanh", "acoth",
    "arg", "conjugate", "exp_polar", "polar_lift", "periodic_argument", "principal_branch",
    "erfc", "erfi", "erf2", "erfinv", "erfcinv", "fresnels", "fresnelc", "expint", "Ei", "Si", "Ci", "Shi", "Chi",
    "li", "Li", "gamma", "loggamma", "lowergamma", "uppergamma", "polygamma", "digamma", "beta", "factorial",
    "binomial", "LambertW", "besselj", "bessely", "besseli", "besselk", "sinc",
)
# what checks cannot evaluate, and what to do instead (read by students: the message of an Unreadable answer)
UNEVALUATED = ("Integral", "Sum", "Product", "Limit", "Derivative", "Subs")
SYMPY_ATOMS = {  # name -> sympy attribute of the singleton
    "Pi": "pi", "Exp1": "E", "ImaginaryUnit": "I", "Infinity": "oo", "NegativeInfinity": "-oo",
    "ComplexInfinity": "zoo", "NaN": "nan", "BooleanTrue": "true", "BooleanFalse": "false", "EulerGamma": "EulerGamma",
    "Catalan": "Catalan", "GoldenRatio": "GoldenRatio",
}
# a symbol's name: what a variable name or LaTeX subscript holds, never an operator, call, quote or space, so a name
# printed into source (lambdify does so for free symbols) is at most a name
SYMBOL_NAME = re.compile(r"\\?[^\W\d][\w{}^\\']*")
SYMBOL_ASSUMPTIONS = ("real", "positive", "negative", "nonnegative", "nonpositive", "integer", "finite",
                      "nonzero", "zero", "complex", "rational", "extended_real")


class WireError(ValueError):
    """A probe's data is malformed or over a limit; the message says which and where."""


def _at(where: str) -> str:
    """`` (in name)``: where in a check's values (``kl_general``, ``pair[1]``) a message is about, or nothing."""
    return f" (in {where})" if where else ""


def cannot_read(name: str) -> str:
    """Why a sympy expression using node ``name`` cannot be checked, and what to change, in the student's words."""
    if name in ("Integral", "Sum", "Product"):
        return (f"it holds an unevaluated {name}: sympy did not compute it (for an integral, expand the integrand "
                f"first, e.g. sp.expand or sp.expand_log(..., force=True), or pass conds=\"none\"; otherwise call "
                f".doit())")
    if name in UNEVALUATED:  # Derivative, Subs, Limit: written but not carried out
        return f"it holds an unevaluated {name}: sympy did not compute it; call .doit() on it (then sp.simplify)"
    return (f"it uses sympy's {name[:40]}, which the checks do not evaluate: write it with exp, log, powers, "
            f"trigonometric or special functions such as erf, erfc, gamma, expint (try .rewrite(sp.exp) or "
            f"sp.simplify)")


@dataclass(frozen=True)
class Raised:
    """The student's code raised while the probe computed this value."""

    message: str


@dataclass(frozen=True)
class Unreadable:
    """A sympy answer that cannot be checked: ``message`` says why and what to change, in the student's words."""

    message: str


@dataclass(frozen=True)
class Unsupported:
    """The student's value is of a type the probe does not hand back (its type name)."""

    type_name: str


# ------------------------------------------------------------------ encode (kernel side)
def _short(text: str) -> str:
    return text if len(text) <= MAX_STR else text[:MAX_STR - 4] + " ..."


def describe_exception(exc: BaseException) -> str:
    """``TypeError: message`` of a student's exception, short, whatever its ``__str__`` does."""
    try:
        msg = str(exc).strip()
    except Exception:
        msg = ""
    # by its public name: torch raises torch._C._LinAlgError, which it exports as torch.linalg.LinAlgError
    name = type(exc).__name__.lstrip("_") or "Exception"
    return _short(f"{name}: {msg}" if msg else name)


def _sympy_tree(expr: Any, budget: list[int]) -> list[Any]:
    import sympy as sp

    budget[0] -= 1
    if budget[0] < 0:
        raise WireError(f"it has more than {MAX_SYMPY_NODES} nodes: simplify it (sp.simplify) before checking")
    if isinstance(expr, sp.MatrixBase):
        return ["Matrix", expr.rows, expr.cols, [_sympy_tree(e, budget) for e in expr]]
    if isinstance(expr, sp.Symbol):
        given = getattr(expr, "_assumptions_orig", None) or {}
        return ["Symbol", expr.name, {k: bool(v) for k, v in given.items() if k in SYMBOL_ASSUMPTIONS and v is not None}]
    if isinstance(expr, sp.Integer):
        return ["Integer", str(int(expr))]
    if isinstance(expr, sp.Rational):
        return ["Rational", str(int(expr.p)), str(int(expr.q))]
    if isinstance(expr, sp.Float):  # exactly: (-1)^sign * man * 2^exp, as mpmath holds it
        sign, man, exp, _ = expr._mpf_
        return ["Float", str(-int(man) if sign else int(man)), str(int(exp)), int(expr._prec)]
    name = type(expr).__name__
    if name in SYMPY_ATOMS:
        return [name]
    if name in SYMPY_FUNCTIONS:
        return [name, *[_sympy_tree(a, budget) for a in expr.args]]
    raise WireError(cannot_read(name))


def encode(value: Any, _depth: int = 0) -> Any:
    """``value`` as wire JSON (see the module docstring). Never raises for a student's odd value:
    what cannot be encoded becomes ``unsupported`` (or ``raised``, when converting it raised)."""
    if _depth > MAX_DEPTH:
        return {"unsupported": "nesting too deep"}
    try:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            return _short(value)
        if isinstance(value, int):
            return {"int": str(value)} if len(str(abs(value))) <= MAX_INT_DIGITS else {"unsupported": "huge int"}
        if isinstance(value, float):
            return {"float": repr(float(value))}
        if isinstance(value, (list, tuple, dict)) and len(value) > MAX_ITEMS:
            return {"unsupported": f"{type(value).__name__} of {len(value)} items (more than {MAX_ITEMS})"}
        if isinstance(value, (list, tuple)):
            return {"list": [encode(v, _depth + 1) for v in value]}
        if isinstance(value, dict):
            return {"dict": {str(k)[:200]: encode(v, _depth + 1) for k, v in value.items()}}
        if isinstance(value, Raised):
            return {"raised": value.message}
        if isinstance(value, Unreadable):
            return {"unreadable": _short(value.message)}
        import numpy as np

        if isinstance(value, np.generic):
            return encode(value.item(), _depth)
        if isinstance(value, np.ndarray):
            return _array(value, torch=False, requires_grad=False)
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(value, torch.Tensor):
            return _array(value.detach().cpu().numpy(), torch=True, requires_grad=bool(value.requires_grad))
        sympy = sys.modules.get("sympy")
        if sympy is not None and isinstance(value, (sympy.Basic, sympy.MatrixBase)):
            try:
                return {"sympy": _sympy_tree(value, [MAX_SYMPY_NODES])}
            except WireError as exc:
                return {"unreadable": _short(str(exc))}
            except RecursionError:
                return {"unreadable": "it is nested too deeply to be read: simplify it (sp.simplify)"}
        return {"unsupported": type(value).__name__[:100]}
    except Exception as exc:  # a student's object whose conversion raised
        return {"raised": describe_exception(exc)}


def _array(arr: Any, *, torch: bool, requires_grad: bool) -> dict[str, Any]:
    import numpy as np

    if arr.dtype.name not in DTYPES:
        if np.iscomplexobj(arr):
            return {"unsupported": f"complex array ({arr.dtype.name})"}
        return {"unsupported": f"array of {arr.dtype.name}"}
    if arr.size > MAX_ARRAY_ITEMS:
        return {"unsupported": f"array of {arr.size} elements (more than {MAX_ARRAY_ITEMS})"}
    data = base64.b64encode(np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()).decode()
    return {"array": {"dtype": arr.dtype.name, "shape": list(arr.shape), "data": data, "torch": torch,
                      "requires_grad": requires_grad}}


def dumps(value: Any) -> str:
    """:func:`encode` as JSON text (``nan``/``inf`` floats are tagged strings, so the text is strict JSON)."""
    return json.dumps(encode(value), separators=(",", ":"), allow_nan=False)


# ------------------------------------------------------------------ decode (grader side)
class _Reader:
    def __init__(self) -> None:
        self.nodes = 0

    def count(self, where: str) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise WireError(f"more than {MAX_NODES} values{_at(where)}")

    def value(self, node: Any, where: str, depth: int = 0) -> Any:
        self.count(where)
        if depth > MAX_DEPTH:
            raise WireError(f"nested deeper than {MAX_DEPTH}{_at(where)}")
        if node is None or isinstance(node, bool):
            return node
        if isinstance(node, str):
            if len(node) > MAX_STR:
                raise WireError(f"a string longer than {MAX_STR} characters{_at(where)}")
            return node
        if not isinstance(node, dict) or len(node) != 1:
            raise WireError(f"expected one tagged value, found {type(node).__name__}{_at(where)}")
        (tag, body), = node.items()
        if tag == "int":
            return _int(body, where)
        if tag == "float":
            return _float(body, where)
        if tag == "list":
            if not isinstance(body, list):
                raise WireError(f"a list that is not a JSON array{_at(where)}")
            return [self.value(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(body)]
        if tag == "dict":
            if not isinstance(body, dict):
                raise WireError(f"a dict that is not a JSON object{_at(where)}")
            return {_key(k, where): self.value(v, f"{where}.{k}" if where else k, depth + 1) for k, v in body.items()}
        if tag == "array":
            return _read_array(body, where)
        if tag == "sympy":
            try:
                return _SympyReader(where).build(body)
            except _Refused as exc:  # a well-formed expression over a limit: this answer is not read, the others are
                return Unreadable(str(exc))
        if tag == "unreadable":
            return Unreadable(_text(body, where))
        if tag == "raised":
            return Raised(_text(body, where))
        if tag == "unsupported":
            return Unsupported(_text(body, where))
        raise WireError(f"unknown kind {tag[:40]!r}{_at(where)}")


def _key(k: object, where: str) -> str:
    if not isinstance(k, str) or len(k) > 200:
        raise WireError(f"a dict key that is not a short string{_at(where)}")
    return k


def _text(body: object, where: str) -> str:
    if not isinstance(body, str) or len(body) > MAX_STR:
        raise WireError(f"expected a string of at most {MAX_STR} characters{_at(where)}")
    return body


_INT = re.compile(r"-?[0-9]{1,%d}" % MAX_INT_DIGITS)


def _int(body: object, where: str) -> int:
    if not isinstance(body, str) or not _INT.fullmatch(body):
        raise WireError(f"an integer that is not up to {MAX_INT_DIGITS} decimal digits{_at(where)}")
    return int(body)


def _float(body: object, where: str) -> float:
    if not isinstance(body, str) or len(body) > 40:
        raise WireError(f"a float that is not a short decimal string{_at(where)}")
    try:
        return float(body)
    except ValueError:
        raise WireError(f"a float that is not a number: {body[:40]!r}{_at(where)}") from None


def _read_array(body: object, where: str) -> Any:
    import numpy as np

    if not isinstance(body, dict) or set(body) != {"dtype", "shape", "data", "torch", "requires_grad"}:
        raise WireError(f"an array without exactly dtype, shape, data, torch, requires_grad{_at(where)}")
    dtype, shape = body["dtype"], body["shape"]
    if dtype not in DTYPES:
        raise WireError(f"an array of dtype {str(dtype)[:20]!r}, not one of {DTYPES}{_at(where)}")
    if (not isinstance(shape, list) or len(shape) > 8
            or not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_ARRAY_ITEMS for n in shape)):
        raise WireError(f"an array shape that is not up to 8 non-negative sizes{_at(where)}")
    size = math.prod(shape)
    if size > MAX_ARRAY_ITEMS:
        raise WireError(f"an array of {size} elements, more than {MAX_ARRAY_ITEMS}{_at(where)}")
    item = np.dtype(dtype).newbyteorder("<")
    data = body["data"]
    if not isinstance(data, str) or len(data) > 4 * (size * item.itemsize + 2) // 3 + 4:
        raise WireError(f"array data longer than its shape needs{_at(where)}")
    try:
        raw = base64.b64decode(data, validate=True)
    except ValueError:
        raise WireError(f"array data that is not base64{_at(where)}") from None
    if len(raw) != size * item.itemsize:
        raise WireError(f"array data of {len(raw)} bytes for shape {shape} of {dtype}{_at(where)}")
    arr = np.frombuffer(raw, dtype=item).astype(np.dtype(dtype)).reshape(shape)
    if body["torch"] is not True:
        return arr.copy()
    import torch

    t = torch.from_numpy(arr.copy())
    if body["requires_grad"] is True and t.is_floating_point():
        t.requires_grad_(True)
    return t


def _sympy_class(name: str) -> Any:
    """The sympy class of a whitelisted node name."""
    import sympy as sp

    if name == "ExprCondPair":
        from sympy.functions.elementary.piecewise import ExprCondPair

        return ExprCondPair
    return getattr(sp, name)


class _Refused(Exception):
    """A sympy expression over a limit (the message in the student's words): read as :class:`Unreadable`."""


class _SympyReader:
    def __init__(self, where: str) -> None:
        self.where, self.nodes = where, 0

    def build(self, tree: Any) -> Any:
        try:
            return self._node(tree, 0)[0]
        except RecursionError:
            raise _Refused("it is nested too deeply to be read: simplify it (sp.simplify)") from None

    def _fail(self, what: str) -> NoReturn:
        """Malformed data (no kernel's encode writes it): the whole probe is refused."""
        raise WireError(f"{what}{_at(self.where)}")

    def _int(self, body: object) -> int:
        """An integer of the tree; one too long to read makes this answer :class:`Unreadable`, not the cell refused."""
        if isinstance(body, str) and re.fullmatch(r"-?[0-9]+", body) and len(body.lstrip("-")) > MAX_INT_DIGITS:
            self._refuse(f"it holds a number of more than {MAX_INT_DIGITS} digits: simplify it or write the value you "
                         f"mean")
        return _int(body, self.where)

    def _refuse(self, what: str) -> NoReturn:
        """A well-formed expression over a limit: this answer is :class:`Unreadable` (``what``: the student's words)."""
        raise _Refused(what)

    def _node(self, tree: Any, depth: int) -> tuple[Any, int, float]:
        """``(sympy object, bound, size)``: ``bound`` is an upper bound on the bits of any exact number the object
        becomes when its symbols take small values (a symbol counts 64 bits), so that what the grader
        computes from it (``subs``, ``simplify``) stays small; over :data:`MAX_NUMBER_BITS` it is refused.
        ``size`` is an upper bound on |log2 |value|| when each symbol is between 2**-6 and 2**6 in size
        (:data:`SYMBOL_SIZE_BITS`): evaluating exp (a :data:`PRECISION_FUNCTIONS`) or a symbolic exponent at a value
        of size over :data:`MAX_ARGUMENT_BITS` is refused (exp(exp(exp(a))) would need more bits than the machine
        has to be evaluated at a = 2)."""
        import sympy as sp

        self.nodes += 1
        if self.nodes > MAX_SYMPY_NODES:
            self._refuse(f"it has more than {MAX_SYMPY_NODES} nodes: simplify it (sp.simplify) before checking")
        if depth > MAX_SYMPY_DEPTH:
            self._refuse(f"it is nested deeper than {MAX_SYMPY_DEPTH}: simplify it (sp.simplify) before checking")
        if not isinstance(tree, list) or not tree or not isinstance(tree[0], str):
            self._fail("a sympy node that is not [name, ...]")
        name, args = tree[0], tree[1:]
        if name == "Symbol":
            if (len(args) != 2 or not isinstance(args[0], str) or not 0 < len(args[0]) <= 100
                    or not isinstance(args[1], dict)):
                self._fail("a Symbol that is not [\"Symbol\", name, {assumptions}]")
            if not SYMBOL_NAME.fullmatch(args[0]):
                self._fail("a Symbol whose name is not a plain name (letters, digits, _ and {}^\\' only, e.g. x_1, "
                           "theta, p_{data})")
            assumptions = {}
            for k, v in args[1].items():
                if k not in SYMBOL_ASSUMPTIONS or not isinstance(v, bool):
                    self._fail(f"a Symbol assumption {str(k)[:30]!r} the checks do not read")
                assumptions[k] = v
            try:
                return sp.Symbol(args[0], **assumptions), 64, SYMBOL_SIZE_BITS
            except Exception:  # contradictory assumptions
                self._fail("a Symbol with contradictory assumptions")
        if name == "Integer":
            if len(args) != 1:
                self._fail("an Integer that is not [\"Integer\", digits]")
            n = self._int(args[0])
            return sp.Integer(n), max(1, n.bit_length()), max(1, n.bit_length())
        if name == "Rational":
            if len(args) != 2:
                self._fail("a Rational that is not [\"Rational\", p, q]")
            p, q = self._int(args[0]), self._int(args[1])
            if q == 0:
                self._fail("a Rational with denominator 0")
            bits = max(1, p.bit_length(), q.bit_length())
            return sp.Rational(p, q), bits, bits
        if name == "Float":
            if len(args) != 3 or not isinstance(args[2], int) or not 1 <= args[2] <= MAX_FLOAT_BITS:
                self._fail(f"a Float that is not [\"Float\", mantissa, exponent, bits <= {MAX_FLOAT_BITS}]")
            from mpmath.libmp import from_man_exp

            man, exp = self._int(args[0]), self._int(args[1])
            if abs(exp) > MAX_FLOAT_EXPONENT or abs(man).bit_length() > MAX_FLOAT_BITS:
                self._fail("a Float beyond the range the checks read")
            if man == 0:  # Float._new would give the Integer 0
                return sp.Float(0.0, precision=args[2]), 64, 1
            # floats never grow exactly; |log2| of man * 2**exp is at most |exp| + the bits of man
            return sp.Float._new(from_man_exp(man, exp), args[2]), 64, abs(exp) + abs(man).bit_length() + 1
        if name in SYMPY_ATOMS:
            if args:
                self._fail(f"{name} takes no arguments")
            attr = SYMPY_ATOMS[name]
            return (-sp.oo if attr == "-oo" else getattr(sp, attr)), 64, 2
        if name == "Matrix":
            if (len(args) != 3 or not all(isinstance(n, int) and not isinstance(n, bool) for n in args[:2])
                    or not 0 <= args[0] <= MAX_MATRIX_SIDE or not 0 <= args[1] <= MAX_MATRIX_SIDE
                    or not isinstance(args[2], list) or len(args[2]) != args[0] * args[1]):
                self._fail(f"a Matrix that is not [\"Matrix\", rows, cols, entries] of at most "
                           f"{MAX_MATRIX_SIDE}x{MAX_MATRIX_SIDE}")
            entries = [self._node(e, depth + 1) for e in args[2]]
            return (sp.Matrix(args[0], args[1], [e for e, _, _ in entries]), max([b for _, b, _ in entries], default=1),
                    max([m for _, _, m in entries], default=1))
        if name not in SYMPY_FUNCTIONS:
            self._refuse(cannot_read(name))
        built = [self._node(a, depth + 1) for a in args]
        objs = [o for o, _, _ in built]
        bits = self._bits(name, built)
        if bits > MAX_NUMBER_BITS:
            self._refuse(f"it holds a number of more than {MAX_NUMBER_BITS} bits written as powers of numbers (such as "
                         f"10**(10**9)), which cannot be computed: simplify it or write the value you mean")
        size = self._size(name, built)
        cls = _sympy_class(name)
        try:
            if name in ("Piecewise", "ExprCondPair", "Tuple"):
                return cls(*objs), bits, size
            return cls(*objs, evaluate=False), bits, size
        except Exception as exc:  # e.g. a Piecewise whose conditions are not conditions
            self._refuse(f"its {name} could not be rebuilt ({type(exc).__name__}): simplify it (sp.simplify)")

    def _bits(self, name: str, built: list[tuple[Any, int, float]]) -> int:
        bounds = [b for _, b, _ in built] or [1]
        if name == "Pow":
            if len(built) != 2:
                self._fail("a Pow that is not [\"Pow\", base, exponent]")
            (base, base_bits, base_size), (exponent, _, exponent_size) = built
            if exponent.is_number:  # a numeric exponent must be a small literal (it is computed exactly)
                if not (exponent.is_Rational or exponent.is_Float):
                    if exponent_size > math.log2(MAX_POW_EXPONENT):
                        self._refuse(f"it raises to a numeric power that may exceed {MAX_POW_EXPONENT}, which cannot "
                                     f"be computed: simplify it or write the value you mean")
                    return base_bits * int(_power_of_two(exponent_size))
                if exponent.is_Rational and max(abs(exponent.p), exponent.q) > MAX_POW_EXPONENT:
                    self._refuse(f"it raises to the power {exponent}, above {MAX_POW_EXPONENT}: simplify it or write "
                                 f"the value you mean")
                if exponent.is_Float:
                    return 64
                return base_bits * max(1, abs(int(exponent.p)))
            # a symbolic exponent (sigma**(2*sigma**2)): checks evaluate it at their points by value; refused only when its
            # size where symbols are up to 64 may pass MAX_POWER_BITS bits (2**(10**120*a)), which nothing can evaluate
            if base_size * _power_of_two(exponent_size) > MAX_POWER_BITS:
                self._refuse(f"it raises to a power that may be more than 2**{MAX_POWER_BITS} in size, which cannot be "
                             f"evaluated: simplify it or write the value you mean")
            return base_bits
        if name == "Mul":
            return sum(bounds)
        if name == "Add":
            return max(bounds) + len(bounds)
        return max(bounds)  # functions are evaluated numerically (evalf), relations and logic add nothing

    def _size(self, name: str, built: list[tuple[Any, int, float]]) -> float:
        """The bound on |log2 |value|| of node ``name`` (see :meth:`_node`); refuses an argument too large."""
        sizes = [m for _, _, m in built] or [1]
        if name in PRECISION_FUNCTIONS or name == "Pow" and not built[1][0].is_number:
            at = sizes[-1] if name == "Pow" else max(sizes)
            if at > MAX_ARGUMENT_BITS:
                self._refuse(f"it takes {name} of a value that may be more than 2**{MAX_ARGUMENT_BITS} in size, which "
                             f"cannot be evaluated (an exp of an exp of an exp, or of a huge number): simplify it")
        if name == "Pow":
            (_, _, base), (exponent, _, exponent_size) = built
            if not exponent.is_number:
                return base * _power_of_two(exponent_size)
            return base * max(1.0, abs(float(exponent)))
        if name == "Mul":
            return float(sum(sizes))
        if name == "Add":
            return float(max(sizes) + len(sizes))
        if name in EXP_GROWTH:
            return _power_of_two(max(sizes) + 1)  # |exp(x)| < 2**(1.45 |x|), and as fast for gamma, erfi, Ei...
        if name in ("sin", "cos", "tanh", "asin", "acos", "atan", "erf", "sign", "Heaviside", "DiracDelta", "acot", "atan2",
                    "arg", "periodic_argument", "erf2", "Si", "Ci", "fresnels", "fresnelc", "sinc"):
            return 2.0
        if name in ("log", "LambertW", "li", "Li", "digamma"):
            return math.log2(max(sizes) + 1) + 2
        if name == "loggamma":
            return max(sizes) + math.log2(max(sizes) + 1) + 2
        return float(max(sizes))  # tan, Abs, Max, floor... relations and logic


def _power_of_two(exponent: float) -> float:
    return math.inf if exponent > 1000 else 2.0 ** exponent


def loads(text: object) -> object:
    """Rebuild a value from wire JSON ``text`` (str or bytes), within the module's limits."""
    if isinstance(text, (bytes, bytearray)):
        if len(text) > MAX_BYTES:
            raise WireError(f"{len(text)} bytes of check data, more than {MAX_BYTES}: return smaller answers")
        text = bytes(text).decode("utf-8", errors="strict")
    if not isinstance(text, str):
        raise WireError(f"the check data is {type(text).__name__}, not text")
    if len(text) > MAX_BYTES:
        raise WireError(f"{len(text)} characters of check data, more than {MAX_BYTES}: return smaller answers")
    try:
        node = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise WireError("the check data is nested too deeply") from None
    except ValueError as exc:
        raise WireError(f"the check data is not JSON ({str(exc)[:100]})") from None
    return decode(node)


def _no_constant(name: str) -> NoReturn:
    raise WireError(f"the check data holds the non-JSON constant {name}")


def decode(node: object) -> object:
    """Rebuild a value from parsed wire JSON ``node`` (see :func:`loads`)."""
    return _Reader().value(node, "")
