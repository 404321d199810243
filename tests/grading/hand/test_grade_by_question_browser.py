"""Grading one written question of the demo class by keyboard in a real headless browser (Debian's chromium and
chromium-driver, driven by Selenium): every student graded with keys, an item's points changed, then the
gradebook (read through nbgrader's API) and a student's feedback checked."""
import base64
import contextlib
import os
import socketserver
import threading
import time
from urllib.parse import urlsplit

import hand_graded_demo as H
import nbformat
import pytest

from a11y import axe_violations, browser, describe
from dgmlab.grading.hand import grade_by_question as G
from dgmlab.grading.hand import rubrics as R
from dgmlab.grading.report import analysis as A
from dgmlab.grading.report import grade_summary as GS

pytestmark = [pytest.mark.slow, pytest.mark.e2e]  # a whole class in a browser: make test-e2e

Q = "q2_written"  # items: i1 (a) +5, i2 (b) +6, i3 (c) +6, i4 (d) +3, i5 no answer 0


def typeset(driver, question: bool = True):
    """Wait until the page's script has run and MathJax has typeset the answers (the page is busy until then);
    ``question``: a question's page (else one answer's page, with no grading script)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 90).until(lambda d: (not question or d.find_elements(
        By.CSS_SELECTOR, "section.answer.current[data-loaded=yes]")) and d.execute_script(
        "return document.documentElement.dataset.typeset === 'done' || (!window.MathJax && "
        "!document.querySelector('section.answer[data-loaded=asked]'))"))


@contextlib.contextmanager
def served(driver, course, late: str = ""):
    """``dgmlab grade``'s server for ``course`` on a thread; on leaving, the browser ``driver`` and the server close.
    With ``late``, the file at that path is served 3 s late, the others meanwhile (a thread per request), and the
    browser caches nothing, so every page load sees it late."""
    server = G.make_server(course, H.HW, anonymous=False)  # students by id: the tests name them
    if late:
        serve = server.RequestHandlerClass.do_GET

        def do_get(handler):
            if urlsplit(handler.path).path == late:
                time.sleep(3)
            return serve(handler)
        server.RequestHandlerClass.do_GET = do_get
        server.__class__ = type("ThreadedServer", (socketserver.ThreadingMixIn, type(server)), {"daemon_threads": True})
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        driver.quit()
        server.shutdown()
        server.server_close()


def console_errors(driver) -> list:
    """The page's SEVERE and ERROR console messages."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def plan(sections, blank):
    """section (its first student) -> the item keys pressed for it: all four parts on the first, "no answer" on the
    blank group's, (a)+(b) or (a)+(c) in turn on the others."""
    return {sid: "1234" if k == 0 else "5" if sid == blank else ("12" if k % 2 else "13")
            for k, sid in enumerate(sections)}


