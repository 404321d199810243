"""A student's written answer (notebook markdown) as inert HTML for the instructor's pages.

Markdown is rendered by nbconvert's mistune renderer with math left as ``$...$`` for MathJax, and everything a
student could use to run code or load something is taken out:

- raw HTML (``<script>``, ``<img onerror=...>``, ``<iframe>``) is escaped and shown as text;
- a link is a link only to ``http:``, ``https:`` or ``mailto:`` (``javascript:``, ``data:``, ``file:``, relative
  links are shown as their text);
- an image is shown only from the cell's own attachments (a photographed derivation pasted into the cell), of an
  allowed raster type (PNG, JPEG, GIF, WebP: no SVG, which can hold script) whose bytes start as that type's do,
  at most :data:`dgmlab.image_budget.MAX_PIXELS` by its header (a small file can decode to gigabytes in the
  TA's browser), and only at the address the caller's ``image_src`` gives it (``dgmlab grade`` serves each attachment once, at an
  address keyed by its content hash, which the browser fetches once however often the answer refers to it); any
  other image is named, not loaded;
- code blocks are escaped (no syntax highlighter or diagram renderer sees them);
- an answer longer than :data:`MAX_MARKDOWN` characters is not rendered as markdown (some inputs, deeply nested
  brackets for one, take the renderer seconds): it is shown as escaped preformatted text, with a note saying so.

:func:`answer_html` is what a question's page shows of one answer: at most :data:`MAX_IMAGES` images,
:data:`MAX_SHOWN_IMAGE_BYTES` bytes and :data:`dgmlab.image_budget.MAX_PAGE_PIXELS` pixels of distinct images, at most :data:`MAX_ANSWER_HTML` bytes of HTML (else the
answer's beginning as text); what is cut says so, with a link to the whole answer (:func:`markdown_html`).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import html as _html
import re
from dataclasses import dataclass, field
from functools import cached_property

from ...image_budget import MAX_PAGE_PIXELS, Budget, too_large
from ..inert import html as _inert_html

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
MAX_IMAGE_BYTES = 8 * 2 ** 20  # one attachment larger than this is named, not shown
MAX_MARKDOWN = 20_000  # characters of one answer rendered as markdown; a longer one is shown as text
MAX_ANSWER_HTML = 100_000  # bytes of one answer's HTML on a question's page; more: its beginning as text
MAX_IMAGES = 20  # images (references to attachments) one answer shows on a question's page
MAX_SHOWN_IMAGE_BYTES = 16 * 2 ** 20  # bytes of the distinct images one answer shows on a question's page
_SAFE_LINK = re.compile(r"^(https?:|mailto:)", re.I)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f]")


def _esc(text) -> str:
    return _html.escape(str(text), quote=True)


def image_type(data: bytes) -> str | None:
    """The allowed image type (:data:`IMAGE_TYPES`) whose signature ``data`` starts with, else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True)
class Image:
    """One of a cell's attachments that may be shown: its name, type (one of :data:`IMAGE_TYPES`) and bytes."""

    name: str
    mime: str
    data: bytes = field(repr=False)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def attachment(attachments, name: str) -> Image | None:
    """Attachment ``name`` of a cell's ``attachments`` when it is an image of an allowed type, at most
    :data:`MAX_IMAGE_BYTES`, whose base64 data decodes to bytes of that type, at most
    :data:`dgmlab.image_budget.MAX_PIXELS` by its header; else None."""
    img = _attachment(attachments, name)
    return img if img is not None and not too_large(img.data) else None


def _attachment(attachments, name: str) -> Image | None:
    """:func:`attachment` whatever its pixels."""
    bundle = attachments.get(name) if isinstance(attachments, dict) else None
    if not isinstance(bundle, dict):
        return None
    for mime in IMAGE_TYPES:
        data = bundle.get(mime)
        if isinstance(data, list):
            data = "".join(d for d in data if isinstance(d, str))
        if not isinstance(data, str):
            continue
        data = "".join(data.split())
        if len(data) * 3 // 4 > MAX_IMAGE_BYTES:
            return None
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            return None
        return Image(name, mime, raw) if image_type(raw) == mime else None
    return None


class _Images:
    """The attachments an answer's markdown refers to, each decoded once, and what a cap left out."""

    def __init__(self, attachments, image_src, max_images, max_bytes):
        self.attachments, self.image_src = dict(attachments or {}), image_src
        self.max_images, self.max_bytes = max_images, max_bytes
        self.decoded, self.shown, self.bytes, self.left_out = {}, 0, 0, 0
        self.distinct = set()
        self.pixels = Budget()  # per image always; per page only on a question's page (answer_html)

    def html(self, text, url) -> str:
        name = url[len("attachment:"):] if url.startswith("attachment:") else None
        if name is not None and name not in self.decoded:
            self.decoded[name] = _attachment(self.attachments, name)
        img = self.decoded.get(name) if name is not None else None
        if img is None or self.image_src is None:
            return f'<span class="not-shown">[image not shown: {_esc(url)}]</span>'
        why = too_large(img.data)
        if why:
            return f'<span class="not-shown">[image not shown: {_esc(url)}: {_esc(why)}]</span>'
        new = img.sha256 not in self.distinct
        if ((self.max_images is not None and self.shown >= self.max_images) or
                (self.max_bytes is not None and new and self.bytes + len(img.data) > self.max_bytes) or
                (self.max_bytes is not None and self.pixels.take(img.data))):
            self.left_out += 1
            return f'<span class="not-shown">[image left out here: {_esc(name)}]</span>'
        self.shown += 1
        if new:
            self.distinct.add(img.sha256)
            self.bytes += len(img.data)
        return (f'<img src="{_esc(self.image_src(img))}" alt="{_esc(text)}" loading="lazy" '
                'decoding="async">')


