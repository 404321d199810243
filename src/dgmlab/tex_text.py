"""A markdown heading as plain text, for reports printed where no markdown or LaTeX is rendered.

:func:`plain` turns ``Q1 (4 points): the density of $\\mathcal N(0, \\sigma^2)$`` into
``Q1 (4 points): the density of N(0, σ²)``. It knows the small LaTeX of a heading (fonts, Greek letters, common
symbols, ``\\frac``, ``\\sqrt``, sub- and superscripts) and drops what it does not know to its letters; it is
not a LaTeX renderer, only what makes a title readable.
"""
from __future__ import annotations

import re

GREEK = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau upsilon phi chi "
         "psi omega").split()
_LOWER = "αβγδεζηθικλμνξπρστυφχψω"
_UPPER = {"Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
          "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω"}
SYMBOLS = {**dict(zip(GREEK, _LOWER)), **_UPPER, "varepsilon": "ε", "vartheta": "θ", "varphi": "φ",
           "infty": "∞", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "to": "→",
           "rightarrow": "→", "leftarrow": "←", "mapsto": "↦", "times": "×", "cdot": "·", "pm": "±", "approx": "≈",
           "sim": "~", "in": "∈", "sum": "Σ", "prod": "Π", "int": "∫", "partial": "∂", "nabla": "∇", "ell": "ℓ",
           "mid": "|", "|": "‖", "sqrt": "√", "circ": "∘", "propto": "∝", "ldots": "...", "dots": "...",
           "cdots": "...", "quad": " ", "qquad": " ", ",": " ", ";": " ", ":": " ", "!": "", " ": " ",
           "{": "{", "}": "}", "%": "%", "$": "$", "_": "_", "&": "&"}
SUPERSCRIPTS = dict(zip("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ"))
SUBSCRIPTS = dict(zip("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎"))
_FONTS = r"mathcal|mathbb|mathrm|mathbf|mathit|mathsf|mathtt|boldsymbol|bm|text|textrm|textbf|textit|operatorname"
_SIZES = r"left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|displaystyle"
_GROUP = r"\{([^{}]*)\}"  # one brace group without nested braces


def _either(match, n: int) -> str:
    """Group ``n`` of ``match`` (a braced argument) or else group ``n + 1`` (a one-character one)."""
    return match[n] if match[n] is not None else match[n + 1]


def _script(body: str, table: dict, mark: str) -> str:
    return "".join(table[c] for c in body) if body and all(c in table for c in body) else f"{mark}{body}"


def _math(tex: str) -> str:
    """One ``$...$`` span as plain text."""
    tex = re.sub(rf"\\(?:{_SIZES})\b\s*", "", tex)
    for _ in range(4):  # fonts, fractions and roots, innermost groups first
        before = tex
        tex = re.sub(rf"\\(?:{_FONTS})\s*{_GROUP}", r"\1", tex)
        tex = re.sub(rf"\\(?:{_FONTS})\s+(\\?[A-Za-z])", r"\1", tex)
        tex = re.sub(rf"\\[dt]?frac\s*(?:{_GROUP}|(\w))\s*(?:{_GROUP}|(\w))",
                     lambda m: f"{_wrap(_either(m, 1))}/{_wrap(_either(m, 3))}", tex)
        tex = re.sub(rf"\\sqrt\s*{_GROUP}", lambda m: f"√{_wrap(m[1])}", tex)
        tex = re.sub(r"\\sqrt\s+([A-Za-z0-9])", r"√\1", tex)
        if tex == before:
            break
    tex = re.sub(r"\\([A-Za-z]+|.)", lambda m: SYMBOLS.get(m[1], m[1]), tex)
    tex = re.sub(rf"\^(?:{_GROUP}|(\S))", lambda m: _script(_either(m, 1), SUPERSCRIPTS, "^"), tex)
    tex = re.sub(rf"_(?:{_GROUP}|(\S))", lambda m: _script(_either(m, 1), SUBSCRIPTS, "_"), tex)
    return tex.replace("{", "").replace("}", "")


def _wrap(text: str) -> str:
    """``text`` in parentheses when it is more than one symbol (``a+b`` over ``2`` reads ``(a+b)/2``)."""
    return text if len(text.strip()) <= 1 or re.fullmatch(r"\\?[A-Za-z]+|\d+", text.strip()) else f"({text})"


def plain(heading: str) -> str:
    """``heading`` (markdown with inline LaTeX) as plain text: math spans made readable, ``**``, ``__`` and
    backticks dropped, runs of spaces made one."""
    text = re.sub(r"\$\$(.+?)\$\$|\$(.+?)\$", lambda m: _math(m[1] if m[1] is not None else m[2]), heading)
    text = text.replace("**", "").replace("__", "").replace("`", "")
    return re.sub(r"\s+", " ", text).strip()