def test_grading_a_question_for_every_student_with_keys_then_changing_an_item(tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser()  # or a skip naming what to install
    course = H.build(tmp_path)
    for k, sid in enumerate(("demo_chen", "demo_dana", "demo_emil", "demo_farah", "demo_partial")):
        set_answer(course, sid, f"Answer number {k}: a proof of my own, part by part.")  # one section each
    with served(driver, course) as server:
        driver.get(G.url(server, Q))
        wait = WebDriverWait(driver, 20)
        typeset(driver)

        grouping = server.site.grouping(Q)
        sections = [e.get_attribute("data-student") for e in
                    driver.find_elements(By.CSS_SELECTOR, "section.answer:not([hidden])")]
        assert sorted(sections) == sorted({g.leader for g in grouping.groups})  # one section a group, page order
        blank = next(g.leader for g in grouping.groups if g.blank)
        keys = plan(sections, blank)
        points = {1: 5, 2: 6, 3: 6, 4: 3, 5: 0}
        section_of = {m: g.leader for g in grouping.groups for m in g.members}

        def current():
            return driver.find_element(By.CSS_SELECTOR, "section.answer.current")

        def score_of(sid):
            return driver.find_element(By.CSS_SELECTOR, f'section[data-student="{sid}"] [data-role="score"]').text

        noted = next(sid for sid in reversed(sections) if len(keys[sid]) == 2)
        for k, sid in enumerate(sections):
            assert current().get_attribute("data-student") == sid
            total = 0
            for key in keys[sid]:
                ActionChains(driver).send_keys(key).perform()
                total += points[int(key)]
                wait.until(lambda d, t=total: score_of(sid) == f"{t:g}")
            if sid == noted:  # a note, written from the keyboard too
                ActionChains(driver).send_keys("n").perform()
                ActionChains(driver).send_keys("check the area of C").send_keys(Keys.ESCAPE).perform()
                wait.until(lambda d: R.load(course, H.HW, create=False).questions[Q].applied[sid].note)
            if k + 1 < len(sections):
                ActionChains(driver).send_keys("j").perform()
        expected = {s: sum(points[int(c)] for c in keys[section_of[s]]) for s in H.students()}
        assert {s: score_of(s) for s in sections} == {s: f"{expected[s]:g}" for s in sections}

        # item (a) is worth 4, not 5, and says why: typed into the rubric's form, saved with Enter, confirmed
        form = driver.find_element(By.CSS_SELECTOR, 'form.item-edit[data-item="i1"]')
        box = form.find_element(By.NAME, "points")
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys("4")
        text = form.find_element(By.NAME, "text")
        text.send_keys(Keys.CONTROL, "a")
        text.send_keys("(a) bound shown, constant missing", Keys.ENTER)
        wait.until(lambda d: d.switch_to.alert)
        assert "re-scores" in driver.switch_to.alert.text
        driver.switch_to.alert.accept()
        had = [s for s in H.students() if "1" in keys[section_of[s]]]
        wait.until(lambda d: f"{len(had)} answers re-scored" in d.find_element(By.ID, "last-change").text)
        points[1] = 4
        wait.until(lambda d: score_of(sections[0]) == "19")
        assert driver.current_url.endswith(f"#s-{sections[-1]}")  # the page was not loaded again

        with R.gradebook(course) as gb:
            for sid in H.students():
                g = gb.find_grade(Q, H.HW, H.HW, sid)
                assert g.manual_score == sum(points[int(c)] for c in keys[section_of[sid]]), sid
                assert not g.needs_manual_grade
        GS.write_summaries(course, A.collect(course, [H.HW]))
        summary = (course.folder("feedback", H.HW, noted) / "grade_summary.txt").read_text(encoding="utf-8")
        second = keys[noted][1]
        assert (f"q2_written: {4 + points[int(second)]:g} / 20\n  - +4: (a) bound shown, constant missing\n"
                f"  - +6: ({'b' if second == '2' else 'c'}) correct\n  - note: check the area of C") in summary
        errors = console_errors(driver)
        assert not errors, errors


@pytest.mark.parametrize("page", ["/", f"/q/{Q}", f"/a/{Q}/demo_amara"])
def test_the_pages_have_no_serious_accessibility_violations(tmp_path, page):

    driver = browser()
    course = H.build(tmp_path, only=["demo_amara", "demo_partial"])  # axe takes a minute on the whole class
    with served(driver, course) as server:
        driver.get(G.url(server) + page.lstrip("/"))
        if page != "/":  # math typeset: what axe checks is what the grader reads
            typeset(driver, question=page.startswith("/q/"))
        bad = axe_violations(driver)
        assert not bad, describe(bad)
        errors = console_errors(driver)
        assert not errors, errors


# one student's answer that tries to change how everyone else's math reads, cover the page, and link or load out
ATTACK = (r"My answer. $\def\frac#1#2{\text{WRONG}}$ $\renewcommand{\le}{\ge}$ $\let\int\sum$ "
          r"$\newcommand{\mathcal}[1]{\text{WRONG}}$ $\begingroup\def\sqrt#1{\text{WRONG}}$ "
          r"$\definecolor{red}{rgb}{1,1,1}$ $\require{[Contrib]/x}$ "
          r"$\style{position:fixed;top:0;left:0;width:100vw;height:100vh;background:#fff;z-index:99999;"
          r"font-size:40px}{\text{All answers graded. Nothing to do.}}$ "
          r"$\href{javascript:window.pwned=1}{\text{CLICK ME}}$ $\href{https://evil.example/}{\text{out}}$ "
          r"$\cssId{status}{\text{fake status}}$ $\class{answer current}{x}$ $\unicode[3,3][Comic Sans MS]{x263A}$ "
          r"$\smash{\lower{9em}{\bbox[white,2pt]{\text{Known: forged}}}}$")
VICTIM = r"Known: $\frac{a}{b} \le \int_0^1 \sqrt{x}\,dx$ and $\mathcal{N}$, $\unicode{x263A}$."


def set_answer(course, student, text):
    path = course.root / "autograded" / student / H.HW / f"{H.HW}.ipynb"
    nb = nbformat.read(path, as_version=4)
    next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == Q).source = text
    nbformat.write(nb, path)
    st = path.stat()  # a new version for the server's cache, even within the file system's clock tick
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


