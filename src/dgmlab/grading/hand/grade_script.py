"""The script of a question's grading page (``/static/grade.js``; :mod:`.grade_pages` has the pages and MathJax's
configuration). It draws each answer's rubric items from one model (the page's ``data-rubric``), fetches an answer's
content as it nears the view and typesets it once in view, and posts each change with the page's token: a toggle, a
set of items (full credit, no answer, a group's items), a note, an item edited (confirmed when it re-scores
answers), a regrade request answered. Keys: the page's sidebar lists them.
"""

JS = r"""
(function () {
  "use strict";
  var token = document.querySelector('meta[name="dgmlab-token"]').content;
  var question = document.body.dataset.question;
  var status = document.getElementById("status");
  var lastChange = document.getElementById("last-change");
  function say(text) { if (status) { status.textContent = text; } }
  function post(path, body) {
    return fetch(path, {method: "POST", headers: {"Content-Type": "application/json", "X-Dgmlab-Token": token},
                        body: JSON.stringify(body)})
      .then(function (r) { return r.json().then(function (d) { if (!r.ok) { throw new Error(d.error || r.statusText); } return d; }); })
      .catch(function (e) { say("Not saved: " + e.message); throw e; });
  }
  if (!question) { return; }
  var main = document.getElementById("answers");
  var rubric = JSON.parse(main.dataset.rubric);
  var all = Array.prototype.slice.call(document.querySelectorAll("section.answer"));
  var byLabel = {};
  all.forEach(function (sec) { byLabel[sec.dataset.student] = sec; });
  function shown() { return all.filter(function (s) { return !s.hidden; }); }
  var answers = shown();
  var cur = 0;

  // -- typesetting: each block once it is on the page and MathJax is ready; <html data-typeset> says "done" when
  // nothing is being fetched or typeset
  var mathReady = !window.MathJax, waiting = [], busy = 0, fetching = 0;
  function settle() {
    document.documentElement.setAttribute("data-typeset", (busy || fetching || !mathReady) ? "busy" : "done");
  }
  function typeset(el) {
    if (!window.MathJax) { return; }
    if (!mathReady) { waiting.push(el); return; }
    busy += 1; settle();
    window.dgmlabTypeset(el, function () { busy -= 1; settle(); });
  }
  document.addEventListener("dgmlab-math-ready", function () {
    mathReady = true;
    var w = waiting; waiting = [];
    w.forEach(typeset);
    settle();
  });

  // -- the rubric: one model, drawn in the sidebar and in each answer's items
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function plural(n, one) { return n + " " + one + (n === 1 ? "" : "s"); }
  function drawItems(sec) {
    var box = sec.querySelector('[data-role="items"]'), legend = box.querySelector("legend");
    var applied = sec.dataset.applied ? sec.dataset.applied.split(" ") : [];
    box.textContent = "";
    box.appendChild(legend);
    rubric.items.forEach(function (it) {
      var label = el("label"), input = el("input", {type: "checkbox", "data-item": it.id});
      input.checked = applied.indexOf(it.id) >= 0;
      input.addEventListener("change", function () { toggle(sec, it.id); });
      label.appendChild(input);
      label.appendChild(document.createTextNode(" "));
      if (it.key) { label.appendChild(el("kbd", {}, it.key)); label.appendChild(document.createTextNode(" ")); }
      label.appendChild(el("span", {"class": "pts"}, it.signed));
      label.appendChild(document.createTextNode(" " + it.text));
      box.appendChild(label);
    });
    sec.dataset.tex = "no";
    sec.dataset.items = "drawn";
  }
  function drawRubric() {
    var list = document.querySelector("ol.rubric");
    list.textContent = "";
    rubric.items.forEach(function (it, n) {
      var li = el("li", {"data-item": it.id}), p = el("p", {"class": "item-text"});
      p.appendChild(el("span", {"class": "pts"}, it.signed));
      p.appendChild(document.createTextNode(" " + it.text));
      li.appendChild(p);
      var form = el("form", {"class": "item-edit", "data-item": it.id});
      var pl = el("label", {}, "points "), points = el("input", {name: "points", type: "number", step: "any", size: "4"});
      points.value = it.points; pl.appendChild(points); form.appendChild(pl);
      var tl = el("label", {}, "comment "), text = el("input", {name: "text", type: "text"});
      text.value = it.text; tl.appendChild(text); form.appendChild(tl);
      form.appendChild(el("button", {type: "submit"}, "Save"));
      form.appendChild(document.createTextNode(" "));
      var del = el("button", {type: "button", "data-action": "delete"}, "Delete");
      form.appendChild(del);
      form.appendChild(document.createTextNode(" "));
      var n_ = rubric.counts[it.id] || 0;
      form.appendChild(el("span", {"class": "muted", "data-role": "count"}, plural(n_, "student")));
      form.addEventListener("submit", function (e) { e.preventDefault(); saveItem(form, it); });
      del.addEventListener("click", function () {
        if (!confirm("Delete item " + (n + 1) + " from the rubric and from the " + plural(n_, "student") + " who have it?")) { return; }
        post("/api/delete", {question: question, item: it.id}).then(function (r) { changed(r, "Item " + (n + 1) + " deleted"); });
      });
      li.appendChild(form);
      list.appendChild(li);
    });
    var select = document.querySelector('#new-item select[name="apply"]');
    Array.prototype.slice.call(select.options).forEach(function (o) { if (o.value.indexOf("item:") === 0) { select.removeChild(o); } });
    rubric.items.forEach(function (it, n) {
      select.appendChild(el("option", {value: "item:" + it.id}, "every answer with item " + (n + 1) + " (" + it.signed + " " + it.text.slice(0, 40) + ")"));
    });
    if (asideDone) { typeset(list); }
  }
  function showCounts(counts) {
    rubric.counts = counts;
    Object.keys(counts).forEach(function (item) {
      var c = document.querySelector('.rubric li[data-item="' + CSS.escape(item) + '"] [data-role="count"]');
      if (c) { c.textContent = plural(counts[item], "student"); }
    });
  }
  function show(st) {
    var sec = byLabel[st.student];
    if (sec) {
      sec.querySelector('[data-role="score"]').textContent = st.score === null ? "\u2013" : st.score_text;
      sec.dataset.graded = st.score === null ? "no" : "yes";
      sec.dataset.applied = st.items.join(" ");
      sec.querySelectorAll("input[data-item]").forEach(function (b) { b.checked = st.items.indexOf(b.dataset.item) >= 0; });
    }
    var member = document.querySelector('[data-member="' + CSS.escape(st.student) + '"] [data-role="member-score"]');
    if (member) { member.textContent = st.score === null ? "\u2013" : st.score_text; }
  }
  function shownStates(r) {
    (r.states || []).forEach(show);
    if (r.counts) { showCounts(r.counts); }
    var st = r.states && r.states[0];
    if (st) {
      var more = r.states.length > 1 ? " (and " + plural(r.states.length - 1, "answer") + " of its group)" : "";
      say(st.student + ": " + (st.score === null ? "not graded" : st.score_text + " points") + more);
    }
  }
  function changed(r, what) {
    rubric = r.rubric;
    drawRubric();
    all.forEach(function (sec) { if (sec.dataset.items === "drawn") { drawItems(sec); } });
    (r.states || []).forEach(show);
    all.forEach(function (sec) { if (sec.dataset.loaded === "yes" && inView(sec)) { texItems(sec); } });
    var line = what + ": " + plural(r.rescored || 0, "answer") + " re-scored";
    if (lastChange) { lastChange.textContent = line; }
    say(line);
    if (answers[cur]) { answers[cur].focus({preventScroll: true}); }  // the keys go on grading
  }
  function saveItem(form, it) {
    var points = form.elements.points.value, body = {question: question, item: it ? it.id : "", points: points,
                                                     text: form.elements.text.value};
    var n = it ? (rubric.counts[it.id] || 0) : 0;
    if (it && n && Number(points) !== it.points) {
      if (!confirm("Change this item from " + it.signed + " to " + points + " points? It re-scores " + plural(n, "student") + ".")) { return; }
      body.confirm = true;
    }
    if (!it) {
      var target = form.elements.apply.value;
      body.apply = target === "current" ? (answers[cur] ? "student:" + answers[cur].dataset.student : "") : target;
    }
    post("/api/item", body).then(function (r) {
      changed(r, it ? "Item " + (rubric.items.findIndex(function (x) { return x.id === r.item; }) + 1) + " saved" : "Item added");
      if (!it) { form.elements.text.value = ""; }
    });
  }

  // -- an answer's content, fetched as it comes into view
  function inView(sec) {
    var r = sec.getBoundingClientRect();
    return r.bottom > 0 && r.top < innerHeight;
  }
  // an answer's math is typeset when the answer is in view (its content is fetched a screen ahead)
  function texAnswer(sec) {
    if (sec.dataset.loaded !== "yes" || sec.dataset.math === "yes") { texItems(sec); return; }
    sec.dataset.math = "yes";
    typeset(sec.querySelector('[data-role="answer"]'));
    texItems(sec);
  }
  function texItems(sec) {
    if (sec.dataset.tex === "yes") { return; }
    sec.dataset.tex = "yes";
    typeset(sec.querySelector('[data-role="items"]'));
  }
  var wanted = [], timer = null;
  function want(sec) {
    if (sec.dataset.items !== "drawn") { drawItems(sec); }
    if (sec.dataset.loaded || sec.hidden) { return; }
    sec.dataset.loaded = "asked";
    wanted.push(sec);
    if (!timer) { timer = setTimeout(fetchWanted, 0); }
  }
  function fetchWanted() {
    timer = null;
    var batch = wanted.splice(0, 40);
    if (!batch.length) { return; }
    var q = batch.map(function (s) { return "s=" + encodeURIComponent(s.dataset.student); }).join("&");
    fetching += 1; settle();
    fetch("/answers/" + encodeURIComponent(question) + "?" + q).then(function (r) { return r.json(); }).then(function (got) {
      batch.forEach(function (sec) {
        var a = got[sec.dataset.student], md = sec.querySelector('[data-role="answer"]');
        sec.dataset.loaded = "yes";
        if (!a) { return; }
        md.textContent = "";
        if (a.html) { md.innerHTML = a.html; }
        else { md.appendChild(el("p", {"class": "warn"}, a.why || "This answer is empty.")); }
        if (a.notex) {  // TeX too costly (macros, deep nesting): typeset only on its own page, never with the class's
          md.classList.add("tex2jax_ignore");
          sec.dataset.math = "yes";
          var note = el("p", {"class": "warn"}, "This answer's TeX defines macros or nests deeply: shown as TeX here. ");
          note.appendChild(el("a", {href: "/a/" + encodeURIComponent(question) + "/" + encodeURIComponent(sec.dataset.student)}, "Typeset it on its own page"));
          md.insertBefore(note, md.firstChild);
        }
        drawFiles(sec, a.files || []);
        if (inView(sec)) { texAnswer(sec); }
      });
      if (!asideDone) { asideDone = true; typeset(document.querySelector("aside")); }
    }).catch(function (e) {
      batch.forEach(function (sec) { sec.dataset.loaded = ""; });
      say("Answers not loaded: " + e.message);
    }).then(function () {
      fetching -= 1; settle();
      if (wanted.length) { fetchWanted(); }
    });
  }
  var asideDone = false;
  var seen = new IntersectionObserver(function (entries) {
    entries.forEach(function (e) { if (e.isIntersecting) { want(e.target); } });
  }, {rootMargin: "600px 0px"});
  var shownNow = new IntersectionObserver(function (entries) {
    entries.forEach(function (e) { if (e.isIntersecting) { texAnswer(e.target); } });
  });

  // -- files the student handed in: a line (a button) until the grader opens it
  var pointerOn = null;
  function watch(frame) {
    frame.addEventListener("mouseenter", function () { pointerOn = frame; });
    frame.addEventListener("mouseleave", function () { pointerOn = null; });
  }
  // while a handed-in PDF is open, a link inside it could take this tab elsewhere: the browser asks first
  var pdfsOpen = 0, leaving = false;
  window.addEventListener("beforeunload", function (e) {
    if (pdfsOpen > 0 && !leaving) { e.preventDefault(); e.returnValue = ""; }
  });
  function leave() {  // this page's own way out: no question asked; still here a moment later, the guard is back
    leaving = true;
    setTimeout(function () { leaving = false; }, 1000);
  }
  function go(href) { leave(); location.href = href; }
  document.querySelectorAll("aside nav a").forEach(function (a) {
    a.addEventListener("click", function (e) {  // a plain click only: Ctrl or a middle click opens another tab
      if (e.button === 0 && !(e.ctrlKey || e.metaKey || e.shiftKey || e.altKey)) { leave(); }
    });
  });
  function drawFiles(sec, files) {
    var slot = sec.querySelector('[data-role="files"]');
    slot.textContent = "";
    if (!files.length) { return; }
    var ul = el("ul", {"class": "files", "aria-label": "files " + sec.dataset.student + " handed in"});
    files.forEach(function (f) {
      var li = el("li");
      if (f.why) { li.textContent = f.name + " (" + f.kind + ", " + f.why + ")"; ul.appendChild(li); return; }
      var button = el("button", {type: "button", "data-show": f.url, "data-kind": f.image ? "image" : "pdf", "aria-expanded": "false"}, f.name);
      li.appendChild(button);
      li.appendChild(document.createTextNode(" (" + f.kind + ", "));
      li.appendChild(el("a", {href: f.url, target: "_blank", rel: "noopener"}, "new tab"));
      li.appendChild(document.createTextNode(")"));
      button.addEventListener("click", function () {
        var open = li.querySelector(".viewer");
        if (open) {
          if (!f.image) { pdfsOpen -= 1; }
          li.removeChild(open); button.setAttribute("aria-expanded", "false"); return;
        }
        if (!f.image) { pdfsOpen += 1; }
        var image = f.image, v = el(image ? "img" : "iframe", {"class": "viewer"});
        var what = f.name + ", handed in by " + sec.dataset.student;
        if (image) { v.alt = what; } else { v.title = what; watch(v); }
        v.src = f.url;
        li.appendChild(v);
        button.setAttribute("aria-expanded", "true");
      });
      ul.appendChild(li);
    });
    slot.appendChild(ul);
  }
  window.addEventListener("blur", function () {
    setTimeout(function () {
      var a = document.activeElement;
      if (a && a.tagName === "IFRAME" && a !== pointerOn && answers[cur]) { answers[cur].focus({preventScroll: true}); }
    }, 0);
  });

  // -- grading
  function focusAnswer(i) {
    if (!answers.length) { return; }
    cur = Math.max(0, Math.min(answers.length - 1, i));
    answers.forEach(function (a, k) {
      a.classList.toggle("current", k === cur);
      if (k === cur) { a.setAttribute("aria-current", "true"); } else { a.removeAttribute("aria-current"); }
    });
    var a = answers[cur];
    want(a);
    a.focus({preventScroll: true});
    a.scrollIntoView({block: "start"});
    history.replaceState(null, "", "#s-" + encodeURIComponent(a.dataset.student));
  }
  function isGroup(sec) { return !!sec.dataset.group; }
  function toggle(sec, item) {
    return post("/api/toggle", {question: question, student: sec.dataset.student, item: item, group: isGroup(sec)})
      .then(shownStates);
  }
  function setItems(sec, items, via) {
    return post("/api/set", {question: question, student: sec.dataset.student, items: items, group: isGroup(sec), via: via})
      .then(shownStates);
  }
  function nextToGrade() {
    for (var i = 1; i <= answers.length; i++) {
      var k = (cur + i) % answers.length;
      if (answers[k].dataset.graded !== "yes") { focusAnswer(k); return; }
    }
    say("every answer is graded");
  }
  function fullCredit(sec) {
    var items = rubric.items.filter(function (it) { return it.points > 0; }).map(function (it) { return it.id; });
    return setItems(sec, items, "full credit").then(nextToGrade);
  }
  function noAnswer(sec) {
    var it = rubric.items.filter(function (x) { return x.points === 0 && /^no answer$/i.test(x.text); })[0];
    if (!it) { say("this rubric has no \"no answer\" item: add one (a), 0 points"); return; }
    return setItems(sec, [it.id], "no answer").then(nextToGrade);
  }
  function sameAsGroup(sec) {
    var lead = byLabel[sec.dataset.proposed];
    if (!lead) { say("this answer is not offered a group's items"); return; }
    if (lead.dataset.graded !== "yes") { say("grade " + lead.dataset.student + "'s answer first: this one takes its items"); return; }
    var items = lead.dataset.applied ? lead.dataset.applied.split(" ") : [];
    return setItems(sec, items, "same as " + lead.dataset.group).then(nextToGrade);
  }
  all.forEach(function (sec) {
    sec.addEventListener("focusin", function () {
      var i = answers.indexOf(sec);
      if (i >= 0 && cur !== i) { cur = i; answers.forEach(function (a, j) { a.classList.toggle("current", j === i); }); }
    });
    sec.addEventListener("click", function (e) { if (e.target === sec || e.target.closest(".md")) { sec.focus({preventScroll: true}); } });
    var note = sec.querySelector('[data-role="note"]');
    note.dataset.saved = note.value;
    note.addEventListener("change", function () {
      post("/api/note", {question: question, student: sec.dataset.student, note: note.value})
        .then(function (r) { note.dataset.saved = note.value; shownStates(r); });
    });
    note.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); note.blur(); focusAnswer(answers.indexOf(sec)); }
    });
    sec.querySelectorAll("button[data-apart]").forEach(function (b) {
      b.addEventListener("click", function () {
        var m = byLabel[b.dataset.apart];
        if (!m) { return; }
        m.hidden = false;
        answers = shown();
        focusAnswer(answers.indexOf(m));
      });
    });
    sec.querySelectorAll("form.regrade").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        post("/api/regrade", {question: question, student: sec.dataset.student, decision: form.elements.decision.value,
                              reason: form.elements.reason.value})
          .then(function () { form.replaceWith(el("p", {}, "Answered: " + form.elements.decision.value + ": " + form.elements.reason.value)); say("Regrade request answered"); });
      });
    });
    seen.observe(sec);
    shownNow.observe(sec);
  });
  drawRubric();
  if (!all.length) { asideDone = true; typeset(document.querySelector("aside")); }
  document.getElementById("new-item").addEventListener("submit", function (e) { e.preventDefault(); saveItem(e.target, null); });
  var editing = false;
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (editing && /^[1-9]$/.test(e.key)) {  // e, then a digit: that item's points
      editing = false;
      var f = document.querySelectorAll(".rubric input[name=points]")[Number(e.key) - 1];
      if (f) { f.focus(); f.select(); } else { say("no item " + e.key); }
      e.preventDefault();
      return;
    }
    editing = false;
    if (t && (t.tagName === "TEXTAREA" || t.tagName === "SELECT" || (t.tagName === "INPUT" && t.type !== "checkbox"))) { return; }
    var sec = answers[cur];
    if (e.key === "j") { focusAnswer(cur + 1); }
    else if (e.key === "k") { focusAnswer(cur - 1); }
    else if (e.key === "u") { nextToGrade(); }
    else if (e.key === "]" || e.key === "[") {
      var to = document.body.dataset[e.key === "]" ? "next" : "prev"];
      if (to) { go(to); } else { say(e.key === "]" ? "this is the last question" : "this is the first question"); }
    }
    else if (e.key === "f" && sec) { fullCredit(sec); }
    else if (e.key === "x" && sec) { noAnswer(sec); }
    else if (e.key === "g" && sec) { sameAsGroup(sec); }
    else if ((/^[0-9]$/.test(e.key) || (e.shiftKey && /^Digit[0-9]$/.test(e.code))) && sec) {
      var d = e.shiftKey ? e.code.slice(5) : e.key;  // the digit row's key, whatever Shift makes of it
      var n = (d === "0" ? 10 : Number(d)) + (e.shiftKey ? 10 : 0);
      var it = rubric.items[n - 1];
      if (it) { toggle(sec, it.id); } else { say("no item " + n); return; }
    }
    else if (e.key === "n" && sec) { sec.querySelector('[data-role="note"]').focus(); }
    else if (e.key === "a") { var pts = document.querySelector("#new-item input[name=points]"); pts.focus(); pts.select(); }
    else if (e.key === "e") {
      var first = document.querySelector(".rubric input[name=points]");
      if (first) { first.focus(); editing = true; setTimeout(function () { editing = false; }, 1500); }
    }
    else { return; }
    e.preventDefault();
  });
  var start = 0;
  if (location.hash.indexOf("#s-") === 0) {
    var wantLabel = decodeURIComponent(location.hash.slice(3)), at = byLabel[wantLabel];
    if (at) { at.hidden = false; answers = shown(); start = Math.max(0, answers.indexOf(at)); }
  }
  settle();
  focusAnswer(start);
})();
"""
