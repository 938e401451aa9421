// Kiosk of a door terminal: dial a house or the guard room, then show the call.
"use strict";
(function () {
  var root = document.getElementById("terminal");
  var text = JSON.parse(document.getElementById("intercom-text").textContent);
  var number = document.getElementById("house-number");
  var status = document.getElementById("call-status");
  var hangUp = document.getElementById("hang-up");
  window.intercom = {session: null, callId: null};

  document.querySelectorAll(".keypad [data-digit]").forEach(function (button) {
    button.addEventListener("click", function () {
      number.value = button.dataset.digit === "clear" ? "" : number.value + button.dataset.digit;
    });
  });

  async function dial(fields) {
    fields.key = root.dataset.key;
    var response = await IntercomRTC.post(root.dataset.callUrl, fields);
    if (!response.ok) { status.textContent = text.notFound; return; }
    var call = (await response.json()).call;
    status.textContent = text.ringing;
    hangUp.hidden = false;
    window.intercom.callId = call;
    window.intercom.session = IntercomRTC.start({
      callId: call, key: root.dataset.key, initiator: true,
      localVideo: document.getElementById("local-video"), remoteVideo: document.getElementById("remote-video"),
      onState: function (state) { if (state === "connected") status.textContent = text.connected; },
      onBye: function () { status.textContent = text.ended; hangUp.hidden = true; },
    });
  }

  document.getElementById("dial").addEventListener("submit", function (event) {
    event.preventDefault();
    dial({house_number: number.value});
  });
  document.getElementById("call-guard").addEventListener("click", function () { dial({guard_room: "1"}); });
  hangUp.addEventListener("click", function () {
    var callId = window.intercom.callId;
    if (window.intercom.session) window.intercom.session.close(true);
    IntercomRTC.post(root.dataset.callUrl + callId + "/end/", {key: root.dataset.key});
    status.textContent = text.ended;
    hangUp.hidden = true;
  });
})();