# MathJax loads its TeX input on its own schedule, sometimes after its startup ends (seen on a loaded machine);
# "late" forces that order.
@pytest.mark.parametrize("late", ["", "/mathjax/extensions/TeX/mhchem.js"], ids=["tex-on-time", "tex-late"])
def test_one_answers_tex_macros_styles_and_links_change_nothing_outside_it(tmp_path, late):
    from selenium.webdriver.common.by import By

    if G.find_mathjax() is None:
        pytest.skip("no MathJax 2 on this machine: apt-get install libjs-mathjax")
    driver = browser()
    attacker, victim = "demo_amara", "demo_bilal"  # in this order on the page; the model answer comes after both
    course = H.build(tmp_path, pdf_student=None, only=[attacker, victim])
    set_answer(course, attacker, "My answer.")
    set_answer(course, victim, VICTIM)

    def read():
        typeset(driver)
        md = {sid: driver.find_element(By.CSS_SELECTOR, f'section[data-student="{sid}"] .md')
              for sid in (attacker, victim)}
        model = driver.find_element(By.CSS_SELECTOR, ".md.model")
        glyph_fonts = driver.execute_script(  # the fonts the victim's \unicode glyph is drawn in
            "return Array.from(arguments[0].querySelectorAll('*')).filter(function (e) {"
            " return !e.children.length && e.textContent === '\u263a'; })"
            ".map(function (e) { return getComputedStyle(e).fontFamily; })", md[victim])
        return {"victim": md[victim].text, "model": model.text, "victim glyph fonts": glyph_fonts,
                "victim fractions": len(md[victim].find_elements(By.CSS_SELECTOR, ".mjx-mfrac")),
                "model fractions": len(model.find_elements(By.CSS_SELECTOR, ".mjx-mfrac"))}

    with served(driver, course, late) as server:
        driver.get(G.url(server, Q))
        before = read()
        assert before["victim fractions"] == 1 and "≤" in before["victim"] and "∫" in before["victim"]
        assert before["model fractions"] > 0 and "≤" in before["model"] and before["victim glyph fonts"]

        set_answer(course, attacker, ATTACK)
        driver.get(G.url(server, Q))
        after = read()
        assert "All answers graded" in driver.find_element(By.CSS_SELECTOR, f'[data-student="{attacker}"] .md').text
        assert after == before  # the other student's and the model answer's math read as without the attack

        fixed = driver.execute_script("return Array.from(document.querySelectorAll('.md *')).filter(function (e) {"
                                      " return getComputedStyle(e).position === 'fixed'; }).length")
        assert fixed == 0
        covered = driver.execute_script("""
            var md = document.querySelector('section[data-student="%s"] .md'), r = md.getBoundingClientRect(), out = [];
            for (var i = 1; i < 10; i++) { for (var j = 1; j < 10; j++) {
              var x = innerWidth * i / 10, y = innerHeight * j / 10, e = document.elementFromPoint(x, y);
              var inside = x >= r.left && x <= r.right && y >= r.top && y <= r.bottom;
              if (e && md.contains(e) && !inside) { out.push([x, y]); } } }
            return out;""" % attacker)
        assert covered == []  # nothing of the attacker's answer shows outside its own box

        hrefs = driver.execute_script("return Array.from(document.querySelectorAll('[href]'))"
                                      ".map(function (a) { return a.getAttribute('href'); })")
        assert not [h for h in hrefs if "javascript" in h.lower() or "evil.example" in h], hrefs
        assert driver.execute_script("return document.querySelectorAll('[id=status]').length") == 1
        assert driver.find_elements(By.CSS_SELECTOR, ".md .current, .md .answer") == []
        scripts = driver.execute_script("return Array.from(document.scripts).map(function (s) { return s.src; })")
        assert all(src.startswith(G.url(server)) for src in scripts if src), scripts
        assert driver.execute_script("return window.pwned === undefined")
        errors = console_errors(driver)
        assert not errors, errors


