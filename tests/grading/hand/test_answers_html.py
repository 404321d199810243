"""A student's written answer rendered for the instructor (dgmlab.grading.hand.answers_html): math kept for MathJax,
pasted images shown, nothing that runs or loads."""
import base64
import re

from dgmlab.grading.hand.answers_html import markdown_html

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()


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


def test_an_attached_photo_is_shown_and_other_images_are_named_not_loaded():
    attachments = {"photo.png": {"image/png": PNG}, "draw.svg": {"image/svg+xml": "PHN2Zz4="},
                   "bad.png": {"image/png": "not base64!"}}
    out = markdown_html("![derivation](attachment:photo.png) ![x](attachment:draw.svg) ![y](attachment:bad.png) "
                        "![z](https://tracker.example/p.png)", attachments)
    assert out.count("<img") == 1 and f'src="data:image/png;base64,{PNG}"' in out
    assert "[image not shown: https://tracker.example/p.png]" in out
    assert "[image not shown: attachment:draw.svg]" in out and "[image not shown: attachment:bad.png]" in out


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
