"""SetInstallSource (generate_assignment): the course's dgmlab install source in the release setup cell."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from traitlets import Bool, Unicode

from dgmlab import __version__

from .. import nbgrader_preprocessing

INSTALL_LINE = re.compile(r'^DGMLAB_INSTALL = .*$', re.MULTILINE)
# a local-only release's line: what a student needs (the setup cell's error says the rest), no release words
NO_SOURCE_LINE = 'DGMLAB_INSTALL = ""  # empty: in Colab, ask your instructor for the dgmlab wheel (.whl)'


class InstallSourceError(ValueError):
    """The course's install source cannot go into a release notebook; the message says how to set it."""


# `<org>`, `<your-repo>`, `<tag>`: a template value nobody filled in.
PLACEHOLDER = re.compile(r"<[^<>\s]*[A-Za-z][^<>\s]*>")
# Example values this kit once shipped, which name no real repository.
RETIRED = {"github.com/dgm-course/dgm-course": "a repository that does not exist (the kit's old example value)"}


def how_to_set() -> str:
    """How to set the install source: its setting, the three forms, and the local-only way out."""
    v = _version()
    return (
        "Set c.SetInstallSource.install_source in nbgrader_config.py to one fixed dgmlab version, in one of "
        "three forms:\n"
        f'    c.SetInstallSource.install_source = "dgmlab=={v}"  # a release on PyPI\n'
        f'    c.SetInstallSource.install_source = "dgmlab @ git+https://github.com/<org>/<repo>@v{v}"  # a Git tag\n'
        f'    c.SetInstallSource.install_source = "https://<host>/<path>/dgmlab-{v}-py3-none-any.whl"  # a wheel URL\n'
        "(replace every <...>; docs/publishing.md shows how to publish each). To release for local use only "
        "(the setup cell then tells Colab users to ask their instructor): `dgmlab release --local-only`, or for "
        "plain nbgrader --SetInstallSource.local_only=True or c.SetInstallSource.local_only = True.")


def install_source_problem(value: str) -> str | None:
    """Why ``value`` cannot be the install source of a release notebook, or ``None`` if it can.

    Accepted: a requirement pinning one version (``dgmlab==X.Y.Z``), ``dgmlab @ git+URL@REF``, a
    direct URL (``dgmlab @ https://...``), or a wheel of dgmlab by URL or path. Refused: nothing set,
    ``<...>`` placeholders, the kit's retired example, another package, and a bare or ranged name
    (``dgmlab``, ``dgmlab>=0.1``): it installs whatever is newest on the index the day each student
    runs the cell, so a class gets different helpers, none of them the one the release was tested with.
    """
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

    value = value.strip()
    if not value:
        return "no install source is set"
    found = PLACEHOLDER.search(value)
    if found:
        return f"the install source {value!r} still holds the placeholder {found.group()}"
    for retired, why in RETIRED.items():
        if retired in value:
            return f"the install source {value!r} names {retired}, {why}"
    try:
        req = Requirement(value)
    except InvalidRequirement:
        if not value.endswith(".whl"):
            return (f"the install source {value!r} is neither a pip requirement for dgmlab nor the URL or path "
                    f"of a dgmlab wheel (.whl)")
        try:
            name = parse_wheel_filename(value.rsplit("/", 1)[-1])[0]
        except InvalidWheelFilename as exc:
            return f"the install source {value!r} does not end in a valid wheel file name ({exc})"
    else:
        name = req.name
        if req.url is None:
            pins = [s for s in req.specifier if s.operator in ("==", "===") and "*" not in s.version]
            if len(pins) != 1 or len(req.specifier) != 1:
                return (f"the install source {value!r} does not pin one dgmlab version: Colab would install "
                        f"whatever is newest on the index that day (write e.g. dgmlab=={_version()})")
        elif req.url.startswith("git+") and "@" not in urlsplit(req.url[4:]).path:
            return f"the install source {value!r} names no Git tag: end the URL with @<tag>, e.g. @v{_version()}"
    if canonicalize_name(name) != "dgmlab":
        return f"the install source {value!r} installs the package {name!r}, not dgmlab"
    return None


def _version() -> str:
    return __version__


class SetInstallSource(nbgrader_preprocessing.NbGraderPreprocessor):
    """Write the course's dgmlab install source into the release setup cell, or refuse to release.

    The setup cell (grade_id ``setup``) holds a line ``DGMLAB_INSTALL = "..."``
    that Colab passes to ``pip install``; this preprocessor replaces its value
    with :attr:`install_source` so one setting serves every homework. An
    unset or placeholder source raises :class:`InstallSourceError` (so plain
    ``nbgrader generate_assignment`` refuses too) unless :attr:`local_only`
    is set; a local-only release gets an empty value, on which the setup
    cell stops in Colab with a message for the student.
    """

    install_source = Unicode(
        "",
        help="pip requirement Colab installs dgmlab from, one fixed version: 'dgmlab==X.Y.Z', "
             "'dgmlab @ git+https://...@TAG', or a wheel URL. See docs/publishing.md.",
    ).tag(config=True)
    local_only = Bool(
        False,
        help="Release for local use only: write no install source (the setup cell then tells Colab "
             "users to ask the instructor) instead of refusing when install_source is unset.",
    ).tag(config=True)

    def problem(self) -> str | None:
        """The error to raise for this configuration (what is wrong and how to set it), or ``None``."""
        if self.local_only:
            return None
        why = install_source_problem(self.install_source)
        if why is None:
            return None
        return f"refusing to write release notebooks: {why}.\n{how_to_set()}"

    def preprocess_cell(self, cell, resources, index):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade_id") == "setup":
            if not INSTALL_LINE.search(cell.source):
                raise ValueError("the setup cell has no line 'DGMLAB_INSTALL = ...' to set; rebuild the notebook "
                                 "with dgmlab build")
            problem = self.problem()
            if problem:
                raise InstallSourceError(problem)
            if self.local_only:
                line = NO_SOURCE_LINE
            else:
                value = self.install_source.strip().replace("\\", "\\\\").replace('"', '\\"')
                line = f'DGMLAB_INSTALL = "{value}"  # where Colab installs dgmlab from: set by the course'
            cell.source = INSTALL_LINE.sub(lambda _: line, cell.source)
        return cell, resources

