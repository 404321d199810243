"""A student's written answer rendered for the instructor (dgmlab.grading.hand.answers_html): math kept for MathJax,
pasted images shown, nothing that runs or loads."""
import base64
import hashlib
import re

from dgmlab.grading.hand.answers_html import MAX_IMAGES, answer_html, attachment, markdown_html


def png(width=1, height=1, pad=0) -> bytes:
    """A 1-bit white PNG of ``width`` x ``height`` (a few KB however many pixels), ``pad`` bytes after its end."""
    import struct
    import zlib

    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    packer = zlib.compressobj(1)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", data) + chunk(b"IEND", b"") + bytes(pad))


PNG = base64.b64encode(png()).decode()


def test_script_tags_and_event_handlers_are_shown_as_text():
    out = markdown_html('Proof <script>alert(1)</script> <img src=x onerror="alert(2)">\n\n<iframe src="//evil">\n')
    assert "<script" not in out and "<img" not in out and "<iframe" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out


def test_javascript_and_other_unsafe_links_are_left_as_text():
    out = markdown_html("[a](javascript:alert(1)) [b](JaVaScRiPt:x) [c](data:text/html,<b>) [d](<java\tscript:y>) "
                        "[e](/relative) [f](https://example.org/proof)")
    hrefs = re.findall(r'href="([^"]*)"', out)
    assert hrefs == ["https://example.org/proof"], out
    assert "javascript" not in out.lower().replace("java\tscript", "")


def test_math_is_kept_for_mathjax_not_mangled_as_markdown():
    out = markdown_html(r"We have $x_1 * y_2 = a_1$ and $$\int_a^b f < g$$")
    assert r"$x_1 * y_2 = a_1$" in out and r"$$\int_a^b f &lt; g$$" in out


def src(image):
    return f"/att/s/q/{image.sha256}/{image.name}"


def test_an_attached_photo_is_shown_from_its_address_and_other_images_are_named_not_loaded():
    attachments = {"photo.png": {"image/png": PNG}, "draw.svg": {"image/svg+xml": "PHN2Zz4="},
                   "bad.png": {"image/png": "not base64!"}}
    out = markdown_html("![derivation](attachment:photo.png) ![x](attachment:draw.svg) ![y](attachment:bad.png) "
                        "![z](https://tracker.example/p.png)", attachments, src)
    digest = hashlib.sha256(base64.b64decode(PNG)).hexdigest()
    assert out.count("<img") == 1 and f'src="/att/s/q/{digest}/photo.png"' in out and "data:" not in out
    assert "[image not shown: https://tracker.example/p.png]" in out
    assert "[image not shown: attachment:draw.svg]" in out and "[image not shown: attachment:bad.png]" in out


def test_an_attachment_whose_bytes_are_not_of_its_type_is_named_not_shown():
    svg = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>').decode()
    out = markdown_html("![x](attachment:fake.png)", {"fake.png": {"image/png": svg}}, src)
    assert "<img" not in out and "[image not shown: attachment:fake.png]" in out


def test_without_an_address_for_attachments_they_are_named_not_shown():
    out = markdown_html("![x](attachment:photo.png)", {"photo.png": {"image/png": PNG}})
    assert "<img" not in out and "[image not shown: attachment:photo.png]" in out


def test_an_attachment_referred_to_200_times_is_one_address_and_the_html_grows_by_a_tag_each():
    big = base64.b64encode(png(pad=2 ** 20)).decode()
    out = markdown_html(" ".join(["![p](attachment:photo.png)"] * 200), {"photo.png": {"image/png": big}}, src)
    assert out.count("<img") == 200 and len(set(re.findall(r'src="([^"]*)"', out))) == 1
    assert len(out.encode()) < 200 * 200


def test_an_answer_on_a_questions_page_shows_at_most_max_images_and_links_to_the_whole_answer():
    body = " ".join(["![p](attachment:photo.png)"] * (MAX_IMAGES + 5))
    out = answer_html(body, {"photo.png": {"image/png": PNG}}, src, "/a/q2/demo_x")
    assert out.count("<img") == MAX_IMAGES and out.count("[image left out here: photo.png]") == 5
    assert f"5 of its {MAX_IMAGES + 5} images are left out" in out and '<a href="/a/q2/demo_x"' in out


