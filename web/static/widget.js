/* kefu chat widget. Embed with one tag: <script src="https://kefu.example/widget.js" defer></script>
 * Optional attributes on that tag: data-shopper-token="<JWT>" (a signed-in shopper: the token
 * the store's backend signed for them with KEFU_IDENTITY_SECRET; see README "Shopper identity"),
 * data-lang="en". Without a valid token the shopper is a guest (asked to log in for orders).
 * Talks to Rasa's socket.io channel (socket.io-client 4, served by the same server from npm);
 * reloads the conversation from the server after a page reload or a reconnect, so nothing is
 * lost or shown twice. Every text is inserted as text (textContent), never as HTML. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector('script[src$="widget.js"]');
  var origin = new URL(script.src, location.href).origin;
  var config = /*KEFU_CONFIG*/{};
  var rasaUrl = (config.rasaUrl || origin).replace(/\/$/, "");
  // Interface language: the tag's data-lang, else the shopper's browser, else the page's.
  var pageLang = (script.dataset.lang || navigator.language || document.documentElement.lang || "en").toLowerCase();
  var lang = pageLang.indexOf("zh") === 0 ? "zh" : "en";
  var T = {
    zh: { title: "在线客服", placeholder: "请输入您的问题…", send: "发送", open: "联系客服", close: "关闭",
          error: "消息暂时发不出去，正在重新连接…", offline: "连接已断开，正在重连…", typing: "客服正在输入…",
          up: "有帮助", down: "没有帮助", thanks: "感谢反馈", agent: "人工客服", source: "来源",
          view: "查看商品", stock: "有货", noStock: "缺货" },
    en: { title: "Customer service", placeholder: "Type your question…", send: "Send", open: "Chat with us", close: "Close",
          error: "Your message couldn't be sent yet; reconnecting…", offline: "Connection lost, reconnecting…", typing: "kefu is typing…",
          up: "Helpful", down: "Not helpful", thanks: "Thanks for the feedback", agent: "Agent", source: "Source",
          view: "View product", stock: "In stock", noStock: "Out of stock" }
  }[lang];

  // Who the shopper is, only the token says, and only the server can check it: it derives the
  // conversation id from the token and confirms it (session_confirm). The token's subject is
  // read here just to keep each shopper's conversation key apart in localStorage: the key is
  // "<shopper id>:<session>" for a signed-in shopper, "web-<random>" for a guest.
  var token = script.dataset.shopperToken || config.shopperToken || "";
  function subjectOf(t) {
    try {
      var part = t.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return String(JSON.parse(atob(part + "===".slice((part.length + 3) % 4))).sub || "");
    } catch (e) { return ""; }
  }
  var shopper = subjectOf(token).replace(/[^A-Za-z0-9_.@-]/g, "").slice(0, 64);
  var senderKey = "kefu.sender." + (shopper || "guest");
  var key = localStorage.getItem(senderKey);  // what this browser calls the conversation
  if (!key) {
    var session = Math.random().toString(36).slice(2) + Date.now().toString(36);
    key = shopper ? shopper + ":" + session : "web-" + session;
    localStorage.setItem(senderKey, key);
  }
  var sender = key;  // the conversation id the server confirmed (session_confirm)

  var css =
    "#kefu-root{position:fixed;right:1rem;bottom:1rem;font:15px/1.4 system-ui,'PingFang SC','Microsoft YaHei',sans-serif;z-index:2147483000;color:#222}" +
    "#kefu-panel{display:none;box-sizing:border-box;width:min(23rem,calc(100vw - 2rem));height:min(34rem,calc(100vh - 5rem));background:#fff;border:1px solid #bbb;border-radius:.6rem;flex-direction:column;box-shadow:0 6px 24px rgba(0,0,0,.25)}" +
    "#kefu-panel.open{display:flex}#kefu-head{display:flex;justify-content:space-between;align-items:center;background:#a93226;color:#fff;padding:.5rem .8rem;border-radius:.6rem .6rem 0 0}" +
    "#kefu-head h2{font-size:1rem;margin:0}#kefu-close{background:none;border:0;color:#fff;font-size:1.3rem;cursor:pointer}" +
    "#kefu-log{flex:1;overflow-y:auto;padding:.6rem;margin:0;list-style:none}.kefu-msg{margin:.35rem 0;padding:.45rem .65rem;border-radius:.5rem;white-space:pre-wrap;overflow-wrap:anywhere;max-width:88%}" +
    ".kefu-user{background:#fde3df;margin-left:auto}.kefu-bot{background:#f1f1f1}.kefu-agent{background:#e3f0fd}.kefu-who{display:block;font-size:.75rem;color:#555}" +
    ".kefu-msg mark{background:#ffe58a;color:inherit}.kefu-source{display:block;margin-top:.3rem;font-size:.8rem;color:#555}" +
    ".kefu-rate{display:flex;gap:.3rem;margin-top:.3rem}.kefu-rate button{border:1px solid #999;background:#fff;border-radius:1rem;padding:0 .5rem;cursor:pointer;font-size:.85rem}" +
    ".kefu-rate button[aria-pressed=true]{background:#a93226;color:#fff;border-color:#a93226}" +
    ".kefu-buttons{display:flex;flex-wrap:wrap}.kefu-buttons button{margin:.2rem;padding:.3rem .7rem;border:1px solid #a93226;background:#fff;color:#a93226;border-radius:1rem;cursor:pointer}" +
    ".kefu-cards{display:flex;gap:.5rem;overflow-x:auto;padding:.2rem 0}.kefu-card{flex:0 0 8.5rem;border:1px solid #ddd;border-radius:.5rem;padding:.4rem;background:#fff;font-size:.85rem}" +
    ".kefu-card .kefu-img{height:4.5rem;background:#eee;border-radius:.3rem;display:flex;align-items:center;justify-content:center;color:#888;font-size:1.6rem}" +
    ".kefu-card a{color:#a93226}.kefu-price{font-weight:600}#kefu-status{font-size:.8rem;color:#555;padding:0 .6rem;min-height:1.2rem}" +
    "#kefu-form{display:flex;border-top:1px solid #ddd}#kefu-input{flex:1;border:0;padding:.7rem;font-size:1rem;min-width:0}" +
    "#kefu-form button{border:0;background:#a93226;color:#fff;padding:0 1rem;border-radius:0 0 .6rem 0;font-size:1rem}" +
    "#kefu-root button:focus-visible,#kefu-input:focus-visible,#kefu-root a:focus-visible{outline:3px solid #1a73e8;outline-offset:1px}" +
    "#kefu-toggle{background:#a93226;color:#fff;border:0;border-radius:2rem;padding:.7rem 1.2rem;font-size:1rem;float:right;margin-top:.5rem;cursor:pointer}" +
    "@media (max-width:480px){#kefu-root{right:0;bottom:0;left:0}#kefu-panel{width:100vw;height:calc(100vh - 3.5rem);border-radius:0}}";
  var style = document.createElement("style");
  style.textContent = css;
  document.head.appendChild(style);

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  var root = el("div", { id: "kefu-root", lang: lang === "zh" ? "zh-CN" : "en" });
  var panel = el("section", { id: "kefu-panel", role: "dialog", "aria-label": T.title });
  var head = el("div", { id: "kefu-head" });
  head.appendChild(el("h2", {}, T.title));
  var closeButton = el("button", { id: "kefu-close", type: "button", "aria-label": T.close }, "×");
  head.appendChild(closeButton);
  var log = el("ol", { id: "kefu-log", role: "log", "aria-live": "polite", "aria-label": T.title });
  var status = el("div", { id: "kefu-status", role: "status" });
  var form = el("form", { id: "kefu-form" });
  var input = el("input", { id: "kefu-input", autocomplete: "off", maxlength: "2000", placeholder: T.placeholder, "aria-label": T.placeholder });
  form.appendChild(input);
  form.appendChild(el("button", { type: "submit" }, T.send));
  [head, log, status, form].forEach(function (n) { panel.appendChild(n); });
  var toggle = el("button", { id: "kefu-toggle", type: "button", "aria-expanded": "false", "aria-controls": "kefu-panel" }, T.open);
  root.appendChild(panel);
  root.appendChild(toggle);
  document.body.appendChild(root);

  function setOpen(open) {
    panel.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", String(open));
    sessionStorage.setItem("kefu.open", open ? "1" : "");
    if (open) input.focus(); else toggle.focus();
  }
  toggle.addEventListener("click", function () { setOpen(!panel.classList.contains("open")); });
  closeButton.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") setOpen(false); });

  // ---- rendering
  var shown = {};          // keys of rendered messages: "b<timestamp>" (bot), "u<cid>" (shopper)
  var pending = [];        // shopper messages sent but not yet in the server's history
  var ratings = {};        // answer timestamp -> "up" | "down"
  var live = [];           // bot messages received lately (kept if a history reload misses them)

  function scroll() { log.scrollTop = log.scrollHeight; }

  function addUser(text, cid) {
    if (cid && shown["u" + cid]) return;
    if (cid) shown["u" + cid] = true;
    log.appendChild(el("li", { class: "kefu-msg kefu-user" }, text));
    scroll();
  }

  // The answer sentence (its span marked when there is one: a reader's, or the chosen sentence
  // inside a short context), then its source (the reply's lines after the sentence).
  function answerNode(m, li) {
    var ev = m.evidence;
    var lines = String(m.text || "").split("\n");
    if (ev && !ev.abstained && ev.sentence) {
      var s = ev.span ? ev.span[0] : 0, e = ev.span ? ev.span[1] : 0;
      if (e > s) {
        li.appendChild(document.createTextNode(ev.sentence.slice(0, s)));
        li.appendChild(el("mark", {}, ev.sentence.slice(s, e)));
        li.appendChild(document.createTextNode(ev.sentence.slice(e)));
      } else {
        li.appendChild(document.createTextNode(ev.sentence));
      }
      var rest = lines.slice(ev.sentence.split("\n").length).join("\n");
      if (rest) li.appendChild(el("span", { class: "kefu-source" }, rest));
      return true;
    }
    li.appendChild(document.createTextNode(m.text || ""));
    return false;
  }

  function rateRow(ts) {
    var row = el("div", { class: "kefu-rate" });
    [["up", "👍", T.up], ["down", "👎", T.down]].forEach(function (r) {
      var b = el("button", { type: "button", "aria-label": r[2], "aria-pressed": String(ratings[ts] === r[0]), "data-rating": r[0] }, r[1]);
      b.addEventListener("click", function () { rate(ts, r[0], row); });
      row.appendChild(b);
    });
    return row;
  }

  function addBot(m) {
    var key = "b" + m.timestamp;
    if (m.timestamp && shown[key]) return;
    if (m.timestamp) shown[key] = true;
    typing(false);
    var li = el("li", { class: "kefu-msg " + (m.agent ? "kefu-agent" : "kefu-bot") });
    if (m.agent) li.appendChild(el("span", { class: "kefu-who" }, T.agent + " " + m.agent));
    if (m.text) answerNode(m, li);
    if (m.products && m.products.length) li.appendChild(cards(m.products));
    if (m.text && !m.agent && m.timestamp) li.appendChild(rateRow(m.timestamp));
    log.appendChild(li);
    if (m.buttons && m.buttons.length) addButtons(m.buttons);
    scroll();
  }

  function cards(products) {
    var row = el("div", { class: "kefu-cards" });
    products.forEach(function (p) {
      var card = el("div", { class: "kefu-card" });
      card.appendChild(el("div", { class: "kefu-img", "aria-hidden": "true" }, "🛍"));
      card.appendChild(el("div", {}, p.name));
      card.appendChild(el("div", { class: "kefu-price" }, "¥" + p.price));
      card.appendChild(el("div", {}, p.in_stock === false ? T.noStock : T.stock));
      var link = el("a", { href: (config.productUrl || "/?product=") + encodeURIComponent(p.id) }, T.view);
      link.setAttribute("aria-label", T.view + ": " + p.name);
      card.appendChild(link);
      row.appendChild(card);
    });
    return row;
  }

  // Quick replies: a button shows its title and sends its payload ("/track_order").
  function addButtons(buttons) {
    var row = el("li", { class: "kefu-buttons" });
    buttons.forEach(function (b) {
      var button = el("button", { type: "button" }, b.title);
      button.addEventListener("click", function () { row.remove(); send(String(b.payload), b.title); });
      row.appendChild(button);
    });
    log.appendChild(row);
  }

  var typingTimer = null;
  function typing(on) {
    status.textContent = on ? T.typing : (socket && socket.connected ? "" : status.textContent);
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(function () { typing(false); }, 30000);
  }

  // ---- talking to the server
  // A signed-in shopper's conversation answers only to their token.
  function auth(headers) {
    if (token) headers.Authorization = "Bearer " + token;
    return headers;
  }

  function rate(ts, rating, row) {
    fetch(origin + "/api/rating", {
      method: "POST", headers: auth({ "Content-Type": "application/json" }),
      body: JSON.stringify({ sender: sender, answer_ts: ts, rating: rating })
    }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      ratings[ts] = rating;
      row.querySelectorAll("button").forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.rating === rating)); });
      status.textContent = T.thanks;
    }).catch(function () { status.textContent = T.error; });
  }

  function loadHistory() {
    return fetch(origin + "/api/history?sender=" + encodeURIComponent(sender), { headers: auth({}) })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (h) {
        ratings = h.ratings || {};
        shown = {};
        log.textContent = "";
        var seen = {};
        h.messages.forEach(function (m) {
          if (m.from === "user") { if (m.cid) seen[m.cid] = true; addUser(m.text, m.cid); }
          else addBot(m);
        });
        pending = pending.filter(function (p) { return !seen[p.cid]; });
        pending.forEach(function (p) { addUser(p.shown, p.cid); });
        live.forEach(addBot);
      })
      .catch(function () { /* keep what is on screen; the next reconnect tries again */ });
  }

  function send(message, shownText) {
    var cid = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    pending.push({ cid: cid, shown: shownText });
    addUser(shownText, cid);
    typing(true);
    // socket.io buffers messages while disconnected and sends them once reconnected.
    socket.emit("user_uttered", { message: message, session_id: key, token: token, metadata: { cid: cid, shown: shownText } });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text, text);
  });

  var socket = null;
  function connect() {
    socket = window.io(rasaUrl, { path: "/socket.io", transports: ["websocket", "polling"], reconnectionDelayMax: 5000 });
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: key, token: token });
      status.textContent = "";
    });
    // The server's word on whose conversation this is (a guest's if the token is not valid).
    socket.on("session_confirm", function (id) {
      if (typeof id === "string" && id) sender = id;
      loadHistory();
    });
    socket.on("disconnect", function () { status.textContent = T.offline; });
    socket.on("bot_uttered", function (m) {
      live = live.concat([m || {}]).slice(-20);
      addBot(m || {});
    });
  }

  if (sessionStorage.getItem("kefu.open")) setOpen(true);
  var loader = document.createElement("script");
  loader.src = origin + "/vendor/socket.io.min.js";
  loader.onload = connect;
  loader.onerror = function () { status.textContent = T.error; };
  document.head.appendChild(loader);
  // For the page (and tests): the conversation id, a way to simulate a network drop, and
  // setToken: a store whose page outlives the token hands the widget a fresh one.
  window.kefu = {
    get sender() { return sender; },
    drop: function () { socket.io.engine.close(); },
    setToken: function (fresh) {
      token = String(fresh || "");
      if (socket && socket.connected) socket.emit("session_request", { session_id: key, token: token });
    }
  };
})();
