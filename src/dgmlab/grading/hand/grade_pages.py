"""The pages, style and script of ``dgmlab grade`` (:mod:`.grade_by_question`): Jinja2 templates (autoescaped),
kept in the package's code so that a wheel carries them."""
from __future__ import annotations

BASE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="dgmlab-token" content="{{ token }}">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>{% block title %}{% endblock %}</title>
<link rel="stylesheet" href="/static/grade.css">
{% if mathjax %}<script src="/static/mathjax-config.js"></script>
<script src="/mathjax/MathJax.js?config=TeX-AMS_CHTML"></script>{% endif %}
<script src="/static/grade.js" defer></script>
</head><body{% block body_attrs %}{% endblock %}>
<p class="banner">INSTRUCTOR ONLY: {{ course }}, served on this machine only (127.0.0.1).</p>
{% block content %}{% endblock %}
</body></html>"""

INDEX = """{% extends "base.html" %}
{% block title %}{{ hw }}: grade by question{% endblock %}
{% block content %}
<main>
<h1>{{ hw }}: grade the written answers by question</h1>
<p>{{ n_students }} submissions in the gradebook. Rubrics are saved in <code>{{ rubric_path }}</code>.</p>
<table><thead><tr><th scope="col">question</th><th scope="col">points</th><th scope="col">graded with the rubric</th>
</tr></thead><tbody>
{% for q in questions %}<tr><td><a href="/q/{{ q.grade_id }}">{{ q.grade_id }}</a></td><td class="num">{{ q.max }}</td>
<td class="num" data-graded="{{ q.grade_id }}">{{ q.graded }} of {{ n_students }}</td></tr>
{% endfor %}</tbody></table>
</main>
{% endblock %}"""

QUESTION = """{% extends "base.html" %}
{% block title %}{{ hw }} {{ q.grade_id }}: grade by question{% endblock %}
{% block body_attrs %} data-question="{{ q.grade_id }}"{% endblock %}
{% block content %}
<p class="skip"><a href="#answers">Skip to the answers</a></p>
<p id="status" role="status" aria-live="polite"></p>
<div class="layout">
<main id="answers" aria-label="answers">
<h1>{{ hw }}: {{ q.grade_id }} ({{ q.max }} points), {{ answers|length }} students</h1>
{% if not mathjax %}<p class="warn">No MathJax on this machine (Debian's libjs-mathjax): math is shown as TeX.</p>{% endif %}
{% for a in answers %}
<section class="answer" id="s-{{ a.student }}" data-student="{{ a.student }}" tabindex="-1"
 aria-labelledby="h-{{ loop.index }}" data-graded="{{ 'yes' if a.score is not none else 'no' }}">
<h2 id="h-{{ loop.index }}">{{ loop.index }}. {{ a.student }}
 <span class="score"><span data-role="score">{{ a.score_text }}</span> / {{ q.max }}</span></h2>
<div class="side">
<div class="md">{% if a.found %}{{ a.html|safe }}{% else %}<p class="warn">{{ a.why }}</p>{% endif %}</div>
{% if a.files %}<ul class="files" aria-label="files {{ a.student }} handed in">
{% for f in a.files %}<li>{% if f.why %}{{ f.name }} ({{ f.kind }}, {{ f.why }}){% else %}<button type="button" data-show="{{ f.url }}" data-kind="{{ 'image' if f.image else 'pdf' }}" aria-expanded="false">{{ f.name }}</button> ({{ f.kind }}, <a href="{{ f.url }}" target="_blank" rel="noopener">new tab</a>){% endif %}</li>
{% endfor %}</ul>{% endif %}
</div>
{% if a.elsewhere %}<p class="warn">Graded outside the rubric: {{ a.elsewhere }}. Applying an item replaces it.</p>{% endif %}
{% if a.adjustment %}<p class="warn" data-role="adjustment">Also on this answer, outside the rubric: {{ a.adjustment }}</p>{% endif %}
<fieldset class="items tex"><legend>Rubric items for {{ a.student }}</legend>
{% for it in q.items %}<label><input type="checkbox" data-item="{{ it.id }}"{% if it.id in a.applied %} checked{% endif %}>
 <kbd>{{ item_key(loop.index) }}</kbd> <span class="pts">{{ signed(it.points) }}</span> {{ it.text }}</label>
{% endfor %}</fieldset>
<label class="note">Note to {{ a.student }} (<kbd>n</kbd>; saved when you leave it)
<textarea data-role="note" rows="2">{{ a.note }}</textarea></label>
</section>
{% endfor %}
</main>
<aside aria-label="question, model answer and rubric">
<nav><a href="/">all questions</a>{% if prev %} · <a href="/q/{{ prev }}">previous question</a>{% endif %}{% if next %} · <a href="/q/{{ next }}">next question</a>{% endif %}</nav>
<details><summary>The question</summary><div class="md">{{ statement|safe }}</div></details>
<details open><summary>The model answer (source notebook)</summary><div class="md model">{{ model|safe }}</div></details>
<h2>Rubric</h2>
<p class="muted">Score: the applied items' points added, between 0 and {{ q.max }}. Editing an item re-scores every student who has it.</p>
<ol class="rubric tex">
{% for it in q.items %}<li data-item="{{ it.id }}"><p class="item-text"><span class="pts">{{ signed(it.points) }}</span> {{ it.text }}</p>
<form class="item-edit" data-item="{{ it.id }}">
<label>points <input name="points" type="number" step="any" value="{{ it.points }}" size="4"></label>
<label>comment <input name="text" type="text" value="{{ it.text }}"></label>
<button type="submit">Save</button> <button type="button" data-action="delete">Delete</button>
<span class="muted" data-role="count" aria-live="polite">{{ counts[it.id] }} {{ 'student' if counts[it.id] == 1 else 'students' }}</span>
</form></li>
{% endfor %}</ol>
<form class="item-edit" data-item="" id="new-item"><fieldset><legend>New item (<kbd>a</kbd>)</legend>
<label>points <input name="points" type="number" step="any" value="-1" size="4"></label>
<label>comment <input name="text" type="text" placeholder="what the student did or missed"></label>
<button type="submit">Add</button></fieldset></form>
<h2>Keys</h2>
<dl class="keys"><dt><kbd>j</kbd> / <kbd>k</kbd></dt><dd>next / previous student</dd>
<dt><kbd>1</kbd>…<kbd>9</kbd>, <kbd>0</kbd></dt><dd>apply or take off item 1…10</dd>
<dt><kbd>Shift</kbd>+<kbd>1</kbd>…<kbd>0</kbd></dt><dd>item 11…20</dd>
<dt><kbd>n</kbd></dt><dd>write a note (<kbd>Esc</kbd> saves and leaves)</dd>
<dt><kbd>a</kbd></dt><dd>add a rubric item</dd>
<dt><kbd>e</kbd></dt><dd>edit the rubric's items (<kbd>Tab</kbd> between them, <kbd>Enter</kbd> saves one)</dd>
<dt><kbd>u</kbd></dt><dd>next student not graded yet</dd></dl>
</aside>
</div>
{% endblock %}"""

# one answer on a page of its own, nothing cut (a question's page cuts a long one and links here)
ANSWER = """{% extends "base.html" %}
{% block title %}{{ hw }} {{ grade_id }}: the whole answer of {{ student }}{% endblock %}
{% block content %}
<main class="page">
<h1>{{ hw }} {{ grade_id }}: the whole answer of {{ student }}</h1>
<nav><a href="{{ back }}">back to the question's page</a></nav>
{% if not mathjax %}<p class="warn">No MathJax on this machine (Debian's libjs-mathjax): math is shown as TeX.</p>{% endif %}
<div class="md">{% if found %}{{ html|safe }}{% else %}<p class="warn">{{ why }}</p>{% endif %}</div>
</main>
{% endblock %}"""

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1a1a1a;background:#fff}
.banner{background:#8a0018;color:#fff;margin:0;padding:6px 12px;font-weight:600}
.skip a{position:absolute;left:-9999px}.skip a:focus{left:8px;top:40px;background:#fff;padding:4px}
.layout{display:flex;gap:16px;padding:0 12px}
main{flex:3;min-width:0} aside{flex:2;min-width:0;position:sticky;top:0;align-self:flex-start;max-height:100vh;overflow:auto;padding-bottom:24px}
section.answer{border:2px solid #ccc;border-radius:6px;margin:12px 0;padding:8px 12px}
section.answer.current{border-color:#0b57d0;box-shadow:0 0 0 3px #b6cdf7}
section.answer:focus{outline:3px solid #0b57d0;outline-offset:2px}
section.answer[data-graded=yes] h2{color:#1b5e20}
h2{font-size:1.15em} .score{float:right;font-variant-numeric:tabular-nums}
.side{display:flex;gap:12px} .side .md{flex:1;min-width:0;overflow-wrap:anywhere}
.files{flex:0 1 16em;min-width:0;margin:0;padding-left:1.2em;overflow-wrap:anywhere} .files:has(.viewer){flex:1}
.files iframe.viewer{display:block;width:100%;height:480px;border:1px solid #999} .files img.viewer{display:block;max-width:100%}
main.page{padding:0 12px}
.md img{max-width:100%} .md pre.unrendered{white-space:pre-wrap}
.md,.tex{position:relative;overflow:auto;contain:paint} .item-text{margin:4px 0 0}
fieldset.items label{display:block;padding:2px 0} .pts{display:inline-block;min-width:3em;font-weight:600}
.note textarea{display:block;width:100%;box-sizing:border-box}
kbd{border:1px solid #888;border-radius:3px;padding:0 4px;font-size:.85em;background:#f4f4f4}
.muted{color:#555} .warn{color:#8a0018;font-weight:600} .not-shown{color:#555;font-style:italic}
.rubric li,.rubric label{margin:2px 0} .item-edit label{display:block}
.item-edit input[name=points]{width:5em} .item-edit input[name=text]{width:calc(100% - 6em)} table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:4px 8px}
.num{text-align:right} #status{position:sticky;top:0;background:#fffbe6;margin:0;padding:0 12px;min-height:1.2em}
a{color:#0b57d0}
"""

# MathJax 2 keeps a TeX macro (\def, \newcommand, \let) for the whole page, so one student's answer could rewrite
# every later answer's math, the model answer and the rubric. Each markdown block (.md) and each list of rubric
# items (.tex: an answer's checkboxes, the rubric) is typeset on its own, and after each
# the TeX definitions (macros, environments, \definecolor's colours, \unicode's glyphs, \begingroup's stacks,
# equation labels) are put back as they were when MathJax started: every extension an answer could ask for is loaded
# then (\require does nothing). The Safe extension drops \href (no javascript: or outside link), \class, \cssId,
# styles other than colours, borders, margins and fonts (no position, no z-index) and font sizes beyond \large; each
# block's box clips what it draws (.md: contain: paint), so \lower, \raise or \smash put nothing over another
# answer or the rubric. When every block is typeset the page's <html> gets data-typeset="done" ("refused", math
# left as TeX, if TeX's definitions never appeared: nothing is typeset without a snapshot to put back).
MATHJAX_CONFIG = r"""(function () {
  "use strict";
  var own = Object.prototype.hasOwnProperty;
  function copy(table) {
    var out = {};
    for (var k in table) { if (own.call(table, k)) { out[k] = table[k]; } }
    return out;
  }
  function copyEntries(table) {
    var out = {};
    for (var k in table) { if (own.call(table, k)) { out[k] = [].concat(table[k]); } }
    return out;
  }
  function putBack(table, kept) {
    Object.keys(table).forEach(function (k) { if (!own.call(kept, k)) { delete table[k]; } });
    for (var k in kept) { if (own.call(kept, k)) { table[k] = kept[k]; } }
  }
  // The TeX input jax and its extensions load on their own schedule, possibly after MathJax's "End": the
  // definitions are snapshotted only once all of them are ready (else an empty snapshot would restore nothing).
  var TEX_EXTENSIONS = ["AMSmath", "AMSsymbols", "noErrors", "noUndefined", "newcommand", "begingroup", "HTML",
                        "bbox", "boldsymbol", "mathchoice", "unicode", "verb", "color", "cancel", "enclose",
                        "action", "AMScd", "extpfeil", "mhchem"];
  var SILENT = {AMScd: true};  // posts no "TeX <name> Ready" signal
  function typesetEachBlock() {
    var HUB = MathJax.Hub, waits = [["Require", MathJax.Ajax, "[MathJax]/jax/input/TeX/jax.js"],
                                    HUB.Register.StartupHook("TeX Jax Ready", {}),
                                    HUB.Register.StartupHook("Safe Extension Ready", {})];
    TEX_EXTENSIONS.forEach(function (name) {
      if (!SILENT[name]) { waits.push(HUB.Register.StartupHook("TeX " + name + " Ready", {})); }
    });
    HUB.Queue.apply(HUB, waits);
    HUB.Queue(typesetWithDefinitionsPutBack);
  }
  function typesetWithDefinitionsPutBack() {
    var HUB = MathJax.Hub, TEX = MathJax.InputJax.TeX, D = TEX.Definitions, kept = {};
    if (!D || !D.macros || !TEX.nsStack) {  // never typeset without a snapshot to put back: leave the TeX shown
      document.documentElement.setAttribute("data-typeset", "refused");
      return;
    }
    ["macros", "environment", "delimiter", "special", "mathchar0mi", "mathchar0mo", "mathchar7"].forEach(function (k) {
      if (D[k]) { kept[k] = copy(D[k]); }
    });
    var color = MathJax.Extension["TeX/color"], colors = color && color.colors ? copy(color.colors) : null;
    // \unicode[h,d][font]{N} caches N's size and font for every later use of N: its table is put back too, entry
    // by entry (the extension changes entries in place)
    var uni = MathJax.Extension["TeX/unicode"], glyphs = uni && uni.unicode ? copyEntries(uni.unicode) : null;
    function restore() {
      Object.keys(kept).forEach(function (k) { putBack(D[k], kept[k]); });
      if (colors) { putBack(color.colors, colors); }
      if (glyphs) { putBack(uni.unicode, copyEntries(glyphs)); }
      TEX.rootStack = TEX.nsStack(); TEX.eqnStack = TEX.nsStack(true);
      if (TEX.resetEquationNumbers) { TEX.resetEquationNumbers(); }
    }
    HUB.Queue(restore);
    Array.prototype.forEach.call(document.querySelectorAll(".md, .tex"), function (el) {
      HUB.Queue(["Typeset", HUB, el], restore);
    });
    HUB.Queue(function () { document.documentElement.setAttribute("data-typeset", "done"); });
  }
  window.MathJax = {
    tex2jax: {inlineMath: [["$", "$"], ["\\(", "\\)"]], processEscapes: true},
    messageStyle: "none", showMathMenu: false, skipStartupTypeset: true,
    extensions: ["tex2jax.js", "MathEvents.js", "MathZoom.js", "MathMenu.js", "toMathML.js", "fast-preview.js",
                 "AssistiveMML.js", "Safe.js"],
    TeX: {extensions: TEX_EXTENSIONS.map(function (name) { return name + ".js"; })},
    Safe: {allow: {URLs: "none", classes: "none", cssIDs: "none", styles: "safe", fontsize: "safe",
                   require: "none"}},
    AuthorInit: function () { MathJax.Hub.Register.StartupHook("End", typesetEachBlock); }
  };
})();
"""

JS = r"""
(function () {
  "use strict";
  var token = document.querySelector('meta[name="dgmlab-token"]').content;
  var question = document.body.dataset.question;
  var status = document.getElementById("status");
  function say(text) { if (status) { status.textContent = text; } }
  function post(path, body) {
    return fetch(path, {method: "POST", headers: {"Content-Type": "application/json", "X-Dgmlab-Token": token},
                        body: JSON.stringify(body)})
      .then(function (r) { return r.json().then(function (d) { if (!r.ok) { throw new Error(d.error || r.statusText); } return d; }); })
      .catch(function (e) { say("Not saved: " + e.message); throw e; });
  }
  if (!question) { return; }
  var answers = Array.prototype.slice.call(document.querySelectorAll("section.answer"));
  var cur = 0;
  function focusAnswer(i) {
    if (!answers.length) { return; }
    cur = Math.max(0, Math.min(answers.length - 1, i));
    answers.forEach(function (a, k) {
      a.classList.toggle("current", k === cur);
      if (k === cur) { a.setAttribute("aria-current", "true"); } else { a.removeAttribute("aria-current"); }
    });
    var a = answers[cur];
    a.focus({preventScroll: true});
    a.scrollIntoView({block: "start"});
    history.replaceState(null, "", "#s-" + encodeURIComponent(a.dataset.student));
  }
  function show(sec, st) {
    sec.querySelector('[data-role="score"]').textContent = st.score === null ? "\u2013" : st.score_text;
    sec.dataset.graded = st.score === null ? "no" : "yes";
    sec.querySelectorAll("input[data-item]").forEach(function (b) { b.checked = st.items.indexOf(b.dataset.item) >= 0; });
    say(sec.dataset.student + ": " + (st.score === null ? "not graded" : st.score_text + " points"));
    showCounts(st.counts || {});
  }
  function showCounts(counts) {
    Object.keys(counts).forEach(function (item) {
      var el = document.querySelector('.rubric li[data-item="' + CSS.escape(item) + '"] [data-role="count"]');
      if (el) { el.textContent = counts[item] + (counts[item] === 1 ? " student" : " students"); }
    });
  }
  function toggle(sec, item) {
    return post("/api/toggle", {question: question, student: sec.dataset.student, item: item})
      .then(function (st) { show(sec, st); });
  }
  answers.forEach(function (sec, k) {
    sec.addEventListener("focusin", function () { if (cur !== k) { cur = k; answers.forEach(function (a, j) { a.classList.toggle("current", j === k); }); } });
    sec.querySelectorAll("input[data-item]").forEach(function (box) {
      box.addEventListener("change", function () { toggle(sec, box.dataset.item); });
    });
    var note = sec.querySelector('[data-role="note"]');
    note.dataset.saved = note.value;
    note.addEventListener("change", function () {
      post("/api/note", {question: question, student: sec.dataset.student, note: note.value})
        .then(function (st) { note.dataset.saved = note.value; show(sec, st); });
    });
    note.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); note.blur(); focusAnswer(k); }
    });
  });
  document.querySelectorAll("form.item-edit").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      post("/api/item", {question: question, item: form.dataset.item, points: form.elements.points.value,
                         text: form.elements.text.value})
        .then(function (r) { say("Item saved; " + r.rescored + " students re-scored"); location.reload(); });
    });
    var del = form.querySelector('[data-action="delete"]');
    if (del) {
      del.addEventListener("click", function () {
        if (!confirm("Delete this item from the rubric and from every student who has it?")) { return; }
        post("/api/delete", {question: question, item: form.dataset.item})
          .then(function () { location.reload(); });
      });
    }
  });
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (t && (t.tagName === "TEXTAREA" || t.tagName === "SELECT" || (t.tagName === "INPUT" && t.type !== "checkbox"))) { return; }
    var sec = answers[cur];
    if (e.key === "j") { focusAnswer(cur + 1); }
    else if (e.key === "k") { focusAnswer(cur - 1); }
    else if (e.key === "u") {
      for (var i = 1; i <= answers.length; i++) {
        var k = (cur + i) % answers.length;
        if (answers[k].dataset.graded !== "yes") { focusAnswer(k); return; }
      }
      say("every answer is graded");
    }
    else if ((/^[0-9]$/.test(e.key) || (e.shiftKey && /^Digit[0-9]$/.test(e.code))) && sec) {
      var d = e.shiftKey ? e.code.slice(5) : e.key;  // the digit row's key, whatever Shift makes of it
      var n = (d === "0" ? 10 : Number(d)) + (e.shiftKey ? 10 : 0);
      var box = sec.querySelectorAll("input[data-item]")[n - 1];
      if (box) { toggle(sec, box.dataset.item); } else { say("no item " + n); return; }
    }
    else if (e.key === "n" && sec) { sec.querySelector('[data-role="note"]').focus(); }
    else if (e.key === "a") { document.querySelector("#new-item input[name=text]").focus(); }
    else if (e.key === "e") { var first = document.querySelector(".rubric input[name=points]"); if (first) { first.focus(); } }
    else { return; }
    e.preventDefault();
  });
  // a PDF viewer takes the focus when it loads: unless the pointer is on it (the grader clicked into the PDF),
  // give the focus back to the answer, so that the keys keep working
  var pointerOn = null;
  function watch(frame) {
    frame.addEventListener("mouseenter", function () { pointerOn = frame; });
    frame.addEventListener("mouseleave", function () { pointerOn = null; });
  }
  // a file the student handed in is a line (its button) until the grader opens it: then its PDF viewer or image
  // comes below the line, loaded from the server now; the button again takes it away
  document.querySelectorAll("button[data-show]").forEach(function (button) {
    button.addEventListener("click", function () {
      var line = button.parentNode, shown = line.querySelector(".viewer");
      if (shown) { line.removeChild(shown); button.setAttribute("aria-expanded", "false"); return; }
      var image = button.dataset.kind === "image", el = document.createElement(image ? "img" : "iframe");
      var what = button.textContent + ", handed in by " + button.closest("section.answer").dataset.student;
      el.className = "viewer";
      if (image) { el.alt = what; } else { el.title = what; watch(el); }
      el.src = button.dataset.show;
      line.appendChild(el);
      button.setAttribute("aria-expanded", "true");
    });
  });
  window.addEventListener("blur", function () {
    setTimeout(function () {
      var el = document.activeElement;
      if (el && el.tagName === "IFRAME" && el !== pointerOn && answers[cur]) { answers[cur].focus({preventScroll: true}); }
    }, 0);
  });
  answers.forEach(function (a) {
    a.addEventListener("click", function (e) { if (e.target === a || e.target.closest(".md")) { a.focus({preventScroll: true}); } });
  });
  var start = 0;
  if (location.hash.indexOf("#s-") === 0) {
    var want = decodeURIComponent(location.hash.slice(3));
    answers.forEach(function (a, k) { if (a.dataset.student === want) { start = k; } });
  }
  focusAnswer(start);
})();
"""
