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
<p>{{ n_students }} submissions in the gradebook{% if anonymous %}, each student shown by pseudonym (<code>dgmlab grade --names</code> shows ids){% endif %}. Rubrics are saved in <code>{{ rubric_path }}</code>.</p>
<table><thead><tr><th scope="col">question</th><th scope="col">points</th><th scope="col">graded with the rubric</th>
<th scope="col">open regrade requests</th></tr></thead><tbody>
{% for q in questions %}<tr><td><a href="/q/{{ q.grade_id }}">{{ q.grade_id }}</a></td><td class="num">{{ q.max }}</td>
<td class="num" data-graded="{{ q.grade_id }}">{{ q.graded }} of {{ n_students }}</td>
<td>{% for who in q.requests %}<a href="/q/{{ q.grade_id }}#s-{{ who }}">{{ who }}</a>{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>
{% endfor %}</tbody></table>
</main>
{% endblock %}"""

QUESTION = """{% extends "base.html" %}
{% block title %}{{ hw }} {{ q.grade_id }}: grade by question{% endblock %}
{% block body_attrs %} data-question="{{ q.grade_id }}"{% if prev %} data-prev="/q/{{ prev }}"{% endif %}{% if next %} data-next="/q/{{ next }}"{% endif %}{% endblock %}
{% block content %}
<p class="skip"><a href="#answers">Skip to the answers</a></p>
<p id="status" role="status" aria-live="polite"></p>
<div class="layout">
<main id="answers" aria-label="answers" data-rubric="{{ rubric }}">
<h1>{{ hw }}: {{ q.grade_id }} ({{ q.max }} points), {{ n_students }} students</h1>
<p class="muted">In this question's own order{% if anonymous %}, each student by pseudonym{% endif %}.
{{ share.groups }} groups of identical answers ({{ share.identical }} answers graded with their group's first);
{{ share.proposed }} similar answers offered a group's items.</p>
{% if not mathjax %}<p class="warn">No MathJax on this machine (Debian's libjs-mathjax): math is shown as TeX.</p>{% endif %}
{% for a in answers %}{% set n = loop.index %}
<section class="answer" id="s-{{ a.label }}" data-student="{{ a.label }}" tabindex="-1" aria-labelledby="h-{{ n }}"
 data-graded="{{ 'yes' if a.score is not none else 'no' }}" data-applied="{{ a.applied|join(' ') }}"
 {%- if a.members %} data-group="{{ a.group }}"{% endif %}{% if a.proposed_for %} data-proposed="{{ a.proposed_for }}"{% endif %}
 {%- if a.member_of %} data-member-of="{{ a.member_of }}"{% if not a.requests %} hidden{% endif %}{% endif %}>
<h2 id="h-{{ n }}">{{ n }}. {{ a.label }}{% if a.member_of %} <span class="badge">same answer as {{ a.member_of }}: its items follow that group's until you change them here</span>{% endif %}{% if a.members %} <span class="badge">and {{ a.members|length }} more with the same answer</span>{% endif %}
 <span class="score"><span data-role="score">{{ a.score_text }}</span> / {{ q.max }}</span></h2>
{% if a.members %}<details class="members"><summary>Graded as one: items applied here apply to each of the {{ a.members|length }} below that has this answer's items</summary>
<ul>{% for m in a.members %}<li data-member="{{ m[0] }}">{{ m[0] }}: <span data-role="member-score">{{ m[1] }}</span><span data-role="apart">{% if not m[2] %} (graded apart){% endif %}</span>{% if m[3] %}; autograded, same problem: {{ m[3] }}{% endif %}{% if m[4] %}; <strong>a regrade request</strong>{% endif %}
 <button type="button" data-apart="{{ m[0] }}">grade apart</button></li>{% endfor %}</ul></details>{% endif %}
{% if a.proposed_for %}<p class="proposal">Much like the answer of {{ a.proposed_for }} ({{ (a.similarity * 100)|round|int }}% of its text alike):
 <kbd>g</kbd> gives it the same items, or grade it apart.</p>{% endif %}
<div class="side"><div class="md" data-role="answer">{% if a.why %}<p class="warn">{{ a.why }}</p>{% else %}<p class="muted loading">answer loads when it comes into view</p>{% endif %}</div><div data-role="files"></div></div>
{% if a.results %}<details class="results"><summary>Autograded, same problem:
{% for r in a.results %}{{ r.cell }} {{ r.score }}/{{ r.max }}{% if not loop.last %} · {% endif %}{% endfor %}</summary>
<ul>{% for r in a.results %}<li>{{ r.cell }}: {{ r.score }} of {{ r.max }}{% if r.error %}; {{ r.error }}{% endif %}
{% if r.failed %}<ul>{% for f in r.failed %}<li>failed {{ f }}</li>{% endfor %}</ul>{% endif %}</li>{% endfor %}</ul></details>{% endif %}
{% for r in a.requests %}<div class="request"><p><strong>Regrade request</strong> ({{ r.when }}{% if r.source %}, {{ r.source }}{% endif %}): <span class="request-text">{{ r.text }}</span></p>
{% if r.answered %}<p>Answered: {{ r.answered.decision }}: {{ r.answered.reason }} ({{ r.answered.who }}, {{ r.answered.when }})</p>
{% else %}<form class="regrade" data-student="{{ a.label }}"><label>decision <select name="decision"><option value="kept">kept</option><option value="changed">changed</option></select></label>
<label>reason (the student reads it) <input name="reason" type="text" required></label> <button type="submit">Answer the request</button></form>{% endif %}</div>{% endfor %}
{% if a.elsewhere %}<p class="warn">Graded outside the rubric: {{ a.elsewhere }}. Applying an item replaces it.</p>{% endif %}
{% if a.adjustment %}<p class="warn" data-role="adjustment">Also on this answer, outside the rubric: {{ a.adjustment }}</p>{% endif %}
<fieldset class="items tex" data-role="items"><legend>Rubric items for {{ a.label }}</legend></fieldset>
<label class="note">Note to {{ a.label }} (<kbd>n</kbd>; saved when you leave it)
<textarea data-role="note" rows="2">{{ a.note }}</textarea></label>
</section>
{% endfor %}
</main>
<aside aria-label="question, model answer and rubric">
<nav><a href="/">all questions</a>{% if prev %} · <a href="/q/{{ prev }}">previous question</a> (<kbd>[</kbd>){% endif %}{% if next %} · <a href="/q/{{ next }}">next question</a> (<kbd>]</kbd>){% endif %}</nav>
<p id="last-change" class="muted" role="status" aria-live="polite"></p>
<details><summary>The question</summary><div class="md">{{ statement|safe }}</div></details>
<details open><summary>The model answer (source notebook)</summary><div class="md model">{{ model|safe }}</div></details>
<h2>Rubric</h2>
<p class="muted">Score: the applied items' points added, between 0 and {{ q.max }}. Editing an item re-scores every student who has it (you confirm first).</p>
<ol class="rubric tex"></ol>
<form class="item-edit tex2jax_ignore" data-item="" id="new-item"><fieldset><legend>New item (<kbd>a</kbd>)</legend>
<label>points <input name="points" type="number" step="any" required size="4" placeholder="-1"></label>
<label>comment <input name="text" type="text" placeholder="what the student did or missed"></label>
<label>apply it now to <select name="apply"><option value="">no answer yet</option><option value="current">the current answer (and its group)</option></select></label>
<button type="submit">Add</button></fieldset></form>
<h2>Keys</h2>
<dl class="keys"><dt><kbd>j</kbd> / <kbd>k</kbd></dt><dd>next / previous answer</dd>
<dt><kbd>f</kbd></dt><dd>full credit (every positive item), then the next answer to grade</dd>
<dt><kbd>x</kbd></dt><dd>"no answer", then the next answer to grade</dd>
<dt><kbd>1</kbd>…<kbd>9</kbd>, <kbd>0</kbd></dt><dd>apply or take off item 1…10</dd>
<dt><kbd>Shift</kbd>+<kbd>1</kbd>…<kbd>0</kbd></dt><dd>item 11…20</dd>
<dt><kbd>g</kbd></dt><dd>a similar answer: the same items as the group it is offered</dd>
<dt><kbd>u</kbd></dt><dd>next answer not graded yet</dd>
<dt><kbd>]</kbd> / <kbd>[</kbd></dt><dd>next / previous question</dd>
<dt><kbd>n</kbd></dt><dd>write a note (<kbd>Esc</kbd> saves and leaves)</dd>
<dt><kbd>a</kbd></dt><dd>add a rubric item</dd>
<dt><kbd>e</kbd>, then <kbd>1</kbd>…<kbd>9</kbd></dt><dd>edit item 1…9 (<kbd>e</kbd> alone: the first; <kbd>Enter</kbd> saves)</dd></dl>
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
section.answer{border:2px solid #ccc;border-radius:6px;margin:12px 0;padding:8px 12px;overflow-wrap:anywhere}
.request,.results,.files,.members{position:relative;overflow:auto;contain:paint;overflow-wrap:anywhere;word-break:break-word}
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
  // the action extension's tooltips and toggles draw in a box of their own over the page (outside the answer's):
  // loaded, so that nothing loads it later, and its macros taken away before the snapshot (they show as unknown)
  var DRAWN_ELSEWHERE = ["mathtip", "texttip", "toggle", "mathtoggle"];
  var SILENT = {AMScd: true};  // posts no "TeX <name> Ready" signal
  function typesetEachBlock() {
    // no pause between a block's input and output phases (MathJax's 50 ms, twice: most of a small block's time)
    MathJax.Hub.processSectionDelay = 0;
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
    DRAWN_ELSEWHERE.forEach(function (name) { delete D.macros[name]; });
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
    // a question's page typesets each block as it comes into view (grade.js calls this); any other page all at once
    window.dgmlabTypeset = function (el, then) {
      HUB.Queue(["Typeset", HUB, el], restore, then || function () {});
    };
    if (document.body.dataset.question) {
      document.dispatchEvent(new Event("dgmlab-math-ready"));
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll(".md, .tex"), function (el) { window.dgmlabTypeset(el); });
    HUB.Queue(function () { document.documentElement.setAttribute("data-typeset", "done"); });
  }
  window.MathJax = {
    tex2jax: {inlineMath: [["$", "$"], ["\\(", "\\)"]], processEscapes: true},
    messageStyle: "none", showMathMenu: false, skipStartupTypeset: true,
    extensions: ["tex2jax.js", "MathEvents.js", "toMathML.js", "AssistiveMML.js", "Safe.js"],
    menuSettings: {zoom: "None"},
    TeX: {extensions: TEX_EXTENSIONS.map(function (name) { return name + ".js"; })},
    Safe: {allow: {URLs: "none", classes: "none", cssIDs: "none", styles: "safe", fontsize: "safe",
                   require: "none"}},
    AuthorInit: function () { MathJax.Hub.Register.StartupHook("End", typesetEachBlock); }
  };
})();
"""
