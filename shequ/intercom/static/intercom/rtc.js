// Shared WebRTC plumbing of the intercom pages: one peer connection per call, LAN only
// (no STUN/TURN: host candidates), signalling over the call's WebSocket.
"use strict";
window.IntercomRTC = (function () {
  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, fields) {
    var body = new URLSearchParams(fields || {});
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                       headers: {"X-CSRFToken": csrfToken()}});
  }

  function socketUrl(callId, key) {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + location.host + "/ws/intercom/call/" + callId + "/" + (key ? "?key=" + encodeURIComponent(key) : "");
  }

  // Start a call's media side. ``initiator`` makes the offer once the other side says hello.
  function start(options) {
    var pc = new RTCPeerConnection({iceServers: []});
    var ws = new WebSocket(socketUrl(options.callId, options.key));
    var queue = Promise.resolve();  // signals are applied in order: ice only after the description
    var session = {pc: pc, ws: ws, remoteVideo: false};

    function send(message) {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
    }
    pc.onicecandidate = function (event) {
      if (event.candidate) send({type: "ice", candidate: event.candidate.toJSON()});
    };
    pc.ontrack = function (event) {
      if (event.track.kind === "video") session.remoteVideo = true;
      options.remoteVideo.srcObject = event.streams[0] || new MediaStream([event.track]);
    };
    pc.onconnectionstatechange = function () {
      if (options.onState) options.onState(pc.connectionState);
    };

    async function makeOffer() {
      var offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      send({type: "offer", sdp: pc.localDescription.sdp});
    }

    async function handle(message) {
      if (message.type === "hello" && options.initiator) {
        await makeOffer();
      } else if (message.type === "offer") {
        await pc.setRemoteDescription({type: "offer", sdp: message.sdp});
        var answer = await pc.createAnswer();
        await pc.setLocalDescription(answer);
        send({type: "answer", sdp: pc.localDescription.sdp});
      } else if (message.type === "answer") {
        await pc.setRemoteDescription({type: "answer", sdp: message.sdp});
      } else if (message.type === "ice" && message.candidate) {
        await pc.addIceCandidate(message.candidate);
      } else if (message.type === "bye") {
        session.close(false);
        if (options.onBye) options.onBye();
      }
    }

    var media = navigator.mediaDevices.getUserMedia({video: true, audio: true}).then(function (stream) {
      session.stream = stream;
      options.localVideo.srcObject = stream;
      stream.getTracks().forEach(function (track) { pc.addTrack(track, stream); });
    });
    ws.onmessage = function (event) {
      var message = JSON.parse(event.data);
      queue = queue.then(function () { return media; }).then(function () { return handle(message); })
        .catch(function (error) { console.error("intercom signal", error); });
    };
    ws.onopen = function () {
      // the callee announces itself; the terminal (initiator) answers a hello with its offer
      media.then(function () { if (!options.initiator) send({type: "hello"}); });
    };
    session.close = function (sayBye) {
      if (sayBye) send({type: "bye"});
      if (session.stream) session.stream.getTracks().forEach(function (track) { track.stop(); });
      pc.close();
      ws.close();
    };
    return session;
  }

  return {start: start, post: post};
})();
