"""One cell's run-time code constructs, in this module's own words (:func:`constructs`); what ``dgmlab report``
makes of them per student and cell is :mod:`.runtime_code`'s.

The cell is parsed (``ast``, never run; IPython's magics turned into Python by IPython's own transformer first)
and each construct that runs text as code, decodes text, looks up or imports a name computed at run time, runs
code the parser cannot see (magics, shell commands) or reaches the kit's checking code is named with a word of
this module's (``"exec of zlib.decompress of base64.b64decode"``, ``"getattr with a computed name"``), never with
the cell's text.
"""
from __future__ import annotations

import ast
import re

from ... import syntax_tree
from .kit_imports import KIT_INTERNALS, dotted_name, kit_references

MAX_DEPTH = 3  # magic bodies parsed within magic bodies
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
        dotted = dotted_name(node)
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
        return syntax_tree.parse(_python(code))
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


__all__ = ["NOT_PARSED", "aliases_of", "constructs"]
