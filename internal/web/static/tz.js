// Tells the server the browser's time zone, so pages with service hours
// show them in the reader's own time. The cookie holds only the IANA zone
// name; the pages work without it (they then say which zone they use).
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone || !/^[A-Za-z0-9_+\/-]{1,64}$/.test(zone)) {
    return;
  }
  var had = document.cookie.split("; ").some(function (c) { return c === "tz=" + zone; });
  if (!had) {
    document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax" + (location.protocol === "https:" ? "; secure" : "");
  }
  document.addEventListener("DOMContentLoaded", function () {
    var fields = document.querySelectorAll("input.tz-field");
    var note = document.getElementById("zone-note");
    // A page drawn in another zone before the cookie existed is drawn
    // again once, now in the reader's; a zone chosen on the page wins.
    if (!had && note && note.getAttribute("data-source") === "platform" && note.getAttribute("data-zone") !== zone) {
      location.reload();
      return;
    }
    if (note && note.getAttribute("data-source") === "chosen") {
      return;
    }
    for (var i = 0; i < fields.length; i++) {
      fields[i].value = zone;
    }
  });
})();