def _renderer(images: _Images):
    from mistune import HTMLRenderer
    from nbconvert.filters.markdown_mistune import IPythonRenderer

    class InertRenderer(IPythonRenderer):
        def __init__(self):
            super().__init__(escape=True, allow_harmful_protocols=False, exclude_anchor_links=True,
                             attachments={})

        def block_code(self, code, info=None):
            return HTMLRenderer.block_code(self, code, None)

        def image(self, text, url, title=None):
            return images.html(text, url)

        def link(self, text, url, title=None):
            if not _SAFE_LINK.match(_INVISIBLE.sub("", url)):
                return text  # already rendered (escaped) inline content
            return f'<a href="{_esc(url)}" rel="noopener noreferrer nofollow" target="_blank">{text}</a>'

    return InertRenderer()


def _too_long(source: str) -> str:
    return (f'<p class="not-shown">This answer is {len(source):,} characters long, more than the {MAX_MARKDOWN:,} '
            'rendered as markdown: it is shown as plain text.</p>')


def _render(source: str, images: _Images) -> str:
    from nbconvert.filters.markdown_mistune import MarkdownWithMath

    if len(source) > MAX_MARKDOWN:
        return _too_long(source) + f'<pre class="unrendered">{_inert_html(source)}</pre>'
    try:
        return MarkdownWithMath(renderer=_renderer(images)).render(source)
    except Exception as exc:  # a renderer failure shows the text, never the page's end
        return f'<pre class="unrendered">{_esc(source)}</pre><p class="not-shown">({_esc(type(exc).__name__)})</p>'


# TeX that defines macros: a few bytes can expand to pages of symbols for MathJax to lay out (within its own limits,
# 5 KB a formula), so such an answer is typeset only on a page of its own, never with the class's
MACRO_DEFINITION = re.compile(r"\\(?:[gex]?def|let|(?:re)?newcommand|providecommand|(?:re)?newenvironment|"
                              r"DeclareMathOperator)(?![a-zA-Z])")


MAX_TEX_DEPTH = 30  # groups ({...}, \left...\right, \begin...\end) nested in one answer: honest math stays under 10
_OPEN = re.compile(r"\\left(?![a-zA-Z])|\\begin\{[^{}]*\}|(?<!\\)\{")
_CLOSE = re.compile(r"\\right(?![a-zA-Z])|\\end\{[^{}]*\}|(?<!\\)\}")
_NEST = re.compile(_OPEN.pattern + "|" + _CLOSE.pattern)


def tex_depth(source: str) -> int:
    """How deeply the answer's TeX groups nest (``{``, ``\\left``, ``\\begin{...}`` open; their partners close)."""
    depth = deepest = 0
    for m in _NEST.finditer(source):
        depth = depth + 1 if _OPEN.fullmatch(m.group(0)) else max(depth - 1, 0)
        deepest = max(deepest, depth)
    return deepest


def defines_macros(source: str) -> bool:
    """Whether the answer ``source`` is TeX too costly to typeset with the class's: it defines macros (see
    :data:`MACRO_DEFINITION`), or nests its groups deeper than :data:`MAX_TEX_DEPTH` (700 nested ``\\left(``, 9 KB,
    crashed the grader's browser tab)."""
    return bool(MACRO_DEFINITION.search(source)) or tex_depth(source) > MAX_TEX_DEPTH


def markdown_html(source: str, attachments: dict | None = None, image_src=None) -> str:
    """``source`` (a markdown cell's text) as inert HTML, all of it; ``attachments`` the cell's ``attachments``,
    shown at ``image_src(image)`` (an :class:`Image`'s address; without it, attachments are named, not shown)."""
    return _render(str(source), _Images(attachments, image_src, None, None))


def _text_within(source: str, limit: int) -> tuple[str, int]:
    """The escaped beginning of ``source`` that is at most ``limit`` bytes of UTF-8, and its length in characters."""
    n = min(len(source), limit)
    while True:
        out = _inert_html(source[:n])
        size = len(out.encode())
        if size <= limit:
            return out, n
        n = min(n - 1, n * limit // size)


def answer_html(source: str, attachments: dict | None, image_src, whole_url: str, max_html: int = MAX_ANSWER_HTML,
                max_images: int = MAX_IMAGES, max_image_bytes: int = MAX_SHOWN_IMAGE_BYTES) -> str:
    """What a question's page shows of an answer: :func:`markdown_html` with at most ``max_images`` images and
    ``max_image_bytes`` bytes of distinct images, in at most ``max_html`` bytes (more: the answer's beginning as
    escaped text). Whatever is cut, a note first says what and links to the whole answer at ``whole_url``."""
    source = str(source)
    images = _Images(attachments, image_src, max_images, max_image_bytes)
    out = _render(source, images)
    size = len(out.encode())
    cut = []
    if size > max_html:
        text, n = _text_within(source, max_html)
        cut.append(f"its HTML would be {size:,} bytes, more than the {max_html:,} a question's page shows: its first "
                   f"{n:,} of {len(source):,} characters are shown as plain text")
        out = f'<pre class="unrendered">{text}</pre>'
    elif images.left_out:
        cut.append(f"{images.left_out:,} of its {images.shown + images.left_out:,} images are left out (a question's "
                   f"page shows at most {max_images:,}, of at most {max_image_bytes // 2 ** 20:,} MiB and "
                   f"{MAX_PAGE_PIXELS // 10 ** 6:,} megapixels)")
    if not cut:
        return out
    return (f'<p class="not-shown cut">This answer is cut here: {"; ".join(cut)}. '
            f'<a href="{_esc(whole_url)}" target="_blank" rel="noopener">The whole answer</a> opens on its own page.'
            f'</p>{out}')