# Issue 52: one answer, or one student's hand-in, must not make every grader's page huge.
MAX_PAGE = 256 * 1024  # bytes of a question's page of two students, one of whom attacks as below (was 280 MB)


def picture(fmt: str, side: int, seed: int = 0) -> bytes:
    """A real image of random pixels (``side`` x ``side``, RGB) in format ``fmt`` (PNG: about 3 side**2 bytes)."""
    import io
    import random

    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), random.Random(seed).randbytes(3 * side * side)).save(out, fmt)
    return out.getvalue()


@contextlib.contextmanager
def recorded(driver, course):
    """:func:`served`, and the list of (path, Sec-Fetch-Site, response status) of each request the server got."""
    seen = []
    with served(driver, course) as server:
        handler = server.RequestHandlerClass
        serve, send = handler.do_GET, handler.send_response

        def do_get(h):
            h._seen = [urlsplit(h.path).path, h.headers.get("Sec-Fetch-Site"), None]
            seen.append(h._seen)
            return serve(h)

        def send_response(h, code, message=None):
            if getattr(h, "_seen", None):
                h._seen[2] = code
            return send(h, code, message)
        handler.do_GET, handler.send_response = do_get, send_response
        yield server, seen


@contextlib.contextmanager
def other_site(body: str):
    """The address of a page (``body``) of another site than dgmlab grade's: served from http://localhost."""
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def page_bytes(server, path: str) -> int:
    import urllib.request

    with urllib.request.urlopen(G.url(server) + path.lstrip("/"), timeout=120) as r:
        return len(r.read())


def test_an_image_referred_to_200_times_is_fetched_once_and_the_page_stays_small(tmp_path):
    from selenium.webdriver.common.by import By

    driver = browser()
    attacker, victim = "demo_amara", "demo_bilal"
    course = H.build(tmp_path, pdf_student=None, only=[attacker, victim])
    photo = picture("PNG", 600)
    assert len(photo) > 2 ** 20
    set_answer(course, attacker, "See my photo " + " ".join(["![p](attachment:photo.png)"] * 200))
    path = course.root / "autograded" / attacker / H.HW / f"{H.HW}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == Q)
    cell.attachments = {"photo.png": {"image/png": base64.b64encode(photo).decode()}}
    nbformat.write(nb, path)
    with recorded(driver, course) as (server, seen):
        size = page_bytes(server, f"/q/{Q}")
        assert size < MAX_PAGE, f"the question's page is {size:,} bytes"
        driver.get(G.url(server, Q))
        typeset(driver)
        md = driver.find_element(By.CSS_SELECTOR, f'section[data-student="{attacker}"] .md')
        first = md.find_element(By.TAG_NAME, "img")
        driver.execute_script("arguments[0].scrollIntoView()", first)
        driver.execute_script("return arguments[0].decode()", first)
        assert driver.execute_script("return arguments[0].naturalWidth", first) == 600  # shown, from the server
        assert len(md.find_elements(By.TAG_NAME, "img")) == 20
        note = md.find_element(By.CSS_SELECTOR, ".cut")
        assert "180 of its 200 images are left out" in note.text
        whole = note.find_element(By.TAG_NAME, "a").get_attribute("href")
        assert whole == G.url(server) + f"a/{Q}/{attacker}"

        driver.get(whole)  # the whole answer: every reference, the same one address, still one fetch
        typeset(driver, question=False)
        imgs = driver.find_elements(By.CSS_SELECTOR, ".md img")
        assert len(imgs) == 200 and len({i.get_attribute("src") for i in imgs}) == 1
        for i in (imgs[0], imgs[-1]):
            driver.execute_script("arguments[0].scrollIntoView()", i)
            driver.execute_script("return arguments[0].decode()", i)
        assert driver.execute_script("return arguments[0].naturalWidth", imgs[-1]) == 600
        fetched = [s for s in seen if s[0].startswith(f"/att/{attacker}/")]
        assert len(fetched) == 1 and fetched[0][1:] == ["same-origin", 200], seen
        assert page_bytes(server, f"/a/{Q}/{attacker}") < MAX_PAGE

        with other_site(f"<img src='{imgs[0].get_attribute('src')}' alt='x'>") as there:  # another site's page
            driver.get(there)
            driver.execute_script("return document.images[0].decode().catch(function () {})")
        assert driver.execute_script("return document.images[0].naturalWidth") == 0
        assert seen[-1][1:] == ["cross-site", 403], seen[-1]
        errors = [e for e in console_errors(driver) if "403" not in e]
        assert not errors, errors


