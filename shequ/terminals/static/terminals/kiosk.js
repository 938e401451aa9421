// The kiosk's clock, and the SOS answer shown even when the server refuses (htmx skips 4xx swaps).
(function () {
  "use strict";
  var lang = document.documentElement.lang || "zh-hans";
  function tick() {
    var now = new Date();
    var time = document.getElementById("k-time");
    var date = document.getElementById("k-date");
    if (time) time.textContent = now.toLocaleTimeString(lang, {hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false});
    if (date) date.textContent = now.toLocaleDateString(lang, {year: "numeric", month: "long", day: "numeric", weekday: "long"});
  }
  tick();
  setInterval(tick, 1000);
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
