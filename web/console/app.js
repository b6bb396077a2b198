/* kefu agent console: conversation list with filters, transcript with evidence, takeover,
 * corrections. Every text from shoppers, kefu or the store's documents is set with
 * textContent, never parsed as HTML. */
(function () {
  "use strict";
  var listEl = document.getElementById("conversations");
  var pane = document.getElementById("transcript-pane");
  var filters = document.getElementById("filters");
  var intents = [];
  var current = null;
  var refresh = null;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function api(path, body) {
    var options = body === undefined ? {} : {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    };
    return fetch("/console/api/" + path, options).then(function (r) {
      if (r.status === 401) { location.href = "/console/login"; throw new Error("logged out"); }
      return r.json().then(function (data) {
        if (!r.ok) throw new Error(data.error || r.status);
        return data;
      });
    });
  }

  function when(ts) { return new Date(ts * 1000).toLocaleString(); }

  function loadList() {
    var params = new URLSearchParams(new FormData(filters));
    Array.from(params.keys()).forEach(function (k) { if (!params.get(k)) params.delete(k); });
    return api("conversations?" + params.toString()).then(function (data) {
      listEl.textContent = "";
      document.getElementById("count").textContent = data.conversations.length + " conversation(s)";
      data.conversations.forEach(function (c) {
        var li = el("li");
        var b = el("button", { type: "button", "data-sender": c.sender, "aria-current": String(c.sender === current) });
        b.appendChild(el("strong", {}, c.sender));
        b.appendChild(identityTag(c));
        b.appendChild(el("div", { class: "meta" }, when(c.last) + " · " + c.messages + " messages · " + (c.language || "?")));
        b.appendChild(el("div", {}, c.preview));
        var tags = el("div");
        [["handoff", "handoff"], ["paused", "agent has it"], ["abstained", "abstained"],
         ["low_confidence", "low confidence"], ["thumbs_down", "👎"]].forEach(function (t) {
          if (c[t[0]]) tags.appendChild(el("span", { class: "tag warn" }, t[1]));
        });
        b.appendChild(tags);
        b.addEventListener("click", function () { open(c.sender); });
        li.appendChild(b);
        listEl.appendChild(li);
      });
    });
  }

  // Whether the store's signed token vouched for the shopper (else a guest, and why).
  function identityText(who) {
    if (who.verified) return "✓ verified shopper " + who.shopper;
    return "guest" + (who.reason && who.reason !== "no token" && who.reason !== "guest" ? " (" + who.reason + ")" : "");
  }
  function identityTag(who) {
    return el("span", { class: "tag identity" + (who.verified ? " verified" : ""), "data-verified": String(!!who.verified) },
      identityText({ verified: who.verified, shopper: who.shopper, reason: who.identity || who.reason }));
  }

  function evidenceNode(ev) {
    var box = el("details");
    box.appendChild(el("summary", {}, "Evidence: score " + ev.score + (ev.abstained ? " (abstained)" : "")));
    if (ev.sentence) {
      var p = el("p");
      var s = ev.span[0], e = ev.span[1];
      if (e <= s) { s = 0; e = ev.sentence.length; }  // no span: the chosen sentence is the answer
      p.appendChild(document.createTextNode(ev.sentence.slice(0, s)));
      p.appendChild(el("mark", {}, ev.sentence.slice(s, e)));
      p.appendChild(document.createTextNode(ev.sentence.slice(e)));
      box.appendChild(p);
    }
    if (ev.source) {
      box.appendChild(el("p", { class: "meta" }, "Source: " + ev.source.title + " › " + ev.source.section +
        (ev.source.effective ? " (effective " + ev.source.effective + ")" : "") + " · " + ev.source.doc));
    }
    var table = el("table");
    var head = el("tr");
    ["passage", "score", "text"].forEach(function (h) { head.appendChild(el("th", {}, h)); });
    table.appendChild(head);
    (ev.passages || []).forEach(function (psg) {
      var tr = el("tr", psg.id === ev.passage_id ? { class: "chosen" } : {});
      tr.appendChild(el("td", {}, psg.id + (psg.id === ev.passage_id ? " ✓" : "")));
      tr.appendChild(el("td", {}, psg.score));
      tr.appendChild(el("td", {}, psg.text));
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  }

  // A correction form under a shopper message: the right intent, or the right answer.
  function correctionForm(turn, answer, lang) {
    var form = el("form", { class: "correct", "aria-label": "Correct this turn" });
    var select = el("select", { "aria-label": "Right intent" });
    select.appendChild(el("option", { value: "" }, "right intent…"));
    intents.forEach(function (i) { select.appendChild(el("option", { value: i }, i)); });
    var text = el("textarea", { rows: "2", placeholder: "or the right answer (becomes an FAQ entry)", "aria-label": "Right answer" });
    var button = el("button", { type: "submit" }, "Mark wrong & save correction");
    var done = el("span", { role: "status" });
    [select, text, button, done].forEach(function (n) { form.appendChild(n); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var byIntent = select.value !== "";
      api("corrections", {
        sender: current, message_ts: turn.timestamp, kind: byIntent ? "intent" : "answer",
        text: turn.text, wrong: byIntent ? turn.intent : (answer || ""), lang: lang,
        right: byIntent ? select.value : text.value
      }).then(function (c) { done.textContent = "saved as correction " + c.id; })
        .catch(function (err) { done.textContent = "not saved: " + err.message; });
    });
    return form;
  }

  function render(data) {
    pane.textContent = "";
    pane.appendChild(el("h2", {}, data.sender));
    pane.appendChild(el("p", { class: "meta identity", "data-verified": String(!!data.identity.verified) },
      identityText(data.identity)));
    var lang = /[\u4e00-\u9fff]/.test(data.turns.map(function (t) { return t.text; }).join("")) ? "zh" : "en";
    data.turns.forEach(function (t, i) {
      var div = el("div", { class: "turn " + (t.kind === "user" || t.kind === "bot" || t.kind === "agent" ? t.kind : "event") });
      div.appendChild(el("div", { class: "meta" }, when(t.timestamp) + " · " + t.kind +
        (t.kind === "user" ? " · intent " + (t.intent || "?") + " (" + (t.confidence === null ? "?" : t.confidence.toFixed(2)) + ")" : "") +
        (t.kind === "agent" ? " · " + t.message.agent : "")));
      if (t.kind === "rating") div.appendChild(el("div", {}, "shopper rated the answer " + (t.text === "down" ? "👎" : "👍")));
      else if (t.kind === "takeover") div.appendChild(el("div", {}, "an agent took over (kefu paused)"));
      else if (t.kind === "handback") div.appendChild(el("div", {}, "handed back to kefu"));
      else if (t.kind === "handoff") div.appendChild(el("div", {}, "handoff requested"));
      else div.appendChild(el("div", {}, t.text));
      if (t.entities && t.entities.length) {
        div.appendChild(el("div", { class: "meta" }, "entities: " + t.entities.map(function (e) { return e.entity + "=" + e.value; }).join(", ")));
      }
      if (t.message && t.message.evidence) div.appendChild(evidenceNode(t.message.evidence));
      if (t.kind === "user") {
        var next = data.turns.slice(i + 1).filter(function (x) { return x.kind === "bot"; })[0];
        div.appendChild(correctionForm(t, next ? next.text : "", lang));
      }
      pane.appendChild(div);
    });
    var controls = el("div", { id: "controls" });
    controls.appendChild(el("span", { role: "status" }, data.paused ? "You (or an agent) have this conversation; kefu is paused." : "kefu is answering."));
    if (!data.paused) {
      var take = el("button", { type: "button" }, "Take over");
      take.addEventListener("click", function () { api("conversations/" + encodeURIComponent(current) + "/takeover", {}).then(reload); });
      controls.appendChild(take);
    } else {
      var reply = el("textarea", { rows: "2", "aria-label": "Reply to the shopper", placeholder: "Reply to the shopper…" });
      var sendB = el("button", { type: "button" }, "Send");
      sendB.addEventListener("click", function () {
        if (!reply.value.trim()) return;
        api("conversations/" + encodeURIComponent(current) + "/reply", { text: reply.value }).then(reload);
      });
      var back = el("button", { type: "button" }, "Hand back to kefu");
      back.addEventListener("click", function () { api("conversations/" + encodeURIComponent(current) + "/handback", {}).then(reload); });
      [reply, sendB, back].forEach(function (n) { controls.appendChild(n); });
    }
    pane.appendChild(controls);
  }

  function reload() {
    if (!current) return Promise.resolve();
    return api("conversations/" + encodeURIComponent(current)).then(render);
  }

  function open(sender) {
    current = sender;
    Array.from(listEl.querySelectorAll("button")).forEach(function (b) {
      b.setAttribute("aria-current", String(b.dataset.sender === sender));
    });
    reload();
    clearInterval(refresh);
    // A live conversation: new shopper messages appear while the agent watches or replies.
    refresh = setInterval(function () {
      var typing = pane.querySelector("textarea:focus, select:focus");
      if (!typing) reload();
    }, 3000);
  }

  // What the insight pages (insights.js) share: the helpers, and opening a conversation
  // (from a knowledge gap).
  window.kefuConsole = { el: el, api: api, open: open };
  filters.addEventListener("submit", function (event) { event.preventDefault(); loadList(); });
  api("me").then(function (me) {
    intents = me.intents;
    document.getElementById("me").textContent = "agent: " + me.agent;
    loadList();
  });
})();
