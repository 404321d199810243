"""Answer cells that build code or names at run time, listed for the instructor by ``dgmlab report``.

Text comparison (:mod:`.similarity`) and the kit-import check (:mod:`.kit_imports`) read what an answer says; an
answer that runs text it decodes (``exec(zlib.decompress(base64.b64decode("...")))``: an encoded copy of a kit
solution matches nothing), or reaches a name it computes (``getattr(m, "stat" + "ement_d_loss")``), says nothing
they can read. An honest answer has no use for those constructs, so each answer cell is parsed (``ast``, never run;
IPython's magics turned into Python by IPython's own transformer first) and every construct of :data:`CONSTRUCTS`'
kinds is listed per student and cell: ``exec``/``eval``/``compile``/``__import__``, ``importlib``, ``getattr``
and its kin with a name that is not a literal, ``globals()``/``vars()``/``__dict__`` with a computed key, the
decoders (base64, zlib, bz2, lzma, marshal, pickle, codecs, binascii, ``bytes.fromhex``), ``types.FunctionType``/
``CodeType``, magics and shell commands that run code the parser cannot see, references to the kit's checking
code (:mod:`.kit_imports`), and a cell that does not parse. It changes no grade.

What a row says is made of this module's own words (``"exec of zlib.decompress of base64.b64decode"``,
``"getattr with a computed name"``), never of the submission's text. Cells are placed by their position and, where
the cell stands where the release notebook has an answer cell, by that cell's grade id: the structure comes from
the release notebook, never from the submission's metadata (a student may rewrite it). Cells identical to one of
the release notebook's (its given code, tests, and unanswered stubs) are not read.
"""
from __future__ import annotations

import ast
import csv
import dataclasses
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .kit_imports import KIT_INTERNALS, kit_references

MAX_NOTEBOOK_BYTES = 32 * 2**20  # larger notebooks are not read (said so)
MAX_CELL_CHARS = 1_000_000  # a larger cell is not parsed; it is listed as such
MAX_DEPTH = 3  # magic bodies parsed within magic bodies
CSV_COLUMNS = ["homework", "student", "cell", "grade_id", "construct"]

# canonical names whose mere reference is listed (what is called, decoded or built), with the row's word
_DECODERS = {
    **{f"base64.{n}": f"base64.{n}" for n in ("b64decode", "b32decode", "b32hexdecode", "b16decode", "b85decode",
                                             "a85decode", "z85decode", "urlsafe_b64decode", "standard_b64decode",
                                             "decodebytes", "decodestring", "decode")},
    **{f"zlib.{n}": f"zlib.{n}" for n in ("decompress", "decompressobj")},
    **{f"gzip.{n}": f"gzip.{n}" for n in ("decompress",)},
    **{f"bz2.{n}": f"bz2.{n}" for n in ("decompress", "BZ2Decompressor")},
    **{f"lzma.{n}": f"lzma.{n}" for n in ("decompress", "LZMADecompressor")},
    **{f"marshal.{n}": f"marshal.{n}" for n in ("loads", "load")},
    **{f"{m}.{n}": f"{m}.{n}" for m in ("pickle", "_pickle", "dill", "cloudpickle")
       for n in ("loads", "load", "Unpickler")},
    **{f"codecs.{n}": f"codecs.{n}" for n in ("decode", "encode", "getdecoder", "getencoder", "lookup",
                                             "iterdecode", "iterencode", "getincrementaldecoder")},
    **{f"binascii.{n}": f"binascii.{n}" for n in ("a2b_base64", "a2b_hex", "unhexlify", "a2b_uu", "a2b_qp",
                                                 "a2b_hqx", "rledecode_hqx")},
    "bytes.fromhex": "bytes.fromhex", "bytearray.fromhex": "bytearray.fromhex",
}
_RUNNERS = {  # run text as code, or import by a name
    "exec": "exec", "eval": "eval", "compile": "compile", "__import__": "__import__",
    "importlib.import_module": "importlib.import_module", "importlib.__import__": "importlib.__import__",
    "importlib.reload": "importlib.reload", "runpy.run_path": "runpy.run_path", "runpy.run_module": "runpy.run_module",
    "runpy.run_code": "runpy.run_code", "imp.load_source": "imp.load_source", "imp.load_module": "imp.load_module",
    "types.FunctionType": "types.FunctionType", "types.LambdaType": "types.FunctionType",
    "types.CodeType": "types.CodeType", "types.ModuleType": "types.ModuleType", "sys.modules": "sys.modules",
    "code.InteractiveInterpreter": "code.InteractiveInterpreter", "code.InteractiveConsole": "code.InteractiveConsole",
}
_PREFIXES = ("importlib.util.", "importlib.machinery.", "importlib.abc.")  # any name of these is listed as the module
_HARMLESS = ("importlib.util.find_spec",)  # the release's setup cell's: says whether a module is there, loads none
_REFERENCES = {**_DECODERS, **_RUNNERS}
_BUILTINS = ("exec", "eval", "compile", "__import__", "getattr", "setattr", "hasattr", "delattr", "globals", "vars",
             "locals", "bytes", "bytearray")  # names that are builtins unless the cell binds them
