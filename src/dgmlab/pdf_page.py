"""The page ``dgmlab pdf`` prints of a notebook: one self-contained HTML page (:func:`notebook_html`) of what the
notebook shows (:func:`printable`, images within the pixel budget), its cells' HTML through the ``nh3`` sanitiser
(:func:`sanitised`), math left to a local MathJax with its Safe extension (:data:`SAFE_MATH`), a
Content-Security-Policy allowing no web resource (:func:`policy`); :func:`section` is a notebook cut to some cells
(a question's)."""
from __future__ import annotations

import copy
import html as html_text
import re
from pathlib import Path

from .image_budget import Budget, decoded
from .pdf_tools import PdfError, mathjax_config

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")  # the only images a page shows, as data:
DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*", re.IGNORECASE)

CSS = """
/* dgmlab pdf: long lines wrap instead of running off the page */
pre, .jp-InputArea pre, .jp-OutputArea pre, .jp-RenderedText pre, .highlight pre, code {
  white-space: pre-wrap !important; overflow-wrap: anywhere !important; word-break: normal;
}
.jp-InputArea-editor, .jp-OutputArea-output, .jp-RenderedText, .highlight, .jp-CodeMirrorEditor {
  overflow: visible !important; max-width: 100%;
}
.jp-InputArea-editor { overflow-x: hidden !important; }
img { max-width: 100% !important; height: auto !important; break-inside: avoid; }
.MathJax_Display, .MathJax { overflow-wrap: normal !important; }
/* no scroll bars on paper */
.MathJax_Display, .jp-RenderedHTMLCommon, .jp-Notebook { overflow: visible !important; }
.jp-Notebook { padding: 0 !important; }
body { margin: 0 !important; padding: 0 !important; overflow: visible !important; }
/* code colours with WCAG AA contrast (4.5:1) on the cell's grey, where JupyterLab's light theme has less */
:root {
  --jp-mirror-editor-comment-color: #2e5e5e; --jp-mirror-editor-number-color: #006400;
  --jp-mirror-editor-operator-color: #8a14d6; --jp-mirror-editor-meta-color: #8a14d6;
  --jp-mirror-editor-atom-color: #3d3dcc; --jp-mirror-editor-variable-3-color: #006644;
  --jp-mirror-editor-bracket-color: #6b6b4f; --jp-mirror-editor-quote-color: #007a00;
  --jp-mirror-editor-error-color: #cc0000;
}
/* ANSI colours (a traceback's) the same, also on an error's pink; 256-colour and RGB ones (inline styles) go */
.jp-RenderedText pre .ansi-black-fg, .jp-RenderedText pre .ansi-black-intense-fg { color: #3e424d; }
.jp-RenderedText pre .ansi-red-fg, .jp-RenderedText pre .ansi-red-intense-fg { color: #9b1c22; }
.jp-RenderedText pre .ansi-green-fg, .jp-RenderedText pre .ansi-green-intense-fg { color: #006020; }
.jp-RenderedText pre .ansi-yellow-fg, .jp-RenderedText pre .ansi-yellow-intense-fg { color: #7a5600; }
.jp-RenderedText pre .ansi-blue-fg, .jp-RenderedText pre .ansi-blue-intense-fg { color: #0b57a4; }
.jp-RenderedText pre .ansi-magenta-fg, .jp-RenderedText pre .ansi-magenta-intense-fg { color: #8b1e8b; }
.jp-RenderedText pre .ansi-cyan-fg, .jp-RenderedText pre .ansi-cyan-intense-fg { color: #0b6464; }
.jp-RenderedText pre .ansi-white-fg, .jp-RenderedText pre .ansi-white-intense-fg { color: #595959; }
.jp-RenderedText pre span[style] { color: inherit !important; background-color: transparent !important; }
"""

# MathJax's Safe extension, allowing nothing of what TeX could add to the page after the sanitiser has run: no link
# (\href: a file: or javascript: link in the PDF), no class, id or style (\class, \cssId, \style: CSS url()
# fetches, hiding), no \require of another extension
# (and display math broken across lines where it would run past the page's margin: a student's hw2 PDF lost the end
# of a loss's formula at the right edge)
SAFE_MATH = """<script type="text/x-mathjax-config">
MathJax.Hub.Config({extensions: ["Safe.js"],
  Safe: {allow: {URLs: "none", classes: "none", cssIDs: "none", styles: "none", require: "none"}},
  "HTML-CSS": {linebreaks: {automatic: true}}, CommonHTML: {linebreaks: {automatic: true}},
  SVG: {linebreaks: {automatic: true}}});
</script>"""