def test_an_answer_on_a_questions_page_shows_at_most_max_image_bytes_of_distinct_images():
    one = base64.b64encode(png(pad=520)).decode()  # 587 bytes
    two = base64.b64encode(png(2, pad=620)).decode()  # 687 bytes: with one, over 1000
    out = answer_html("![a](attachment:a.png) ![a](attachment:a.png) ![b](attachment:b.png)",
                      {"a.png": {"image/png": one}, "b.png": {"image/png": two}}, src, "/a/q/s", max_image_bytes=1000)
    assert out.count("<img") == 2 and "[image left out here: b.png]" in out and "1 of its 3 images" in out


def test_an_answer_whose_html_passes_the_cap_shows_its_beginning_as_text_within_the_cap():
    body = "**b** <script>alert(1)</script> " + "<&>" * 5000
    out = answer_html(body, None, src, "/a/q/s", max_html=2000)
    note, shown = out.split("</p>", 1)
    assert "<strong>" not in out and "<script" not in out and "&lt;script&gt;" in shown
    assert len(shown.encode()) <= 2000 and shown.startswith('<pre class="unrendered">**b** &lt;script')
    assert f"of {len(body):,} characters are shown as plain text" in note and '<a href="/a/q/s"' in note


def test_an_answer_within_the_caps_is_shown_whole_without_a_note():
    body = "**b** ![p](attachment:photo.png) $x$"
    out = answer_html(body, {"photo.png": {"image/png": PNG}}, src, "/a/q/s")
    assert out == markdown_html(body, {"photo.png": {"image/png": PNG}}, src) and "cut" not in out


def test_code_blocks_are_escaped_even_as_diagrams():
    out = markdown_html("```mermaid\n<script>x()</script>\n```\n```python\n<b>1</b>\n```")
    assert "<script" not in out and "<b>" not in out and "&lt;b&gt;1&lt;/b&gt;" in out


def test_an_answer_longer_than_the_cap_is_shown_as_escaped_text_with_a_note_not_rendered():
    from dgmlab.grading.hand.answers_html import MAX_MARKDOWN

    body = "**bold** <script>alert(1)</script> $x$ " + "[" * MAX_MARKDOWN  # nested brackets: slow for the renderer
    out = markdown_html(body)
    assert out.count("<pre") == 1 and "<strong>" not in out and "<script" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out and "[" * MAX_MARKDOWN in out
    assert f"This answer is {len(body):,} characters long" in out


def test_an_answer_of_exactly_the_cap_is_still_rendered_as_markdown():
    from dgmlab.grading.hand.answers_html import MAX_MARKDOWN

    body = "**bold** " + "x" * (MAX_MARKDOWN - len("**bold** "))
    out = markdown_html(body)
    assert "<strong>bold</strong>" in out and "<pre" not in out


def test_an_attachment_over_the_pixel_limit_is_named_with_its_size_not_shown_or_served():
    bomb = base64.b64encode(png(8000, 7000)).decode()  # 56 megapixels in a few KB: 224 MB in the TA's browser
    attachments = {"big.png": {"image/png": bomb}, "photo.png": {"image/png": PNG}}
    out = markdown_html("![a](attachment:big.png) ![b](attachment:photo.png)", attachments, src)
    assert out.count("<img") == 1 and "big.png\"" not in out
    assert "[image not shown: attachment:big.png: 8000 x 7000 pixels (56 megapixels): over the 50-megapixel limit " \
           "of one image]" in out
    assert attachment(attachments, "big.png") is None and attachment(attachments, "photo.png") is not None


def test_an_answer_on_a_questions_page_shows_at_most_100_megapixels_of_distinct_images():
    parts = {f"p{i}.png": {"image/png": base64.b64encode(png(7000, 6000 - i)).decode()} for i in range(3)}
    out = answer_html("![a](attachment:p0.png) ![b](attachment:p1.png) ![b](attachment:p1.png) "
                      "![c](attachment:p2.png)", parts, src, "/a/q/s")
    assert out.count("<img") == 3 and "[image left out here: p2.png]" in out and "100 megapixels" in out


def test_tex_nested_deeper_than_honest_math_or_defining_macros_is_not_typeset_with_the_class():
    from dgmlab.grading.hand.answers_html import MAX_TEX_DEPTH, defines_macros

    assert defines_macros("$" + "\\left(" * 700 + "x" + "\\right)" * 700 + "$")  # crashed the TA's tab
    assert defines_macros("\\begin{array}{c}" * (MAX_TEX_DEPTH + 1) + "x" + "\\end{array}" * (MAX_TEX_DEPTH + 1))
    assert defines_macros("$\\newcommand{\\E}{\\mathbb{E}}\\E$") and defines_macros("$\\def\\a{x}$")
    assert not defines_macros("$\\left(\\frac{a}{b^{2}}\\right) \\begin{aligned} a &= b \\end{aligned}$")