_ATTR_FUNCS = ("getattr", "setattr", "hasattr", "delattr")
_NAMESPACES = ("globals", "vars", "locals")
_DUNDERS = {"__code__": "a function's __code__", "__globals__": "a function's __globals__",
            "__builtins__": "__builtins__", "__subclasses__": "__subclasses__",
            "__getattribute__": "__getattribute__", "__loader__": "__loader__", "__spec__": "__spec__"}
_PY_MAGICS = ("time", "timeit", "capture", "prun", "debug")  # their body (or line) is Python: parsed in turn
_HIDING_MAGICS = ("run", "load", "loadpy", "macro", "rerun", "recall", "edit", "store", "load_ext", "reload_ext",
                  "script", "python", "python2", "python3", "pypy", "bash", "sh", "writefile", "file", "sx", "system",
                  "perl", "ruby", "px", "autopx", "killbgscripts", "%")  # run code this parser cannot see
_IPYTHON = ("run_line_magic", "run_cell_magic", "system", "getoutput")  # what IPython's transformer writes
NOT_PARSED = "code that does not parse"
KIT = "reaches {}"  # {}: one of kit_imports.KIT_INTERNALS


# ---- one cell's text -> its constructs ------------------------------------------------------------------------------

def _python(code: str) -> str:
    """``code`` with IPython's syntax (``%magic``, ``!cmd``, ``x?``) turned into Python as IPython runs it; lines
    starting with ``%``/``!`` left out where IPython is not installed."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(code)
    except Exception:  # no IPython, or text it cannot transform: the parse below says so
        return "\n".join("" if re.match(r"\s*[%!]", line) else line for line in code.splitlines())


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else None


def _literal(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))


class _Cell:
    """The constructs of one parsed cell (an :class:`ast.AST` walk, iterative: no recursion on the student's depth)."""

    def __init__(self, tree, aliases: dict):
        self.tree, self.found = tree, set()
        self.aliases = dict(aliases)  # local name -> canonical dotted name (imports, plain assignments)
        self.own = set()  # builtin names the cell binds to something of its own (def, class, assignment)
        self._bind()

    # names -------------------------------------------------------------------------------------------------------
    def _bind(self):
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.aliases[a.asname] = a.name
                    else:
                        head = a.name.split(".")[0]
                        self.aliases[head] = head
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in _BUILTINS:
                self.own.add(node.name)
        for node in ast.walk(self.tree):  # x = exec, d = base64.b64decode: x, d are aliases; eval = 3 is the cell's
            if isinstance(node, ast.Assign):
                target = self.canonical(node.value)
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        if target:
                            self.aliases[t.id] = target
                        elif t.id in _BUILTINS:
                            self.own.add(t.id)

    def canonical(self, node) -> str | None:
        """The dotted name ``node`` stands for (``b.b64decode`` with ``import base64 as b``: ``base64.b64decode``;
        ``getattr(builtins, "exec")``: ``exec``), or None."""
        if isinstance(node, ast.Call) and self.canonical(node.func) == "getattr" and len(node.args) >= 2 \
                and _literal(node.args[1]) and isinstance(node.args[1].value, str):
            base = self.canonical(node.args[0])
            return self._builtin(f"{base}.{node.args[1].value}") if base else None
        if isinstance(node, ast.Subscript) and _literal(node.slice) and isinstance(node.slice.value, str):
            base = node.value.value if isinstance(node.value, ast.Attribute) and node.value.attr == "__dict__" \
                else node.value
            name = self.canonical(base)
            if name in ("__builtins__", "builtins"):  # __builtins__["exec"], builtins.__dict__["exec"]
                return node.slice.value
            return None
        dotted = _dotted(node)
        if not dotted:
            return None
        head, _, rest = dotted.partition(".")
        if head in self.aliases:
            head = self.aliases[head]
        elif head in _BUILTINS and head in self.own:
            return None
        return self._builtin(f"{head}.{rest}" if rest else head)

    @staticmethod
    def _builtin(name: str) -> str:
        for prefix in ("builtins.", "__builtins__.", "__builtin__."):
            if name.startswith(prefix):
                return name[len(prefix):]
        return name

    @staticmethod
    def word(name: str | None) -> str | None:
        """This module's own word for a canonical name, or None when it is not one it lists."""
        if name is None:
            return None
        if name in _REFERENCES:
            return _REFERENCES[name]
        for prefix in _PREFIXES:
            if name.startswith(prefix) and name not in _HARMLESS:
                return prefix[:-1]
        return None

    # constructs --------------------------------------------------------------------------------------------------
    def _chain(self, arg, depth: int = 0) -> list:
        """The decoders (and ``compile``) ``arg`` goes through, outermost first: ``zlib.decompress(b64decode(s))``
        gives ["zlib.decompress", "base64.b64decode"]; ``.decode()`` of bytes is looked through."""
        out = []
        while isinstance(arg, ast.Call) and len(out) < 6:
            word = self.word(self.canonical(arg.func))
            if word and (word in _DECODERS.values() or word == "compile"):
                out.append(word)
                arg = arg.args[0] if arg.args else None
            elif isinstance(arg.func, ast.Attribute) and arg.func.attr in ("decode", "encode"):
                arg = arg.func.value
            else:
                break
        return out

    def run(self, depth: int) -> set:
        imported = set()
        inside = set(self._parameters())  # nodes already described (an exec's chain), or a parameter's own name
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and id(node) not in inside:
                self._call(node, inside, depth)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    word = self.word(self._builtin(f"{node.module}.{a.name}"))
                    if word:
                        imported.add(word)
            elif isinstance(node, ast.Subscript) and not _literal(node.slice):
                space = self._namespace(node.value)
                if space:
                    self.found.add(f"{space} with a computed key")
            elif isinstance(node, ast.Attribute) and node.attr in _DUNDERS:
                self.found.add(_DUNDERS[node.attr])
            elif isinstance(node, ast.Name) and node.id == "__builtins__":
                self.found.add("__builtins__")
        for node in ast.walk(self.tree):  # any other reference: f = exec; map(eval, ...); x = base64.b64decode
            if isinstance(node, (ast.Name, ast.Attribute)) and id(node) not in inside \
                    and isinstance(getattr(node, "ctx", None), ast.Load):
                word = self.word(self.canonical(node))
                if word and not any(c == word or c.startswith(word + " ") or f" {word}" in c for c in self.found):
                    self.found.add(word)
        self.found |= {f"import of {w}" for w in imported if not any(w in c for c in self.found)}
        return self.found

    def _parameters(self):
        """ids of the names, in a function's body, of its parameters named like a builtin (``def f(eval=False)``):
        the function's own, not the builtin; the same name outside the function still is."""
        for fn in ast.walk(self.tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                a = fn.args
                params = {p.arg for p in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if p} \
                    & set(_BUILTINS)
                body = fn.body if isinstance(fn.body, list) else [fn.body]
                for stmt in body if params else []:
                    for node in ast.walk(stmt):
                        if isinstance(node, ast.Name) and node.id in params:
                            yield id(node)

    def _namespace(self, node) -> str | None:
        if isinstance(node, ast.Call) and self.canonical(node.func) in _NAMESPACES:
            return f"{self.canonical(node.func)}()"
        if isinstance(node, ast.Attribute) and node.attr == "__dict__":
            return "__dict__"
        if self.canonical(node) in ("__builtins__", "builtins.__dict__"):
            return "__builtins__"
        return None

    def _call(self, node, inside: set, depth: int):
        if isinstance(node.func, ast.Name) and id(node.func) in inside:  # a parameter of the function's own
            return
        name = self.canonical(node.func)
        word = self.word(name)
        part = node.func
        while isinstance(part, ast.Attribute):  # the called name, described here: not again as a reference
            inside.add(id(part))
            part = part.value
        if isinstance(part, ast.Name):
            inside.add(id(part))
        if name in _ATTR_FUNCS or (isinstance(node.func, ast.Attribute) and node.func.attr in (
                "__getattribute__", "__getattr__", "__setattr__", "__delattr__")):
            label = name if name in _ATTR_FUNCS else node.func.attr
            at = 1 if name in _ATTR_FUNCS else 0
            if len(node.args) <= at or not _literal(node.args[at]):
                self.found.add(f"{label} with a computed name")
        elif name in ("operator.attrgetter", "operator.methodcaller") and not all(map(_literal, node.args[:1])):
            self.found.add(f"{name} with a computed name")
        elif isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "pop", "setdefault", "update") \
                and self._namespace(node.func.value):
            space = self._namespace(node.func.value)
            if node.func.attr == "update":
                self.found.add(f"{space} updated")
            elif not node.args or not _literal(node.args[0]):
                self.found.add(f"{space} with a computed key")
        elif word in ("exec", "eval", "compile", "runpy.run_code", "types.FunctionType", "types.CodeType"):
            chain = self._chain(node.args[0]) if node.args else []
            for arg in node.args[:1]:
                for sub in ast.walk(arg):  # described in the chain: not listed again on their own
                    if isinstance(sub, ast.Call) and self.word(self.canonical(sub.func)) in chain:
                        inside.add(id(sub))
                        for part in ast.walk(sub.func):
                            inside.add(id(part))
            self.found.add(" of ".join([word, *chain]))
        elif word:
            self.found.add(word)
        elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call) \
                and self.canonical(node.func.value.func) == "get_ipython":
            self._ipython(node, depth)
        if isinstance(node.func, ast.Name) and node.func.id == "get_ipython" and not node.args:
            inside.add(id(node.func))

    def _ipython(self, node, depth: int):
        """``get_ipython().run_line_magic("time", "...")`` and the like, as IPython's transformer writes magics."""
        what, args = node.func.attr, node.args
        if what in ("system", "getoutput"):
            self.found.add("a shell command")
            return
        if what not in ("run_line_magic", "run_cell_magic") or not args or not all(map(_literal, args)):
            self.found.add("get_ipython() running code")
            return
        magic = args[0].value if isinstance(args[0].value, str) else ""
        body = args[-1].value if isinstance(args[-1].value, str) else ""
        if magic in _PY_MAGICS:
            self.found.update(constructs(body, self.aliases, depth + 1))
        elif magic in _HIDING_MAGICS:
            self.found.add(f"the magic %{magic}" if what == "run_line_magic" else f"the cell magic %%{magic}")


