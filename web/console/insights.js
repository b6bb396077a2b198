/* kefu agent console: the store's insights. Overview (how kefu did, per day and language, with
 * Chart.js served from the store's own server), knowledge gaps with a drafted FAQ entry each,
 * and the knowledge-base checks. Texts from shoppers and documents are set with textContent. */
(function () {
  "use strict";
  var charts = {};

  var el = window.kefuConsole.el, api = window.kefuConsole.api;  // app.js's

  function pct(n, of) { return of ? Math.round(100 * n / of) + "%" : "–"; }
  function ms(v) { return v === null || v === undefined ? "–" : v >= 1000 ? (v / 1000).toFixed(1) + " s" : v + " ms"; }
  function isoDay(d) { return d.toISOString().slice(0, 10); }

  // ---- pages: one shown at a time, chosen by the address's #fragment
  var loaded = {};
  function show() {
    var view = (location.hash || "#conversations").slice(1);
    if (!document.querySelector('.view[data-view="' + view + '"]')) view = "conversations";
    document.querySelectorAll(".view").forEach(function (v) { v.hidden = v.dataset.view !== view; });
    document.querySelectorAll("#views a").forEach(function (a) {
      if (a.dataset.view === view) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    });
    if (!loaded[view] && view === "overview") { loaded[view] = true; loadOverview(); }
    if (!loaded[view] && view === "gaps") { loaded[view] = true; loadGaps(); }
  }
  window.addEventListener("hashchange", show);

  // ---- Overview
  var form = document.getElementById("overview-form");
  var today = new Date(Date.now() + 8 * 3600 * 1000);  // the store's day (Beijing)
  form.until.value = isoDay(today);
  form.since.value = isoDay(new Date(today.getTime() - 6 * 86400 * 1000));

  function query() {
    var params = new URLSearchParams(new FormData(form));
    if (!params.get("lang")) params.delete("lang");
    return params.toString();
  }

  function card(label, value, note) {
    var c = el("div", { class: "card" });
    c.appendChild(el("span", {}, label));
    c.appendChild(el("b", {}, value));
    if (note) c.appendChild(el("span", { class: "meta" }, note));
    return c;
  }

  function table(rows, columns) {
    var t = el("table");
    var head = el("tr");
    columns.forEach(function (c) { head.appendChild(el("th", { scope: "col" }, c[0])); });
    t.appendChild(head);
    rows.forEach(function (r) {
      var tr = el("tr");
      columns.forEach(function (c) { tr.appendChild(el("td", {}, c[1](r))); });
      t.appendChild(tr);
    });
    return t;
  }

  var COLUMNS = [
    ["conversations", function (r) { return r.conversations; }],
    ["messages", function (r) { return r.messages; }],
    ["answered by kefu", function (r) { return r.answered + " (" + pct(r.answered, r.conversations) + ")"; }],
    ["handed off: asked / kefu declined / complaint / agent took over", function (r) {
      return r.handed_off + ": " + r.handoff_asked + " / " + r.handoff_abstained + " / " + r.handoff_complaint + " / " + r.handoff_agent; }],
    ["answers declined", function (r) { return r.abstained; }],
    ["👍 / 👎", function (r) { return r.thumbs_up + " / " + r.thumbs_down; }],
    ["reply median / p95", function (r) { return ms(r.reply_p50_ms) + " / " + ms(r.reply_p95_ms); }],
    ["top intents", function (r) { return r.top_intents.map(function (i) { return i.intent + " " + i.messages; }).join(", "); }]
  ];
  var LANG = { zh: "中文", en: "English", "?": "not known yet" };

  function chart(id, config) {
    if (!window.Chart) return;  // the page still works without its plots
    if (charts[id]) charts[id].destroy();
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    charts[id] = new window.Chart(document.getElementById(id), config);
  }

  function perDay(data) {
    var days = {};
    data.days.forEach(function (r) {
      var d = days[r.day] || (days[r.day] = { answered: 0, handed_off: 0, conversations: 0, up: 0, down: 0, p50: [], p95: [] });
      d.answered += r.answered; d.handed_off += r.handed_off; d.conversations += r.conversations;
      d.up += r.thumbs_up; d.down += r.thumbs_down;
      if (r.reply_p50_ms !== null) { d.p50.push(r.reply_p50_ms); d.p95.push(r.reply_p95_ms); }
    });
    return days;
  }

  function renderOverview(data) {
    var t = data.total;
    var head = document.getElementById("headline");
    head.textContent = "";
    head.appendChild(card("Conversations", t.conversations, t.messages + " shopper messages"));
    head.appendChild(card("Answered by kefu", pct(t.answered, t.conversations), t.answered + " with no handoff"));
    head.appendChild(card("Handed off", pct(t.handed_off, t.conversations),
      t.handoff_asked + " asked · " + t.handoff_abstained + " after kefu declined · " + t.handoff_complaint +
      " complaints · " + t.handoff_agent + " taken over by an agent"));
    head.appendChild(card("Answers kefu declined", t.abstained, t.conversations_abstained + " conversations"));
    head.appendChild(card("👍 / 👎", t.thumbs_up + " / " + t.thumbs_down));
    head.appendChild(card("Reply time", ms(t.reply_p50_ms), "median; p95 " + ms(t.reply_p95_ms)));
    var langs = Object.keys(data.languages).map(function (l) { return Object.assign({ lang: l }, data.languages[l]); });
    var byLang = document.getElementById("by-language");
    byLang.textContent = "";
    byLang.appendChild(table(langs, [["language", function (r) { return LANG[r.lang] || r.lang; }]].concat(COLUMNS)));
    var byDay = document.getElementById("by-day");
    byDay.textContent = "";
    byDay.appendChild(table(data.days, [["day", function (r) { return r.day; }],
      ["language", function (r) { return LANG[r.lang] || r.lang; }]].concat(COLUMNS)));
    var days = perDay(data);
    var labels = Object.keys(days).sort();
    var series = function (f) { return labels.map(function (d) { return f(days[d]); }); };
    var max = function (xs) { return xs.length ? Math.max.apply(null, xs) : null; };
    chart("chart-conversations", { type: "bar", data: { labels: labels, datasets: [
      { label: "answered by kefu", data: series(function (d) { return d.answered; }), backgroundColor: "#2e7d32" },
      { label: "handed off", data: series(function (d) { return d.handed_off; }), backgroundColor: "#a93226" },
      { label: "other", data: series(function (d) { return d.conversations - d.answered - d.handed_off; }), backgroundColor: "#bbb" }
    ] }, options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } } });
    chart("chart-replies", { type: "line", data: { labels: labels, datasets: [
      // per day, the slowest language's figure (the table has each language's)
      { label: "median (ms)", data: series(function (d) { return max(d.p50); }), borderColor: "#1a73e8" },
      { label: "p95 (ms)", data: series(function (d) { return max(d.p95); }), borderColor: "#a93226" }
    ] }, options: { scales: { y: { beginAtZero: true } } } });
    chart("chart-ratings", { type: "bar", data: { labels: labels, datasets: [
      { label: "👍", data: series(function (d) { return d.up; }), backgroundColor: "#2e7d32" },
      { label: "👎", data: series(function (d) { return d.down; }), backgroundColor: "#a93226" }
    ] }, options: { scales: { y: { beginAtZero: true } } } });
  }

  function loadOverview() {
    var status = document.getElementById("overview-status");
    status.textContent = "loading…";
    document.getElementById("overview-csv").setAttribute("href", "/console/api/overview.csv?" + query());
    return api("overview?" + query()).then(function (data) {
      renderOverview(data);
      status.textContent = data.first + " to " + data.last + (data.complete ? "" : " · still reading older conversations: reload for the rest");
    }).catch(function (err) { status.textContent = "could not load: " + err.message; });
  }
  form.addEventListener("submit", function (event) { event.preventDefault(); loadOverview(); });

  // ---- Knowledge gaps, each with a drafted FAQ entry
  var gapsForm = document.getElementById("gaps-form");
  var FIELDS = [["question_zh", "Question (中文)"], ["answer_zh", "Answer (中文)"],
                ["question_en", "Question (English)"], ["answer_en", "Answer (English)"]];

  function draftForm(group, saved) {
    var f = el("form", { class: "draft", "aria-label": "FAQ entry drafted from group " + group.rank });
    var inputs = {};
    FIELDS.forEach(function (field) {
      var label = el("label", {}, field[1]);
      var box = el("textarea", { rows: field[0].indexOf("answer") === 0 ? "3" : "2", name: field[0] });
      box.value = (saved || group.draft)[field[0]] || "";
      label.appendChild(box);
      inputs[field[0]] = box;
      f.appendChild(label);
    });
    var topic = el("input", { name: "topic", placeholder: "topic (e.g. returns)", "aria-label": "Topic" });
    topic.value = saved ? saved.topic : "";
    var bar = el("div", { class: "wide bar" });
    var save = el("button", { type: "submit", value: "draft" }, "Save draft");
    var approve = el("button", { type: "submit", value: "approve" }, "Approve for export");
    var done = el("span", { role: "status" }, saved ? (saved.approved ? "approved: in the FAQ export" : "saved as draft " + saved.id) : "drafted from this group: review it");
    if (saved && saved.approved) done.className = "approved";
    [topic, save, approve, done].forEach(function (n) { bar.appendChild(n); });
    f.appendChild(bar);
    var id = saved ? saved.id : null;
    f.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { topic: topic.value, approved: event.submitter === approve, asked_by: group.conversations };
      FIELDS.forEach(function (field) { body[field[0]] = inputs[field[0]].value; });
      api("faq-drafts" + (id ? "/" + id : ""), body).then(function (d) {
        id = d.id;
        done.className = d.approved ? "approved" : "";
        done.textContent = d.approved ? "approved: in the FAQ export (draft " + d.id + ")" : "saved as draft " + d.id;
      }).catch(function (err) { done.className = ""; done.textContent = "not saved: " + err.message; });
    });
    return f;
  }

  function renderGaps(data, drafts) {
    var list = document.getElementById("gap-list");
    list.textContent = "";
    var byAsker = {};
    drafts.forEach(function (d) { d.asked_by.split(" ").forEach(function (s) { if (s) byAsker[s] = d; }); });
    data.gaps.forEach(function (g) {
      var li = el("li", { class: "gap" });
      var why = Object.keys(g.why).map(function (k) { return g.why[k] + " " + k.replace("_", " "); }).join(", ");
      li.appendChild(el("h3", {}, g.shoppers + " shopper" + (g.shoppers === 1 ? "" : "s") + " asked · " + why));
      var ex = el("ul");
      g.examples.forEach(function (q) { ex.appendChild(el("li", {}, q)); });
      li.appendChild(ex);
      if (g.agent_replies.length) {
        var replies = el("details");
        replies.appendChild(el("summary", {}, "What agents replied (" + g.agent_replies.length + ")"));
        g.agent_replies.forEach(function (r) { replies.appendChild(el("p", {}, r)); });
        li.appendChild(replies);
      }
      var convs = el("p", { class: "meta" }, "Conversations: ");
      g.conversations.slice(0, 10).forEach(function (s) {
        var b = el("button", { type: "button", class: "link" }, s);
        b.addEventListener("click", function () { location.hash = "#conversations"; window.kefuConsole.open(s); });
        convs.appendChild(b);
      });
      li.appendChild(convs);
      var saved = g.conversations.map(function (s) { return byAsker[s]; }).filter(Boolean)[0];
      li.appendChild(draftForm(g, saved));
      list.appendChild(li);
    });
    if (!data.gaps.length) list.appendChild(el("li", {}, "No gaps: kefu declined nothing, got no 👎 and handed nobody off in this period."));
  }

  function loadGaps() {
    var status = document.getElementById("gaps-status");
    status.textContent = "grouping the questions…";
    var days = gapsForm.days.value;
    return Promise.all([api("gaps?days=" + days), api("faq-drafts")]).then(function (found) {
      renderGaps(found[0], found[1].drafts);
      status.textContent = found[0].questions + " questions in " + found[0].groups + " groups (" + found[0].seconds + " s)";
    }).catch(function (err) { status.textContent = "could not load: " + err.message; });
  }
  gapsForm.addEventListener("submit", function (event) { event.preventDefault(); loadGaps(); });

  // ---- Knowledge-base checks
  document.getElementById("run-checks").addEventListener("click", function () {
    var status = document.getElementById("checks-status");
    var list = document.getElementById("problems");
    status.textContent = "checking…";
    api("kb-check").then(function (r) {
      list.textContent = "";
      status.textContent = r.sentences + " sentences read: " + (r.clean ? "no problem found" :
        r.counts.contradiction + " contradictions, " + r.counts.duplicate + " near-duplicates, " + r.counts.one_language + " one-language facts");
      r.problems.forEach(function (p) {
        var li = el("li", { class: "problem " + p.kind });
        li.appendChild(el("strong", {}, p.kind.replace("_", " ") + ": "));
        li.appendChild(document.createTextNode(p.detail));
        var places = el("ul");
        p.places.forEach(function (pl) { places.appendChild(el("li", {}, pl.doc + " · " + pl.section + ": " + pl.text)); });
        li.appendChild(places);
        list.appendChild(li);
      });
    }).catch(function (err) { status.textContent = "could not check: " + err.message; });
  });

  show();
})();