def load_sanitiser():
    """The ``nh3`` module, or a :class:`PdfError` naming its install."""
    try:
        import nh3
    except ImportError:
        raise PdfError("dgmlab pdf needs nh3 (the HTML sanitiser it prints through): pip install nh3") from None
    return nh3


def _data_image(uri: str) -> bytes | None:
    """The bytes of a ``data:image/...;base64,`` URI (:data:`DATA_IMAGE`)."""
    return decoded(uri.partition(",")[2])


def _kept(tag: str, attribute: str, value: str, budget=None):
    """nh3's attribute filter: an image only as a ``data:`` PNG, JPEG, GIF or WebP (within ``budget``, a
    :class:`dgmlab.image_budget.Budget`, when given); a link only to the web, mail or the page itself (never fetched
    when printing, but not a file either)."""
    if attribute == "src":
        if tag != "img" or not DATA_IMAGE.fullmatch(value.strip()):
            return None
        return value if budget is None or not budget.take(_data_image(value.strip())) else None
    if attribute == "href":
        return value if re.match(r"(#|https?:|mailto:)", value.strip(), re.IGNORECASE) else None
    if attribute in ("cite", "longdesc", "srcset", "usemap"):
        return None
    return value


def sanitised(fragment: str) -> str:
    """``fragment`` (HTML of a notebook's cells) through nh3: the tags and attributes of ordinary documents and
    nbconvert's layout (``class``, ``id``, ``data-*``), nothing that runs, styles, embeds or loads (script,
    style, link, meta, iframe, object, svg, form, ``style`` and ``on*`` attributes), images only as ``data:``, and
    those within one page's pixel budget (:mod:`dgmlab.image_budget`; :func:`printable` has already left out, with a
    note, every image it found over it: this is the backstop)."""
    nh3 = load_sanitiser()
    budget = Budget()
    attributes = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
    attributes["*"] = {"class", "id", "title", "lang", "dir", "tabindex", "role", "aria-label", "aria-hidden"}
    return nh3.clean(fragment, tags=set(nh3.ALLOWED_TAGS) | {"main", "section"},
                     clean_content_tags={"script", "style", "svg", "math", "template", "textarea", "iframe",
                                         "object", "noscript", "title"},
                     attributes=attributes, generic_attribute_prefixes={"data-"},
                     attribute_filter=lambda tag, attribute, value: _kept(tag, attribute, value, budget),
                     url_schemes={"http", "https", "mailto", "data"}, strip_comments=True)


