// Resident's / guard's page: incoming calls (polled by htmx), accept or reject, video, open the door.
"use strict";
(function () {
  var text = JSON.parse(document.getElementById("intercom-text").textContent);
  var active = document.getElementById("active-call");
  var status = document.getElementById("call-status");
  window.intercom = {session: null, unlockUrl: null, opened: false};

  document.getElementById("calls").addEventListener("click", async function (event) {
    var button = event.target.closest("button.accept, button.reject");
    if (!button || window.intercom.session) return;
    var response = await IntercomRTC.post(button.dataset.url);
    if (!response.ok) { status.textContent = text.failed; return; }
    if (button.classList.contains("reject")) return;
    var callId = button.closest("[data-call]").dataset.call;
    window.intercom.unlockUrl = button.dataset.unlockUrl;
    active.hidden = false;
    window.intercom.session = IntercomRTC.start({
      callId: callId, initiator: false,
      localVideo: document.getElementById("local-video"), remoteVideo: document.getElementById("remote-video"),
      onState: function (state) { if (state === "connected") status.textContent = text.connected; },
      onBye: function () { status.textContent = text.ended; window.intercom.session = null; },
    });
  });

  document.getElementById("open-door").addEventListener("click", async function () {
    var response = await IntercomRTC.post(window.intercom.unlockUrl);
    window.intercom.opened = response.ok;
    status.textContent = response.ok ? text.opened : text.failed;
  });
  document.getElementById("hang-up").addEventListener("click", function () {
    if (window.intercom.session) window.intercom.session.close(true);
    window.intercom.session = null;
    active.hidden = true;
  });
})();
