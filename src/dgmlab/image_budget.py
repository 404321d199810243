"""How many pixels an image decodes to, read from its header alone, and the pixel budget of one page.

A browser decodes an image to about 4 bytes a pixel whatever the file's size: a 100 KB PNG of 20000 x 20000 one-bit
pixels is 1.6 GB once decoded (attack 52 made ``dgmlab pdf``'s Chromium use 5 GB with one). So an image from a
submission is shown (printed by ``dgmlab pdf``, served by ``dgmlab grade``) only when its header says it is at most
:data:`MAX_PIXELS`, and a page shows at most :data:`MAX_PAGE_PIXELS` of them (:class:`Budget`); an image whose
header cannot be read as a PNG, JPEG, GIF or WebP (a browser sniffs the bytes, whatever type the page names) is not
shown either.

The header is read with Pillow's format readers (Pillow comes with matplotlib): they read the size and decode no
pixel. They are called directly rather than through ``PIL.Image.open``, whose own bomb check would raise before
the size is known and whose limit is a process-wide setting.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import io

MAX_PIXELS = 50_000_000  # one image (a 48-50 MP phone photo fits; 200 MB decoded)
MAX_PAGE_PIXELS = 100_000_000  # all the distinct images of one page together (400 MB decoded)


def pixel_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` of the PNG, JPEG, GIF or WebP image ``data`` as its header states it (no pixel is
    decoded), else None (another format, or a header that does not read)."""
    from PIL import GifImagePlugin, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

    readers = ((PngImagePlugin, PngImagePlugin.PngImageFile), (JpegImagePlugin, JpegImagePlugin.JpegImageFile),
               (GifImagePlugin, GifImagePlugin.GifImageFile), (WebPImagePlugin, WebPImagePlugin.WebPImageFile))
    for module, reader in readers:
        if not module._accept(data[:16]):
            continue
        try:
            with reader(io.BytesIO(data)) as im:
                width, height = im.size
        except Exception:  # noqa: BLE001 - whatever a damaged or hostile header makes the reader raise
            return None
        return (int(width), int(height)) if width > 0 and height > 0 else None
    return None


def decoded(b64) -> bytes | None:
    """The bytes of base64 text ``b64`` (whitespace allowed; a list of lines as notebooks store it), else None."""
    if isinstance(b64, list):
        b64 = "".join(x for x in b64 if isinstance(x, str))
    if not isinstance(b64, str):
        return None
    try:
        return base64.b64decode("".join(b64.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def megapixels(n: int) -> str:
    return f"{n / 1e6:,.0f}" if n >= 10 ** 7 else f"{n / 1e6:,.1f}"


def too_large(data: bytes, limit: int = MAX_PIXELS) -> str:
    """Why image ``data`` is not shown (its size over ``limit`` pixels, or not a PNG, JPEG, GIF or WebP), or ``""``."""
    size = pixel_size(data)
    if size is None:
        return "not a PNG, JPEG, GIF or WebP image whose size can be read"
    w, h = size
    if w * h > limit:
        return f"{w} x {h} pixels ({megapixels(w * h)} megapixels): over the {megapixels(limit)}-megapixel limit " \
               "of one image"
    return ""


class Budget:
    """The pixels one page shows: :meth:`take` each image in page order; an image seen before (the same bytes)
    costs nothing again (the browser decodes it once)."""

    def __init__(self, per_image: int = MAX_PIXELS, per_page: int = MAX_PAGE_PIXELS):
        self.per_image, self.per_page = per_image, per_page
        self.used, self.seen = 0, set()

    def take(self, data: bytes | None) -> str:
        """``""`` when image ``data`` may be shown (its pixels now counted), else why not."""
        if data is None:
            return "not an image (its data is not base64)"
        key = hashlib.sha256(data).digest()
        if key in self.seen:
            return ""
        why = too_large(data, self.per_image)
        if why:
            return why
        w, h = pixel_size(data)
        if self.used + w * h > self.per_page:
            return (f"{w} x {h} pixels: would bring this page's images to {megapixels(self.used + w * h)} megapixels, "
                    f"over the {megapixels(self.per_page)}-megapixel limit of one page")
        self.used += w * h
        self.seen.add(key)
        return ""
