// OKPay live chat: the customer's and the agent's panel, and the agents'
// queue of waiting chats. Our own code, no libraries; loaded only on the
// chat pages (the Content-Security-Policy allows no inline script).
//
// The page draws the messages it had; this script opens the WebSocket
// with the last seq the page holds and appends what comes after. When the
// socket drops it reconnects with the last seq it has, so nothing sent
// meanwhile is missed, and resends what it had not seen acknowledged
// (the server stores a resend once, by its client id).
(function () {
  "use strict";

  function socketURL(path) {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  }

  function backoff(n) {
    return Math.min(5000, 250 * Math.pow(2, n));
  }

  function newID() {
    var a = new Uint8Array(12);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function chatPanel(root) {
    var log = document.getElementById("chat-log");
    var status = document.getElementById("chat-status");
    var typing = document.getElementById("chat-typing");
    var form = document.getElementById("chat-compose");
    var input = document.getElementById("chat-input");
    var sendError = document.getElementById("chat-send-error");
    var last = parseInt(root.getAttribute("data-after"), 10) || 0;
    var open = root.getAttribute("data-open") === "true";
    var label = status.textContent;
    var pending = []; // {cid, text, node}: sent, not yet seen stored
    var ws = null, tries = 0, typingTimer = null, lastTyping = 0;
    var leaving = false; // a form of the panel (end, transcript) is being sent

    function scroll() { log.scrollTop = log.scrollHeight; }

    function line(f) {
      var li = el("li", "chat-msg chat-" + f.kind + (f.mine ? " mine" : ""));
      li.setAttribute("data-seq", f.seq);
      li.appendChild(el("span", "chat-who", f.who));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "chat-at", f.at));
      li.appendChild(el("p", "chat-text", f.text));
      if (f.masked) li.appendChild(el("p", "chat-flag", root.getAttribute("data-masked")));
      return li;
    }

    function send(p) {
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ t: "send", text: p.text, cid: p.cid }));
    }

    function settle(cid) {
      pending = pending.filter(function (p) {
        if (p.cid !== cid) return true;
        if (p.node && p.node.parentNode) p.node.parentNode.removeChild(p.node);
        return false;
      });
    }

    function handle(f) {
      switch (f.t) {
        case "msg":
          if (f.seq <= last) return; // already shown
          last = f.seq;
          root.setAttribute("data-after", String(last));
          if (f.mine && f.cid) settle(f.cid);
          var pend = log.querySelector(".chat-msg.pending");
          log.insertBefore(line(f), pend);
          if (f.kind !== "system" && !f.mine) showTyping(false);
          scroll();
          break;
        case "state":
          label = f.label;
          status.textContent = f.label;
          root.setAttribute("data-status", f.status);
          showTyping(f.typing);
          if (open && !f.open && !leaving) {
            // The chat ended or went to the ticket queue: the page shows
            // what to do next.
            location.reload();
          }
          break;
        case "error":
          var p = pending.filter(function (x) { return x.cid === f.cid; })[0];
          settle(f.cid);
          if (p && input && !input.value) input.value = p.text;
          if (sendError) {
            sendError.textContent = f.text;
            sendError.hidden = false;
          }
          break;
      }
    }

    function showTyping(on) {
      typing.hidden = !on;
      clearTimeout(typingTimer);
      if (on) typingTimer = setTimeout(function () { typing.hidden = true; }, 6000);
    }

    function connect() {
      ws = new WebSocket(socketURL(root.getAttribute("data-socket") + "&after=" + last));
      ws.onopen = function () {
        tries = 0;
        root.setAttribute("data-connected", "true");
        status.textContent = label;
        pending.forEach(send);
      };
      ws.onmessage = function (e) {
        var f;
        try { f = JSON.parse(e.data); } catch (err) { return; }
        handle(f);
      };
      ws.onclose = function (e) {
        if (e.code === 4001) {
          location.reload(); // signed out: the page asks to sign in
          return;
        }
        ws = null;
        root.setAttribute("data-connected", "false");
        status.textContent = root.getAttribute("data-reconnecting");
        setTimeout(connect, backoff(tries++));
      };
    }

    if (form && input) {
      form.hidden = false;
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var text = input.value.trim();
        if (!text) return;
        if (sendError) sendError.hidden = true;
        var p = { cid: newID(), text: text };
        p.node = el("li", "chat-msg mine pending");
        p.node.appendChild(el("p", "chat-text", text));
        p.node.appendChild(el("p", "chat-flag", root.getAttribute("data-sending")));
        log.appendChild(p.node);
        scroll();
        pending.push(p);
        send(p);
        input.value = "";
        lastTyping = 0; // the message ended "typing": the next keystroke says so again
        input.focus();
      });
      input.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          form.requestSubmit();
        }
      });
      input.addEventListener("input", function () {
        var now = Date.now();
        if (now - lastTyping > 2000 && ws && ws.readyState === WebSocket.OPEN) {
          lastTyping = now;
          ws.send(JSON.stringify({ t: "typing" }));
        }
      });
    }
    Array.prototype.forEach.call(root.querySelectorAll(".chat-actions form"), function (f) {
      f.addEventListener("submit", function () { leaving = true; });
    });
    scroll();
    connect();
  }

  function queuePanel(box) {
    var rows = document.getElementById("chat-queue-rows");
    var empty = document.getElementById("chat-queue-empty");
    var token = document.querySelector("input[name=csrf_token]");
    var title = document.title;
    var tries = 0;

    function draw(chats) {
      while (rows.firstChild) rows.removeChild(rows.firstChild);
      chats.forEach(function (c) {
        var tr = el("tr");
        tr.setAttribute("data-chat", c.id);
        tr.appendChild(el("td", "", "#" + c.number));
        tr.appendChild(el("td", "", c.customer));
        tr.appendChild(el("td", "", c.subject));
        tr.appendChild(el("td", "nowrap", c.since));
        var td = el("td");
        var f = el("form");
        f.method = "post";
        f.action = "/agent/chats/" + c.id + "/take";
        if (token) f.appendChild(token.cloneNode());
        var b = el("button", "button", box.getAttribute("data-take"));
        b.type = "submit";
        f.appendChild(b);
        td.appendChild(f);
        tr.appendChild(td);
        rows.appendChild(tr);
      });
      empty.hidden = chats.length > 0;
      // The tab's title counts the waiting chats, for an agent on another tab.
      document.title = (chats.length ? "(" + chats.length + ") " : "") + title;
    }

    function connect() {
      var ws = new WebSocket(socketURL(box.getAttribute("data-socket")));
      ws.onopen = function () { tries = 0; box.setAttribute("data-connected", "true"); };
      ws.onmessage = function (e) {
        var f;
        try { f = JSON.parse(e.data); } catch (err) { return; }
        if (f.t === "queue") draw(f.chats || []);
      };
      ws.onclose = function (e) {
        if (e.code === 4001) {
          location.reload();
          return;
        }
        box.setAttribute("data-connected", "false");
        setTimeout(connect, backoff(tries++));
      };
    }
    connect();
  }

  var root = document.getElementById("chat");
  if (root) chatPanel(root);
  var queue = document.getElementById("chat-queue");
  if (queue) queuePanel(queue);
})();