def test_forty_handed_in_pdfs_are_a_line_each_and_one_loads_only_when_opened(tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser()
    student = "demo_amara"
    course = H.build(tmp_path, pdf_student=None, only=[student, "demo_bilal"])
    set_answer(course, student, "My derivation, with the scans below.")  # two answers, not one group
    set_answer(course, "demo_bilal", "Mine is typed.")
    alone = None
    with recorded(driver, course) as (server, seen):
        alone = page_bytes(server, f"/q/{Q}")
        for k in range(40):
            (course.root / "submitted" / student / H.HW / f"scan_{k:02d}.pdf").write_bytes(H.PDF)
        size = page_bytes(server, f"/q/{Q}")
        assert size - alone < 40 * 300, f"40 PDFs add {size - alone:,} bytes to the page"
        driver.get(G.url(server, Q))
        typeset(driver)
        assert driver.find_elements(By.TAG_NAME, "iframe") == []
        assert not [s for s in seen if s[0].startswith("/file/")]
        buttons = driver.find_elements(By.CSS_SELECTOR, f'section[data-student="{student}"] button[data-show]')
        assert len(buttons) == 40 and buttons[2].text == "scan_02.pdf"
        buttons[2].click()
        frames = driver.find_elements(By.TAG_NAME, "iframe")
        assert len(frames) == 1 and frames[0].get_attribute("src").endswith(f"/file/{student}/scan_02.pdf")
        assert buttons[2].get_attribute("aria-expanded") == "true"
        WebDriverWait(driver, 20).until(lambda d: [s for s in seen if s[0].startswith("/file/")])
        assert [s[0] for s in seen if s[0].startswith("/file/")] == [f"/file/{student}/scan_02.pdf"]
        buttons[2].click()  # and away again
        assert driver.find_elements(By.TAG_NAME, "iframe") == []
        errors = console_errors(driver)
        assert not errors, errors


def test_handed_in_photos_show_on_demand_as_images_and_one_that_is_not_an_image_never(tmp_path):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser()
    student = "demo_amara"
    course = H.build(tmp_path, pdf_student=None, only=[student])
    folder = course.root / "submitted" / student / H.HW
    (folder / "page1.png").write_bytes(picture("PNG", 40))
    (folder / "page2.jpg").write_bytes(picture("JPEG", 50))
    (folder / "page3.png").write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>'
                                       b'alert(2)</script></svg>')
    (folder / "page4.jpg").write_bytes(b"<html><script>alert(3)</script></html>")
    with recorded(driver, course) as (server, seen):
        driver.get(G.url(server, Q))
        typeset(driver)
        sec = driver.find_element(By.CSS_SELECTOR, f'section[data-student="{student}"]')
        assert sec.find_elements(By.CSS_SELECTOR, ".files img") == []
        assert [b.text for b in sec.find_elements(By.CSS_SELECTOR, "button[data-show]")] == ["page1.png", "page2.jpg"]
        text = sec.find_element(By.CSS_SELECTOR, ".files").text
        assert "page3.png (PNG image, not shown: not a PNG image" in text
        assert "page4.jpg (JPEG image, not shown: not a JPEG image" in text
        for button, side in zip(sec.find_elements(By.CSS_SELECTOR, "button[data-show]"), (40, 50)):
            button.click()
            img = button.find_element(By.XPATH, "following-sibling::img")
            WebDriverWait(driver, 20).until(lambda d: d.execute_script("return arguments[0].complete", img))
            assert driver.execute_script("return arguments[0].naturalWidth", img) == side
        files = {s[0]: s[2] for s in seen if s[0].startswith("/file/")}
        assert files == {f"/file/{student}/page1.png": 200, f"/file/{student}/page2.jpg": 200}
        for name in ("page3.png", "page4.jpg"):  # opened by hand: refused, nothing runs
            driver.get(G.url(server) + f"file/{student}/{name}")
            assert "not found" in driver.find_element(By.TAG_NAME, "body").text
            with pytest.raises(NoAlertPresentException):
                driver.switch_to.alert.text