def _parse(code: str):
    try:
        return ast.parse(_python(code))
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def aliases_of(cells) -> dict:
    """{local name: module or name} the import statements of ``cells`` (a notebook's code) bind; a cell's own
    imports are added to these when it is read (``import base64 as b`` in one cell, ``b.b64decode`` in another)."""
    out: dict = {}
    for code in cells:
        tree = _parse(code)
        if tree is not None:
            out.update(_Cell(tree, {}).aliases)
    return out


def constructs(code: str, aliases: dict | None = None, depth: int = 0) -> list[str]:
    """The run-time code constructs of one cell's ``code``, sorted, in this module's own words; [] for plain code.
    A cell that does not parse gives ``[NOT_PARSED]``; ``aliases``: :func:`aliases_of` the notebook."""
    if depth > MAX_DEPTH:
        return ["magics nested too deep to read"]
    tree = _parse(code)
    if tree is None:
        return [NOT_PARSED]
    try:
        found = _Cell(tree, aliases or {}).run(depth)
    except (RecursionError, MemoryError):
        return [NOT_PARSED]
    for ref in kit_references(code):
        found |= {KIT.format(m) for m in KIT_INTERNALS if ref == m or ref.startswith(m + ".")}
    for node in ast.walk(tree):  # import_module(name) with name = "dgmlab.probes...": the string says where
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found |= {f"a string naming {m}" for m in KIT_INTERNALS if m in node.value or m.replace(".", "/")
                      in node.value}
    return sorted(found)


