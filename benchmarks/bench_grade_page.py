"""How fast a written question's grading page is ready, and a rubric change applied, at 150 and 500 students.

    .venv/bin/python benchmarks/bench_grade_page.py [--n 150 500] [--rounds 3] [--out benchmarks/results/grade_page.json]

For each class size it builds a generated hw3 class (tests/grading/hand/hand_graded_demo.py's ``build_class``: the
written answers from the answer corpus in ``tests/corpora/written_answers/`` when it is there, in turn; no kernel
runs), serves ``dgmlab grade`` on a thread and drives Debian's headless Chromium (Selenium) as a TA would:

- **ready**: from asking for the question's page until the first answer is shown, its math typeset, and the page
  answers keys (``section.answer.current``, ``<html data-typeset="done">``);
- **group toggle**: the first item taken off the page's first group (every answer has it beforehand), until its
  score shows;
- **rubric change**: the first item's points edited in the sidebar and saved (the confirmation accepted), until the
  page says how many answers it re-scored: every answer but the group's, each re-scored in the gradebook.

Each figure is the median of ``--rounds`` page loads (each a fresh browser). The goal (issue "the human third"):
ready in 3 s or less and a rubric change in 1 s or less, at both sizes.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "grading" / "hand")]
CORPUS = ROOT / "tests" / "corpora" / "written_answers"
QUESTION = "q1_written"
WINDOW = (1400, 1000)  # a TA's browser window on a laptop or desktop screen (pixels)


def corpus_answers() -> dict:
    """``{grade id: [markdown, ...]}`` of the answer corpus, or {} without one."""
    out = {}
    for path in sorted(CORPUS.glob("*.json")) if CORPUS.is_dir() else []:
        rows = json.loads(path.read_text(encoding="utf-8"))
        out[rows["question"]] = [r["answer"] for r in rows["answers"]]
    return out


def wait(driver, condition, timeout=120):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout, poll_frequency=0.02).until(condition)


def one_round(course, server_url) -> dict:
    from selenium.webdriver.common.by import By

    from a11y import browser

    driver = browser(WINDOW[0], WINDOW[1])
    try:
        t = time.perf_counter()
        driver.get(server_url)
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "section.answer.current[data-loaded=yes]") and
             d.execute_script("return !window.MathJax || document.documentElement.dataset.typeset === 'done'"))
        ready = time.perf_counter() - t
        # the first group: the first item taken off
        t = time.perf_counter()
        driver.execute_script("""
            var sec = document.querySelector('section.answer[data-group]') || document.querySelector('section.answer');
            sec.focus(); window.__sec = sec; window.__before = sec.querySelector('[data-role=score]').textContent;
            sec.querySelector('input[data-item]').click();""")
        wait(driver, lambda d: d.execute_script(
            "return window.__sec.querySelector('[data-role=score]').textContent !== window.__before"))
        toggle = time.perf_counter() - t
        # the first item's points changed: every other answer has it
        t = time.perf_counter()
        driver.execute_script("""
            window.confirm = function () { return true; };
            var f = document.querySelector('.rubric form.item-edit'), p = f.elements.points;
            p.value = String(Number(p.value) + 0.5); window.__said = document.getElementById('last-change').textContent;
            f.requestSubmit();""")
        wait(driver, lambda d: d.execute_script(
            "return document.getElementById('last-change').textContent !== window.__said"))
        change = time.perf_counter() - t
        said = driver.find_element(By.ID, "last-change").text
        return {"ready_s": round(ready, 3), "group_toggle_s": round(toggle, 3), "rubric_change_s": round(change, 3),
                "said": said}
    finally:
        driver.quit()


def measure(n: int, rounds: int, scratch: Path) -> dict:
    import hand_graded_demo as H

    from dgmlab.grading.hand import grade_by_question as G

    root = scratch / f"class{n}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    t = time.perf_counter()
    course = H.build_class(root, n, corpus_answers())
    built = time.perf_counter() - t
    out = {"students": n, "build_s": round(built, 1), "rounds": []}
    from dgmlab.grading.hand.rubrics import Grader

    grader = Grader(course, H.HW, who="bench_grade_page")  # the first item on every answer: an edit re-scores all
    grader.apply_item(QUESTION, grader.question(QUESTION).items[0].id, grader.students, on=True, via="benchmark")
    out["rescored_by_the_change"] = len(grader.students)
    for _ in range(rounds):
        server = G.make_server(course, H.HW)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            out["rounds"].append(one_round(course, G.url(server, QUESTION)))
            out["share"] = server.site.grouping(QUESTION).share()
        finally:
            server.shutdown()
            server.server_close()
    for key in ("ready_s", "group_toggle_s", "rubric_change_s"):
        out[key] = statistics.median(r[key] for r in out["rounds"])
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[150, 500])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--scratch", default=str(ROOT / ".bench-grade-page"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "grade_page.json"))
    args = ap.parse_args(argv)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    record = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "commit": commit.strip(),
              "dirty": bool(subprocess.run(["git", "status", "--porcelain", "src"], cwd=ROOT, capture_output=True,
                                           text=True).stdout.strip()),
              "load": [round(x, 1) for x in os.getloadavg()], "machine": f"{platform.machine()}, {os.cpu_count()} cores",
              "question": QUESTION, "corpus": bool(corpus_answers()), "classes": []}
    for n in args.n:
        got = measure(n, args.rounds, Path(args.scratch))
        record["classes"].append(got)
        print(f"{n} students: ready {got['ready_s']} s, group toggle {got['group_toggle_s']} s, rubric change "
              f"{got['rubric_change_s']} s (medians of {args.rounds}); groups {got.get('share')}", flush=True)
    record["load_after"] = [round(x, 1) for x in os.getloadavg()]
    Path(args.out).write_text(json.dumps(record, indent=1) + "\n")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
