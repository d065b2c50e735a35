(function () {
  "use strict";
  var body = document.body;
  function fail(message) {
    body.setAttribute("data-js-ok", "0");
    body.setAttribute("data-js-error", String(message));
  }
  window.addEventListener("error", function (e) { fail(e.message || "script error"); });
  window.addEventListener("unhandledrejection", function (e) { fail("unhandled rejection: " + e.reason); });

  var data = JSON.parse(document.getElementById("report-data").textContent);
  var docs = data.docs, CATS = data.categories, KINDS = data.kinds, RULES = data.rules, HOSTS = data.hosts;
  var PAGE = data.page_size;
  var state = { page: 0, cat: "", host: "", q: "" };
  var matches = [];
  var list = document.getElementById("doc-list");
  var toc = document.getElementById("toc");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) { for (var k in attrs) { if (attrs[k] !== null && attrs[k] !== undefined) node.setAttribute(k, attrs[k]); } }
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function fmt(n) { return n.toLocaleString("en-US"); }

  // Cleaned text: paragraphs are [start, end] slices of the input or literal strings.
  function cleaned(d) {
    if (d._o === undefined) {
      var part = function (p) {
        if (typeof p === "string") return p;
        return typeof p[0] === "number" ? d.i.slice(p[0], p[1]) : p.map(part).join("");
      };
      d._o = d.o.map(part).join("\n\n");
    }
    return d._o;
  }
  function categoriesOf(d) {
    if (!d._c) {
      d._c = {};
      d.r.forEach(function (r) { var c = CATS[r[2]]; d._c[c] = (d._c[c] || 0) + 1; });
    }
    return d._c;
  }
  function haystack(d) {
    if (d._h === undefined) { d._h = (d.u + "\n" + (d.i || "") + "\n" + cleaned(d)).toLowerCase(); }
    return d._h;
  }
  function applyFilters() {
    matches = [];
    for (var i = 0; i < docs.length; i++) {
      var d = docs[i];
      if (state.cat && !categoriesOf(d)[state.cat]) continue;
      if (state.host !== "" && d.h !== Number(state.host)) continue;
      if (state.q && haystack(d).indexOf(state.q) < 0) continue;
      matches.push(i);
    }
  }

  // Whitespace made visible, so "two spaces -> one" edits can be read.
  function visible(s) {
    if (s === "") return "∅";
    return s.replace(/ /g, "·").replace(/\u00a0/g, "⍽").replace(/\t/g, "⇥").replace(/\n/g, "↵")
      .replace(/[\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]/g, function (c) {
        return "⟨U+" + c.charCodeAt(0).toString(16).toUpperCase() + "⟩";
      });
  }
  function editLabel(e) { return KINDS[e[2]] + " · " + RULES[e[3]] + ": " + visible(e[4]) + " → " + visible(e[5]); }

  // Overlapping edits (e.g. a no-break space replaced, then the doubled space) become one mark.
  function editClusters(d) {
    var out = [];
    d.e.forEach(function (e, k) {
      var last = out[out.length - 1];
      if (last && (e[0] < last.e || (e[0] === last.s && e[1] === last.e))) {
        last.e = Math.max(last.e, e[1]); last.items.push(k);
      } else {
        out.push({ s: e[0], e: e[1], items: [k] });
      }
    });
    return out;
  }
  function editMark(d, c, text) {
    var insert = c.s === c.e;
    var mark = el("mark", { "class": insert ? "edit insert" : "edit", "data-edits": c.items.join(" ") }, insert ? "‸" : text);
    mark.title = c.items.map(function (k) { return editLabel(d.e[k]); }).join("\n");
    return mark;
  }
  // Appends input[a, b) to parent, wrapping the parts touched by edits in marks.
  function appendText(parent, d, clusters, a, b) {
    var text = d.i, pos = a;
    for (var k = 0; k < clusters.length; k++) {
      var c = clusters[k];
      if (c.s === c.e) {
        if (c.s >= a && (c.s < b || (c.s === b && b === text.length))) {
          if (c.s > pos) { parent.appendChild(document.createTextNode(text.slice(pos, c.s))); pos = c.s; }
          parent.appendChild(editMark(d, c, ""));
        }
        continue;
      }
      var s = Math.max(a, c.s), e = Math.min(b, c.e);
      if (s >= e) continue;
      if (s > pos) parent.appendChild(document.createTextNode(text.slice(pos, s)));
      parent.appendChild(editMark(d, c, text.slice(s, e)));
      pos = e;
    }
    if (pos < b) parent.appendChild(document.createTextNode(text.slice(pos, b)));
  }
  function removal(r, text) {
    var cat = CATS[r[2]], rule = RULES[r[3]];
    return el("del", { "class": "c-" + cat, "data-category": cat, "data-rule": rule, "title": rule }, text);
  }
  function inputPane(d) {
    var pre = el("pre", { "class": "text input" });
    var clusters = editClusters(d), pos = 0;
    d.r.forEach(function (r) {
      if (r[0] > pos) appendText(pre, d, clusters, pos, r[0]);
      var del = removal(r);
      appendText(del, d, clusters, r[0], r[1]);
      pre.appendChild(del);
      pos = Math.max(pos, r[1]);
    });
    if (pos < d.i.length) appendText(pre, d, clusters, pos, d.i.length);
    return pre;
  }
  function removedOnlyPane(d) {
    var ol = el("ol", { "class": "removed-only" });
    d.r.forEach(function (r) { var li = el("li"); li.appendChild(removal(r, r[4])); ol.appendChild(li); });
    if (!d.r.length) ol.appendChild(el("li", null, "nothing was removed"));
    return ol;
  }
  function pane(title, content, cls) {
    var div = el("div", { "class": "pane " + cls });
    div.appendChild(el("h4", null, title));
    div.appendChild(content);
    return div;
  }
  function editsList(d) {
    var box = el("details", { "class": "edits" });
    if (d.e.length <= 10) box.open = true;
    box.appendChild(el("summary", null, d.e.length + (d.e.length === 1 ? " edit" : " edits")));
    var ol = el("ol");
    d.e.forEach(function (e) {
      var li = el("li");
      li.appendChild(el("code", { "class": "before" }, visible(e[4])));
      li.appendChild(document.createTextNode(" → "));
      li.appendChild(el("code", { "class": "after" }, visible(e[5])));
      li.appendChild(el("span", { "class": "rule" }, KINDS[e[2]] + " · " + RULES[e[3]]));
      ol.appendChild(li);
    });
    box.appendChild(ol);
    return box;
  }
  function facts(d, n) {
    var p = el("div", { "class": "facts" });
    p.appendChild(el("span", null, "source: " + HOSTS[d.h]));
    p.appendChild(el("span", null, "language: " + d.l));
    p.appendChild(el("span", null, fmt(d.s[0]) + " → " + fmt(d.s[1]) + " characters (" + fmt(d.s[2]) + " removed)"));
    p.appendChild(el("span", { "title": d.id }, "id " + d.id.slice(0, 12)));
    if (d.d) p.appendChild(el("span", { "class": "near-duplicate", "title": "cluster " + d.d[0] }, "near-duplicate of " + d.d[2].slice(0, 12) + " (" + d.d[1] + ")"));
    var chips = el("span");
    var cats = categoriesOf(d);
    CATS.forEach(function (c) { if (cats[c]) chips.appendChild(el("span", { "class": "chip c-" + c, "data-category": c }, c + " " + cats[c])); });
    if (d.e.length) chips.appendChild(el("span", { "class": "chip" }, "edits " + d.e.length));
    p.appendChild(chips);
    return p;
  }
  function renderDoc(i) {
    var d = docs[i];
    var art = el("article", { "class": "doc", "id": "doc-" + (i + 1), "data-uri": d.u });
    var h = el("h3");
    h.appendChild(el("span", { "class": "num" }, "#" + (i + 1)));
    h.appendChild(document.createTextNode(d.u));
    art.appendChild(h);
    if (d.t) art.appendChild(el("p", { "class": "title" }, d.t));
    art.appendChild(facts(d, i));
    if (d.n) art.appendChild(el("p", { "class": "note" }, d.n + " Showing the removed spans and the cleaned text only."));
    var panes = el("div", { "class": "panes" });
    panes.appendChild(d.i === null ? pane("Removed spans", removedOnlyPane(d), "in") : pane("As it came in", inputPane(d), "in"));
    panes.appendChild(pane("Cleaned", el("pre", { "class": "text output" }, cleaned(d)), "out"));
    art.appendChild(panes);
    if (d.e.length) art.appendChild(editsList(d));
    return art;
  }

  function pages() { return Math.max(1, Math.ceil(matches.length / PAGE)); }
  function updatePagers() {
    var first = state.page * PAGE;
    var status = matches.length
      ? "documents " + fmt(first + 1) + "–" + fmt(Math.min(first + PAGE, matches.length)) + " of " + fmt(matches.length) +
        (matches.length < docs.length ? " (filtered from " + fmt(docs.length) + ")" : "") + " · page " + (state.page + 1) + " of " + pages()
      : "no document matches";
    document.querySelectorAll(".pager-status").forEach(function (s) { s.textContent = status; });
    document.querySelectorAll(".pager button").forEach(function (b) {
      var go = b.getAttribute("data-go");
      b.disabled = (go === "first" || go === "prev") ? state.page === 0 : state.page >= pages() - 1;
    });
  }
  function render() {
    var frag = document.createDocumentFragment(), items = document.createDocumentFragment();
    var slice = matches.slice(state.page * PAGE, (state.page + 1) * PAGE);
    slice.forEach(function (i) {
      frag.appendChild(renderDoc(i));
      var li = el("li");
      li.appendChild(el("a", { "href": "#doc-" + (i + 1) }, docs[i].u));
      items.appendChild(li);
    });
    list.textContent = "";
    list.appendChild(frag);
    toc.textContent = "";
    toc.appendChild(items);
    updatePagers();
    if (!body.hasAttribute("data-js-error")) body.setAttribute("data-js-ok", "1");
    // Milliseconds from navigation to this page of documents on screen: a load-time probe.
    body.setAttribute("data-rendered-ms", String(Math.round(performance.now())));
  }
  function go(where) {
    var last = pages() - 1;
    state.page = where === "first" ? 0 : where === "last" ? last : where === "prev" ? Math.max(0, state.page - 1) : Math.min(last, state.page + 1);
    render();
    document.getElementById("documents").scrollIntoView();
  }
  function refilter() { state.page = 0; applyFilters(); render(); }
  // A link to #doc-N opens the page that holds it (filters are cleared to be sure it is there).
  function showHash() {
    var m = /^#doc-(\d+)$/.exec(location.hash);
    if (!m) return;
    var i = Number(m[1]) - 1;
    if (i < 0 || i >= docs.length) return;
    var pos = matches.indexOf(i);
    if (pos < 0) { state.cat = ""; state.host = ""; state.q = ""; resetControls(); applyFilters(); pos = matches.indexOf(i); }
    state.page = Math.floor(pos / PAGE);
    render();
    var node = document.getElementById("doc-" + (i + 1));
    if (node) node.scrollIntoView();
  }

  var q = document.getElementById("q"), fCat = document.getElementById("f-cat"), fHost = document.getElementById("f-host");
  function resetControls() { q.value = ""; fCat.value = ""; fHost.value = ""; }
  function setupControls() {
    var perCat = {}, perHost = {};
    docs.forEach(function (d) {
      var cats = categoriesOf(d);
      for (var c in cats) perCat[c] = (perCat[c] || 0) + 1;
      perHost[d.h] = (perHost[d.h] || 0) + 1;
    });
    CATS.forEach(function (c) { if (perCat[c]) fCat.appendChild(el("option", { "value": c }, c + " (" + fmt(perCat[c]) + " documents)")); });
    HOSTS.map(function (h, k) { return [h, k]; }).sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; })
      .forEach(function (hk) { fHost.appendChild(el("option", { "value": String(hk[1]) }, hk[0] + " (" + fmt(perHost[hk[1]] || 0) + ")")); });
    var timer = null;
    q.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { state.q = q.value.trim().toLowerCase(); refilter(); }, 200);
    });
    fCat.addEventListener("change", function () { state.cat = fCat.value; refilter(); });
    fHost.addEventListener("change", function () { state.host = fHost.value; refilter(); });
    document.querySelectorAll(".pager button").forEach(function (b) {
      b.addEventListener("click", function () { go(b.getAttribute("data-go")); });
    });
    window.addEventListener("hashchange", showHash);
  }
  // ?category=donation&source=seeds&q=words opens a filtered view (links in reviews, tests).
  function readQuery() {
    var params = new URLSearchParams(location.search);
    if (params.get("q")) { q.value = params.get("q"); state.q = q.value.trim().toLowerCase(); }
    if (params.get("category")) { state.cat = params.get("category"); fCat.value = state.cat; }
    if (params.get("source")) { state.host = String(HOSTS.indexOf(params.get("source"))); fHost.value = state.host; }
  }

  try {
    setupControls();
    readQuery();
    applyFilters();
    render();
    showHash();
  } catch (err) {
    fail(err && err.stack ? err.stack : err);
    throw err;
  }
})();