# ---- a notebook -> its rows -----------------------------------------------------------------------------------------

@dataclass
class Finding:
    """``student``'s cell at ``cell`` (1-based position in the submission) holds ``construct``."""

    hw: str
    student: str
    cell: int
    grade_id: str | None  # the release notebook's answer cell it stands for; None: a cell of the student's own
    construct: str

    @property
    def where(self) -> str:
        return f"cell {self.cell}" + (f" ({self.grade_id})" if self.grade_id else "")


@dataclass
class HomeworkRuntimeCode:
    hw: str
    students: int
    findings: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # "<who>: what was not read and why"

    def flagged(self) -> dict:
        out: dict = {}
        for f in self.findings:
            out.setdefault(f.student, []).append(f)
        return out


def _read(path: Path):
    """The cells of a notebook, read as untrusted JSON: [(cell_type, source, nbgrader metadata dict)]."""
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"{size / 2**20:.0f} MiB, over the {MAX_NOTEBOOK_BYTES // 2**20} MiB limit")
    try:
        nb = json.loads(path.read_bytes().decode("utf-8"))
        cells = nb["cells"]
        if not isinstance(cells, list):
            raise TypeError
    except Exception as exc:
        raise ValueError(f"{type(exc).__name__}: not a notebook") from None
    out = []
    for cell in cells:
        if not isinstance(cell, dict):
            out.append(("", "", {}))
            continue
        src = cell.get("source", "")
        src = "".join(s for s in src if isinstance(s, str)) if isinstance(src, list) else src
        meta = cell.get("metadata")
        nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
        kind = cell.get("cell_type")
        out.append((kind if isinstance(kind, str) else "", src if isinstance(src, str) else "",
                    nbg if isinstance(nbg, dict) else {}))
    return out


