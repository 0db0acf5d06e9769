// Suggests help articles on the support form while the customer types the
// subject and description. Without JavaScript the form's "search help
// first" box does the same with a page load. The answer is JSON whose
// text is put in the page as text nodes only: nothing is parsed as HTML.
(function () {
  "use strict";
  var box = document.getElementById("help-suggest");
  var subject = document.getElementById("subject");
  var body = document.getElementById("body");
  var list = document.getElementById("help-suggest-list");
  var status = document.getElementById("help-suggest-status");
  if (!box || !subject || !body || !list || !status || !window.fetch) {
    return;
  }
  var timer = null;
  var asked = "";
  var seq = 0;

  function pieces(parent, segments) {
    (segments || []).forEach(function (s) {
      var node = document.createTextNode(s.text);
      if (s.mark) {
        var m = document.createElement("mark");
        m.appendChild(node);
        node = m;
      }
      parent.appendChild(node);
    });
  }

  var label = "";

  function show(results) {
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    results.forEach(function (r) {
      if (typeof r.url !== "string" || r.url.indexOf("/help/") !== 0) {
        return;
      }
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = r.url;
      a.target = "_blank";
      a.rel = "noopener";
      pieces(a, r.title);
      li.appendChild(a);
      if (r.fallback && label) {
        var badge = document.createElement("span");
        badge.className = "badge";
        badge.lang = r.lang;
        badge.textContent = label;
        li.appendChild(document.createTextNode(" "));
        li.appendChild(badge);
      }
      li.appendChild(document.createElement("br"));
      var snip = document.createElement("span");
      snip.className = "fine";
      pieces(snip, r.snippet);
      li.appendChild(snip);
      list.appendChild(li);
    });
    status.textContent = results.length ? box.getAttribute("data-found") : box.getAttribute("data-none");
  }

  function ask() {
    var s = subject.value.trim();
    var b = body.value.trim().slice(0, 300);
    var key = s + "\n" + b;
    if (key === asked || (s + b).length < 2) {
      return;
    }
    asked = key;
    var mine = ++seq;
    var url = "/help/suggest?subject=" + encodeURIComponent(s) + "&body=" + encodeURIComponent(b);
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (res) { return res.ok ? res.json() : { results: [] }; })
      .then(function (data) {
        if (mine === seq) {
          label = typeof data.label === "string" ? data.label : "";
          show(data.results || []);
        }
      })
      .catch(function () { /* no suggestions; the form still works */ });
  }

  function later() {
    if (timer) {
      clearTimeout(timer);
    }
    timer = setTimeout(ask, 350);
  }

  subject.addEventListener("input", later);
  body.addEventListener("input", later);
  if (subject.value || body.value) {
    ask();
  }
}());
