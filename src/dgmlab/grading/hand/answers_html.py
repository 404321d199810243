"""A student's written answer (notebook markdown) as inert HTML for the instructor's pages.

Markdown is rendered by nbconvert's mistune renderer with math left as ``$...$`` for MathJax, and everything a
student could use to run code or load something is taken out:

- raw HTML (``<script>``, ``<img onerror=...>``, ``<iframe>``) is escaped and shown as text;
- a link is a link only to ``http:``, ``https:`` or ``mailto:`` (``javascript:``, ``data:``, ``file:``, relative
  links are shown as their text);
- an image is shown only from the cell's own attachments (a photographed derivation pasted into the cell),
  as a ``data:`` URL of an allowed raster type (PNG, JPEG, GIF, WebP: no SVG, which can hold script); any other
  image is named, not loaded;
- code blocks are escaped (no syntax highlighter or diagram renderer sees them);
- an answer longer than :data:`MAX_MARKDOWN` characters is not rendered as markdown (some inputs, deeply nested
  brackets for one, take the renderer seconds): it is shown as escaped preformatted text, with a note saying so.
"""
from __future__ import annotations

import base64
import binascii
import html as _html
import re

from ..inert import html as _inert_html

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
MAX_IMAGE_BYTES = 8 * 2 ** 20
MAX_MARKDOWN = 20_000  # characters of one answer rendered as markdown; a longer one is shown as text
_SAFE_LINK = re.compile(r"^(https?:|mailto:)", re.I)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f]")


def _esc(text) -> str:
    return _html.escape(str(text), quote=True)


def _attachment(attachments: dict, name: str) -> str | None:
    """The ``data:`` URL of attachment ``name`` when it is an allowed image whose data is base64, else None."""
    bundle = attachments.get(name)
    if not isinstance(bundle, dict):
        return None
    for mime in IMAGE_TYPES:
        data = bundle.get(mime)
        if isinstance(data, list):
            data = "".join(data)
        if not isinstance(data, str):
            continue
        data = "".join(data.split())
        if len(data) * 3 // 4 > MAX_IMAGE_BYTES:
            return None
        try:
            base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            return None
        return f"data:{mime};base64,{data}"
    return None


def _renderer(attachments: dict):
    from mistune import HTMLRenderer
    from nbconvert.filters.markdown_mistune import IPythonRenderer

    class InertRenderer(IPythonRenderer):
        def __init__(self):
            super().__init__(escape=True, allow_harmful_protocols=False, exclude_anchor_links=True,
                             attachments=attachments)

        def block_code(self, code, info=None):
            return HTMLRenderer.block_code(self, code, None)

        def image(self, text, url, title=None):
            src = _attachment(attachments, url[len("attachment:"):]) if url.startswith("attachment:") else None
            if src is None:
                return f'<span class="not-shown">[image not shown: {_esc(url)}]</span>'
            return f'<img src="{_esc(src)}" alt="{_esc(text)}">'

        def link(self, text, url, title=None):
            if not _SAFE_LINK.match(_INVISIBLE.sub("", url)):
                return text  # already rendered (escaped) inline content
            return f'<a href="{_esc(url)}" rel="noopener noreferrer nofollow" target="_blank">{text}</a>'

    return InertRenderer()


def markdown_html(source: str, attachments: dict | None = None) -> str:
    """``source`` (a markdown cell's text) as inert HTML; ``attachments`` the cell's ``attachments``."""
    from nbconvert.filters.markdown_mistune import MarkdownWithMath

    source = str(source)
    if len(source) > MAX_MARKDOWN:
        return (f'<p class="not-shown">This answer is {len(source):,} characters long, more than the {MAX_MARKDOWN:,} '
                'rendered as markdown: it is shown as plain text.</p>'
                f'<pre class="unrendered">{_inert_html(source)}</pre>')
    attachments = dict(attachments or {})
    try:
        return MarkdownWithMath(renderer=_renderer(attachments)).render(source)
    except Exception as exc:  # a renderer failure shows the text, never the page's end
        return f'<pre class="unrendered">{_esc(source)}</pre><p class="not-shown">({_esc(type(exc).__name__)})</p>'