def _answer_ids(release: list, submission: list) -> dict:
    """{submission cell index: grade id} for the cells standing where the release notebook has an answer cell.

    The two notebooks are aligned on their identical cells (given code, questions, tests); between two such cells,
    a submission cell is that stretch's answer cell of its type when the release has one there and the submission
    one cell of that type, or when its metadata names one of that stretch's answer cells (a claim checked against
    the release, never taken alone)."""
    key = [(t, s) for t, s, _ in release]
    out = {}
    matcher = difflib.SequenceMatcher(None, key, [(t, s) for t, s, _ in submission], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2)):
                if release[i][2].get("solution") and isinstance(release[i][2].get("grade_id"), str):
                    out[j] = release[i][2]["grade_id"]
            continue
        answers = [(release[i][0], release[i][2]["grade_id"]) for i in range(i1, i2)
                   if release[i][2].get("solution") and isinstance(release[i][2].get("grade_id"), str)]
        for kind in {t for t, _ in answers}:
            mine = [j for j in range(j1, j2) if submission[j][0] == kind]
            theirs = [g for t, g in answers if t == kind]
            for j in mine:
                claim = submission[j][2].get("grade_id")
                if claim in theirs and claim not in out.values():
                    out[j] = claim
            left = [g for g in theirs if g not in out.values()]
            unplaced = [j for j in mine if j not in out]
            if len(left) == 1 and len(unplaced) == 1:
                out[unplaced[0]] = left[0]
    return out


def scan_notebook(hw: str, student: str, path: Path, release: list, source: list = ()) -> list:
    """The :class:`Finding` of ``student``'s notebook at ``path``; ``release``, ``source``: the release and the
    instructor's notebooks' cells (:func:`_read`). A cell identical to one of the release's, or to one of the
    source's that is not an answer (a test cell with its hidden part), is the kit's and not read. Raises ValueError
    for a file that is not a readable notebook."""
    cells = _read(path)
    given = {s for t, s, _ in release if t == "code"}
    given |= {s for t, s, m in source if t == "code" and not m.get("solution")}
    ids = _answer_ids(release, cells)
    aliases = aliases_of([s for t, s, _ in cells if t == "code" and len(s) <= MAX_CELL_CHARS])
    out = []
    for j, (kind, src, _) in enumerate(cells):
        if kind != "code" or src in given or not src.strip():
            continue
        found = [f"a cell over {MAX_CELL_CHARS:,} characters, not read"] if len(src) > MAX_CELL_CHARS \
            else constructs(src, aliases)
        out += [Finding(hw, student, j + 1, ids.get(j), c) for c in found]
    return out