def test_rubric_items_show_their_tex_typeset_and_each_items_count_follows_every_click(tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    if G.find_mathjax() is None:
        pytest.skip("no MathJax 2 on this machine: apt-get install libjs-mathjax")
    driver = browser()
    course = H.build(tmp_path, pdf_student=None, only=["demo_amara", "demo_bilal"])
    set_answer(course, "demo_amara", "My bound.")  # two answers, not one group
    set_answer(course, "demo_bilal", "Another bound.")
    R.Grader(course, H.HW).edit_item(Q, "i1", 5, r"(a) the bound $\frac{1}{2\pi c}$")
    with served(driver, course) as server:
        driver.get(G.url(server, Q))
        typeset(driver)
        rubric_item = driver.find_element(By.CSS_SELECTOR, '.rubric li[data-item="i1"]')
        label = driver.find_element(By.CSS_SELECTOR, 'section[data-student="demo_amara"] fieldset.items label')
        for where in (rubric_item, label):
            assert where.find_elements(By.CSS_SELECTOR, ".mjx-mfrac") and "\\frac" not in where.text

        def count(item):
            return driver.find_element(By.CSS_SELECTOR, f'.rubric li[data-item="{item}"] [data-role="count"]').text

        assert count("i1") == "0 students"
        for sid, want in (("demo_amara", "1 student"), ("demo_bilal", "2 students")):
            driver.find_element(By.CSS_SELECTOR, f'section[data-student="{sid}"] input[data-item="i1"]').click()
            WebDriverWait(driver, 20).until(lambda d, w=want: count("i1") == w)
        driver.find_element(By.CSS_SELECTOR, 'section[data-student="demo_amara"] input[data-item="i1"]').click()
        WebDriverWait(driver, 20).until(lambda d: count("i1") == "1 student")
        assert R.load(course, H.HW, create=False).questions[Q].counts()["i1"] == 1
        errors = console_errors(driver)
        assert not errors, errors


def test_rubric_items_eleven_to_twenty_have_a_key_shift_with_a_digit(tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser()
    course = H.build(tmp_path, pdf_student=None, only=["demo_amara"])
    grader = R.Grader(course, H.HW)
    ids = [grader.edit_item(Q, None, 0.25 * n, f"extra item {n}")[0] for n in range(6, 13)]  # items 6 to 12
    with served(driver, course) as server:
        driver.get(G.url(server, Q))
        typeset(driver)
        keys = [k.text for k in driver.find_elements(By.CSS_SELECTOR, "section.answer fieldset.items kbd")]
        assert keys[9:] == ["0", "\u21e71", "\u21e72"]
        ActionChains(driver).key_down(Keys.SHIFT).send_keys("2").key_up(Keys.SHIFT).perform()  # item 12
        WebDriverWait(driver, 20).until(
            lambda d: R.load(course, H.HW, create=False).questions[Q].applied.get("demo_amara"))
        assert list(R.load(course, H.HW, create=False).questions[Q].applied["demo_amara"].items) == [ids[-1]]


def test_a_regrade_requests_text_stays_in_its_box(tmp_path):
    from selenium.webdriver.common.by import By

    driver = browser(1200, 1000)
    attacker = "demo_amara"
    course = H.build(tmp_path, pdf_student=None, only=[attacker, "demo_bilal"])
    nb = "\u00a0"  # no-break spaces: one "word" across the page, over the model answer
    spoof = nb.join("INSTRUCTOR: any answer to (b) gets full credit".split()) + nb * 400 + "\u2588" * 300
    (course.root / "submitted" / attacker / H.HW / "regrade.md").write_text(f"## {Q}\n{spoof}\n", encoding="utf-8")
    with served(driver, course) as server:
        driver.get(G.url(server, Q) + f"#s-{attacker}")
        typeset(driver)
        got = driver.execute_script("""
            var sec = document.querySelector('section[data-student="%s"]'), req = sec.querySelector('.request');
            req.scrollIntoView({block: 'center'});
            var box = req.getBoundingClientRect(), out = 0, text = document.createRange();
            for (var i = 1; i < 20; i++) { for (var j = 1; j < 20; j++) {
              var x = innerWidth * i / 20, y = innerHeight * j / 20, e = document.elementFromPoint(x, y);
              if (e && req.contains(e) && !(x >= box.left && x <= box.right && y >= box.top && y <= box.bottom)) {
                out += 1; } } }
            text.selectNodeContents(req.querySelector('.request-text'));
            var right = Math.max.apply(null, Array.from(text.getClientRects()).map(function (r) { return r.right; }));
            return {outside: out, textRight: right, boxRight: box.right,
                    pageWidth: document.scrollingElement.scrollWidth, viewport: innerWidth};""" % attacker)
        assert got["outside"] == 0 and got["textRight"] <= got["boxRight"] + 1, got
        assert got["pageWidth"] <= got["viewport"], got
        assert driver.find_elements(By.CSS_SELECTOR, f'section[data-student="{attacker}"] form.regrade')


BOMBS = {"macros": "$\\def\\a{" + "x" * 100 + "}\\def\\b{" + "\\a" * 10 + "}$ " + "$\\b$ " * 200,  # 200k symbols
         "nesting": "$" + "\\left(" * 700 + "x" + "\\right)" * 700 + "$"}  # 9 KB that crashed the tab


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_an_answer_whose_tex_is_too_costly_does_not_hold_up_the_others(tmp_path, bomb):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    if G.find_mathjax() is None:
        pytest.skip("no MathJax 2 on this machine: apt-get install libjs-mathjax")
    driver = browser(1200, 1000)
    attacker, victim = "demo_amara", "demo_bilal"
    course = H.build(tmp_path, pdf_student=None, only=[attacker, victim])
    set_answer(course, attacker, "My answer: " + BOMBS[bomb])
    set_answer(course, victim, "Victim: $\\frac{a}{b} \\le \\int_0^1 f$")
    with served(driver, course) as server:
        start = time.monotonic()
        driver.get(G.url(server, Q) + f"#s-{attacker}")
        typeset(driver)
        assert time.monotonic() - start < 30
        md = driver.find_element(By.CSS_SELECTOR, f'section[data-student="{attacker}"] .md')
        assert "shown as TeX here" in md.text and not md.find_elements(By.CSS_SELECTOR, ".mjx-chtml")
        victim_md = driver.find_element(By.CSS_SELECTOR, f'section[data-student="{victim}"] .md')
        driver.execute_script("arguments[0].scrollIntoView()", victim_md)
        # the page typesets an answer once an observer sees it in view, a frame or more after the scroll: until
        # then the page still says "done" from before, so wait on the victim's own section
        WebDriverWait(driver, 60).until(lambda d: victim_md.find_element(By.XPATH, "ancestor::section[1]").get_attribute(
            "data-math") == "yes")
        typeset(driver)
        assert victim_md.find_elements(By.CSS_SELECTOR, ".mjx-mfrac")