def _plain(name: str) -> str:
    """A student's name for a file as inert text in a note (no markdown, HTML or TeX)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(name))[:80]


def _inline_images(text: str, budget, where: str, notes: list) -> str:
    """``text`` (markdown or HTML) with each ``data:`` image over ``budget`` replaced by ``left-out-image`` (a
    broken image the sanitiser drops) and a note for it in ``notes``."""
    def one(m):
        why = budget.take(_data_image(m.group(0)))
        if not why:
            return m.group(0)
        notes.append(f"[image left out: {where}, {m.group(1).lower()} image {len(notes) + 1}: {why}]")
        return "left-out-image"

    return DATA_IMAGE.sub(one, text)


def printable(nb):
    """A copy of ``nb`` holding only what a page shows: cells and their outputs, without the notebook's metadata
    (a title, widget state), an output's file names, SVG, PDF or JavaScript outputs, or attachments that are not
    PNG, JPEG, GIF or WebP. An image over the page's pixel budget (:class:`dgmlab.image_budget.Budget`, in cell
    order) is replaced by a note naming it and its size."""
    import nbformat

    budget = Budget()
    nb = copy.deepcopy(nbformat.from_dict(nb))
    nb.metadata = nbformat.from_dict({"language_info": {"name": "python", "pygments_lexer": "ipython3"}})
    for number, cell in enumerate(nb.cells, start=1):
        number = (cell.get("metadata") or {}).get(CELL_NUMBER, number)  # in the whole notebook (section's)
        where, notes = f"cell {int(number) if isinstance(number, int) else '?'}", []
        if "attachments" in cell:  # (an attachment with no image left is dropped: nbconvert fails on an empty one)
            kept = {}
            for name, bundle in (cell.attachments or {}).items():
                images = {t: v for t, v in (bundle or {}).items() if t in IMAGE_TYPES}
                for t, v in list(images.items()):
                    why = budget.take(decoded(v))
                    if why:
                        notes.append(f"[image left out: {where}, attachment {_plain(name)} ({t}): {why}]")
                        del images[t]
                kept[name] = images
            cell.attachments = {name: bundle for name, bundle in kept.items() if bundle}
        if cell.cell_type == "markdown":  # a reference to an attachment not kept is a broken image, not an error
            kept_names = set(cell.get("attachments") or {})
            cell.source = re.sub(r"attachment:([^\s)\"'>]*)",
                                 lambda m: m.group(0) if m.group(1) in kept_names else "left-out-attachment",
                                 cell.source)
            cell.source = _inline_images(cell.source, budget, where, notes)
            if notes:
                cell.source += "\n\n" + "\n\n".join(f"*{n}*" for n in notes)
        for output in cell.get("outputs", []):
            if "data" in output:
                output.data = {t: v for t, v in output.data.items()
                               if t in IMAGE_TYPES or t.startswith("text/") and t != "text/javascript"}
                left = []
                for t in [t for t in output.data if t in IMAGE_TYPES]:
                    why = budget.take(decoded(output.data[t]))
                    if why:
                        left.append(f"[image left out: {where}, output image ({t}): {why}]")
                        del output.data[t]
                for t in ("text/html", "text/markdown"):
                    if isinstance(output.data.get(t), (str, list)):
                        text = "".join(output.data[t]) if isinstance(output.data[t], list) else output.data[t]
                        own = []
                        output.data[t] = _inline_images(text, budget, f"{where}, output ({t})", own)
                        if own:
                            output.data[t] += "".join(f"<p>{html_text.escape(n)}</p>" if t == "text/html"
                                                      else f"\n\n{n}" for n in own)
                if left:
                    output.data["text/plain"] = "\n".join(left)
            if "metadata" in output:
                output.metadata = {t: m for t, m in (output.metadata or {}).items() if t in ("image/png", "image/jpeg")
                                   and isinstance(m, dict) and set(m) <= {"width", "height"}}
    return nb


def policy(mathjax: Path) -> str:
    """The page's Content-Security-Policy: scripts (MathJax's) and fonts from ``file:`` only, images only inline,
    nothing else (no connection, frame, form or style sheet). Chromium's policies cannot name a folder of ``file:``
    URLs (they have no host): which files are there is the sandbox's to limit (:data:`Sandbox`), and no
    script of the notebook's reaches the page (:func:`sanitised`)."""
    return ("default-src 'none'; script-src file: 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; "
            "font-src file: data:; base-uri 'none'; form-action 'none'")


def notebook_html(nb, mathjax: Path, title: str = "") -> str:
    """One self-contained HTML page of ``nb`` (:func:`printable`; images inline), its cells' HTML sanitised
    (:func:`sanitised`), math left to the local ``mathjax``, no web resources (:func:`policy`)."""
    from nbconvert import HTMLExporter

    nh3 = load_sanitiser()
    exporter = HTMLExporter(template_name="lab", exclude_input_prompt=True, exclude_output_prompt=True,
                            mathjax_url=f"{mathjax.as_uri()}?config={mathjax_config(mathjax)}")
    try:
        page, _ = exporter.from_notebook_node(printable(nb), resources={"metadata": {"name": nh3.clean_text(title)}})
    except Exception as exc:  # noqa: BLE001 - whatever in a submission nbconvert cannot render
        raise PdfError(f"nbconvert cannot render this notebook: {type(exc).__name__}: {exc}") from None
    head, sep, body = page.partition("<body")
    opening, _, content = body.partition(">")
    content, _, _ = content.rpartition("</body>")
    if not sep or not content:
        raise PdfError("nbconvert's page has no <body>")
    # the template's scripts from the web (require.js, mermaid) are not needed and could not load offline
    head = re.sub(r'<script[^>]*\bsrc="https?://[^"]*"[^>]*>\s*</script>', "", head)
    head = head.replace("<head>", f'<head>\n<meta http-equiv="Content-Security-Policy" content="{policy(mathjax)}">',
                        1)
    head = head.replace("<head>", f"<head>\n{SAFE_MATH}", 1)
    head = head.replace("</head>", f"<style>{CSS}</style>\n</head>", 1)
    return head + sep + opening + ">" + sanitised(content) + "</body>\n</html>\n"


CELL_NUMBER = "dgmlab_cell_number"  # a cell's number in the whole notebook, which :func:`section` writes in its metadata


def section(nb, cells):
    """A copy of ``nb`` holding only ``cells`` (indices), each cell's number in ``nb`` (from 1) in its metadata
    (:data:`CELL_NUMBER`, for the notes of :func:`printable`; whatever the notebook had there is replaced)."""
    part = copy.deepcopy(nb)
    part.cells = [part.cells[i] for i in cells]
    for i, cell in zip(cells, part.cells):
        cell.setdefault("metadata", {})[CELL_NUMBER] = i + 1
    return part