def scan_homework(course, hw: str, notebooks: dict | None = None) -> HomeworkRuntimeCode:
    """Every submitted notebook of ``hw`` (``{student: path}``, by default ``submitted/<student>/<hw>/<hw>.ipynb``)
    read for run-time code; the release notebook gives the structure and the given code."""
    if notebooks is None:
        notebooks = {s: course.folder("submitted", hw, s) / f"{hw}.ipynb" for s in course.submitted(hw)}
    result = HomeworkRuntimeCode(hw, len(notebooks))
    release_path = course.release_notebook(hw)
    try:
        release = _read(release_path)
    except (OSError, ValueError):
        result.skipped.append(f"not read: no release notebook release/{hw}/{hw}.ipynb (run `dgmlab release {hw}`)")
        return result
    try:
        source = _read(course.source_notebook(hw))
    except (OSError, ValueError):  # a course without the instructor's notebook: the release's text alone is given
        source = []
    for sid, path in sorted(notebooks.items()):
        try:
            result.findings += scan_notebook(hw, sid, path, release, source)
        except (OSError, ValueError) as exc:
            result.skipped.append(f"{sid}: {path.name} not read ({exc})")
    result.findings.sort(key=lambda f: (f.student, f.cell, f.construct))
    return result


def scan(course, hws) -> list:
    return [scan_homework(course, hw) for hw in hws]


def write_csv(results: list, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS)
        for r in results:
            for x in r.findings:
                w.writerow([x.hw, x.student, x.cell, x.grade_id or "", x.construct])
    return path


def format_report(results: list) -> str:
    """One line per student and homework with run-time code: where, and what."""
    lines = []
    for r in results:
        lines += [f"{r.hw}: {s}" for s in r.skipped]
        for sid, found in sorted(r.flagged().items()):
            cells: dict = {}
            for x in found:
                cells.setdefault(x.where, []).append(x.construct)
            lines.append(f"{r.hw}: {sid}: " + "; ".join(f"{w}: {', '.join(c)}" for w, c in cells.items()))
    return "\n".join(lines)


def html_section(hw: str, results: list) -> str:
    """The dashboard's section: a row per cell and construct (escaped, though every construct is this module's)."""
    from .html_text import _e

    out = ["<h3>Code built at run time</h3><p class=\"muted\">Answer cells that run text as code (exec, eval, "
           "compile), decode text (base64, zlib, marshal, pickle, codecs), import or look up a name computed at run "
           "time, run magics or shell commands, reach the kit's checking code, or do not parse "
           "(docs/similarity.md). An encoded copy of a solution matches no text but is listed here. A reason to "
           "look, not a verdict: it changes no grade.</p>"]
    mine = [r for r in results if r.hw == hw]
    if not mine:
        out.append('<p class="muted">Not read.</p>')
    for r in mine:
        out += [f'<p class="muted">{_e(s)}</p>' for s in r.skipped]
        if not r.findings:
            out.append(f"<p>No run-time code among {r.students} submissions.</p>")
            continue
        out.append(f'<p class="bad"><span data-hw="{_e(hw)}" data-stat="runtime_students">{len(r.flagged())}</span> '
                   f"of {r.students} students.</p><table class=\"similar\"><tr><th>student</th><th>cell</th>"
                   "<th>construct</th></tr>")
        out += [f'<tr data-hw="{_e(hw)}" data-stat="runtime"><td data-stat="student">{_e(x.student)}</td>'
                f'<td data-stat="where">{_e(x.where)}</td><td data-stat="construct">{_e(x.construct)}</td></tr>'
                for x in r.findings]
        out.append("</table>")
    return "".join(out)


def anonymize(results: list, names: dict) -> list:
    """``results`` with every student id replaced by its pseudonym (skipped lines, which name students, left out)."""
    return [dataclasses.replace(r, skipped=[], findings=sorted(
        (dataclasses.replace(x, student=names[x.student]) for x in r.findings),
        key=lambda x: (x.student, x.cell, x.construct))) for r in results]


__all__ = ["CSV_COLUMNS", "Finding", "HomeworkRuntimeCode", "NOT_PARSED", "aliases_of", "anonymize", "constructs",
           "format_report", "html_section", "scan", "scan_homework", "scan_notebook", "write_csv"]
