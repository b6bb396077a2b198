/* kefu chat widget: embed with <script src=".../widget.js"></script>.
 * Talks to Rasa's REST channel; every text is inserted as text, never as HTML. */
(function () {
  "use strict";
  var config = window.KEFU_CONFIG || {};
  var rasaUrl = (config.rasaUrl || "").replace(/\/$/, "");
  var lang = (navigator.language || "en").toLowerCase().indexOf("zh") === 0 ? "zh" : "en";
  var T = {
    zh: { title: "在线客服", placeholder: "请输入您的问题…", send: "发送", open: "客服", error: "暂时无法连接客服，请稍后再试。" },
    en: { title: "Customer service", placeholder: "Type your question…", send: "Send", open: "Chat", error: "Can't reach the assistant right now. Please try again." }
  }[lang];

  // The sender id is "<shopper id>:<session>" for a signed-in shopper (the store page passes
  // KEFU_CONFIG.shopper; the demo page also takes ?shopper=u1001), "web-<random>" for a guest.
  var shopper = config.shopper || new URLSearchParams(location.search).get("shopper") || "";
  shopper = shopper.replace(/[^A-Za-z0-9_-]/g, "").slice(0, 64);
  var senderKey = "kefu.sender." + (shopper || "guest");
  var sender = localStorage.getItem(senderKey);
  if (!sender) {
    var session = Math.random().toString(36).slice(2) + Date.now().toString(36);
    sender = shopper ? shopper + ":" + session : "web-" + session;
    localStorage.setItem(senderKey, sender);
  }

  var style = document.createElement("style");
  style.textContent =
    "#kefu-root{position:fixed;right:1rem;bottom:1rem;font-family:system-ui,sans-serif;z-index:9999}" +
    "#kefu-panel{display:none;width:min(22rem,calc(100vw - 2rem));height:30rem;background:#fff;border:1px solid #ccc;border-radius:.5rem;flex-direction:column;box-shadow:0 4px 16px rgba(0,0,0,.2)}" +
    "#kefu-panel.open{display:flex}#kefu-head{background:#c0392b;color:#fff;padding:.6rem;border-radius:.5rem .5rem 0 0}" +
    "#kefu-log{flex:1;overflow-y:auto;padding:.6rem}.kefu-msg{margin:.3rem 0;padding:.4rem .6rem;border-radius:.4rem;white-space:pre-wrap;max-width:85%}" +
    ".kefu-user{background:#fdecea;margin-left:auto}.kefu-bot{background:#f1f1f1}#kefu-form{display:flex;border-top:1px solid #ddd}" +
    ".kefu-buttons button{margin:.2rem;padding:.3rem .6rem;border:1px solid #c0392b;background:#fff;color:#c0392b;border-radius:1rem;cursor:pointer}" +
    "#kefu-input{flex:1;border:0;padding:.6rem;font-size:1rem}#kefu-toggle{background:#c0392b;color:#fff;border:0;border-radius:2rem;padding:.7rem 1.2rem;font-size:1rem;float:right;margin-top:.5rem}";
  document.head.appendChild(style);

  var root = document.createElement("div");
  root.id = "kefu-root";
  root.innerHTML =
    '<div id="kefu-panel" role="dialog" aria-label=""><div id="kefu-head"></div>' +
    '<div id="kefu-log" aria-live="polite"></div>' +
    '<form id="kefu-form"><input id="kefu-input" autocomplete="off" maxlength="2000"><button type="submit"></button></form></div>' +
    '<button id="kefu-toggle" type="button"></button>';
  document.body.appendChild(root);
  var panel = root.querySelector("#kefu-panel");
  var log = root.querySelector("#kefu-log");
  var input = root.querySelector("#kefu-input");
  panel.setAttribute("aria-label", T.title);
  root.querySelector("#kefu-head").textContent = T.title;
  input.placeholder = T.placeholder;
  input.setAttribute("aria-label", T.placeholder);
  root.querySelector("#kefu-form button").textContent = T.send;
  root.querySelector("#kefu-toggle").textContent = T.open;
  root.querySelector("#kefu-toggle").addEventListener("click", function () {
    panel.classList.toggle("open");
    if (panel.classList.contains("open")) input.focus();
  });

  function add(text, who) {
    var div = document.createElement("div");
    div.className = "kefu-msg kefu-" + who;
    div.textContent = text;
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
  }

  // Quick replies: a button shows its title and sends its payload ("/track_order").
  function addButtons(buttons) {
    var row = document.createElement("div");
    row.className = "kefu-buttons";
    buttons.forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = b.title;
      button.addEventListener("click", function () {
        row.remove();
        send(String(b.payload), b.title);
      });
      row.appendChild(button);
    });
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  function send(message, shown) {
    add(shown, "user");
    fetch(rasaUrl + "/webhooks/rest/webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sender, message: message })
    })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (replies) {
        replies.forEach(function (m) {
          if (m.text) add(m.text, "bot");
          if (m.buttons && m.buttons.length) addButtons(m.buttons);
        });
      })
      .catch(function () { add(T.error, "bot"); });
  }

  root.querySelector("#kefu-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text, text);
  });
})();
