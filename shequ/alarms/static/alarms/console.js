/* Alarm consoles (guard room, community police, street): a WebSocket client that
   reconnects by itself, an alarm list with the handling steps (acknowledge, dispatch,
   on scene, close) and the police one-click link, a live list of passes and refusals
   (guard room only), and an alarm tone made with the Web Audio API (no sound file).

   The server sends {"type": "snapshot", alarms, events} on every (re)connect, then
   {"type": "alarms" | "events", items}. Alarm items carry "rev": an older state of an
   alarm never overwrites a newer one. Everything is written with textContent. */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("console-config").textContent);
  var L = cfg.labels, UI = cfg.labels.ui;
  var MAX_EVENTS = 100, MAX_RETRY_MS = 30000, PING_MS = 25000, BEEP_EVERY_MS = 1500;

  var alarmList = document.getElementById("alarms");
  var noAlarms = document.getElementById("no-alarms");
  var alarmCount = document.getElementById("alarm-count");
  var eventBody = document.getElementById("events");  // absent on the police and street consoles
  var noEvents = document.getElementById("no-events");
  var conn = document.getElementById("conn");
  var soundButton = document.getElementById("sound-toggle");

  var alarms = {};      // id -> item, open alarms only
  var revs = {};        // id -> newest rev seen (closed ones too, so a late "raised" cannot revive them)
  var eventKeys = {};   // events already shown
  var socket = null, retries = 0, pingTimer = null;

  // --- time ---------------------------------------------------------------------------------------------------
  var timeFormat = new Intl.DateTimeFormat(document.documentElement.lang || "zh-CN", {
    timeZone: cfg.timeZone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    second: "2-digit", hour12: false
  });
  function when(iso) { return iso ? timeFormat.format(new Date(iso)) : ""; }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // --- connection ---------------------------------------------------------------------------------------------
  function setConn(state) {
    conn.dataset.state = state;
    conn.textContent = UI[state];
  }

  function connect() {
    setConn(retries ? "retrying" : "connecting");
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + cfg.wsPath);
    socket.onopen = function () {
      retries = 0;
      setConn("live");
      pingTimer = setInterval(function () {
        if (socket.readyState === WebSocket.OPEN) socket.send('{"type":"ping"}');
      }, PING_MS);
    };
    socket.onmessage = function (message) { receive(JSON.parse(message.data)); };
    socket.onclose = function () {
      clearInterval(pingTimer);
      socket = null;
      retries += 1;
      setConn("retrying");
      // exponential backoff with jitter: a restarted server is not hit by every console at once
      var delay = Math.min(MAX_RETRY_MS, 1000 * Math.pow(2, Math.min(retries - 1, 5))) + Math.random() * 500;
      setTimeout(connect, delay);
    };
  }

  function receive(message) {
    if (message.type === "snapshot") {
      alarms = {};
      alarmList.replaceChildren();
      message.alarms.forEach(function (item) { upsertAlarm(item, false); });
      if (eventBody) {
        eventBody.replaceChildren();
        eventKeys = {};
        message.events.slice().reverse().forEach(function (item) { addEvent(item, false); });
      }
    } else if (message.type === "alarms") {
      message.items.forEach(function (item) { upsertAlarm(item, true); });
    } else if (message.type === "events" && eventBody) {
      message.items.forEach(function (item) { addEvent(item, true); });
    }
    refresh();
  }

  // --- alarms -------------------------------------------------------------------------------------------------
  function upsertAlarm(item, live) {
    if (revs[item.id] !== undefined && revs[item.id] > item.rev) return;
    revs[item.id] = item.rev;
    var existing = alarmList.querySelector('[data-alarm-id="' + item.id + '"]');
    if (item.status === "closed") {
      delete alarms[item.id];
      if (existing) existing.remove();
      return;
    }
    var isNew = !alarms[item.id];
    alarms[item.id] = item;
    var card = renderAlarm(item);
    if (existing) {
      existing.replaceWith(card);
    } else {
      alarmList.prepend(card);
    }
    if (live && isNew) card.classList.add("fresh");
    sortAlarms();
  }

  function sortAlarms() {
    // unacknowledged first, then newest first
    var cards = Array.prototype.slice.call(alarmList.children);
    cards.sort(function (a, b) {
      var x = alarms[a.dataset.alarmId], y = alarms[b.dataset.alarmId];
      var rank = (x.status === "raised" ? 0 : 1) - (y.status === "raised" ? 0 : 1);
      return rank || (y.raised_at > x.raised_at ? 1 : y.raised_at < x.raised_at ? -1 : y.id - x.id);
    });
    cards.forEach(function (card) { alarmList.appendChild(card); });
  }

  // status -> the steps offered, in order (the server refuses any other)
  var STEPS = {
    raised: [["acknowledge", "acknowledge"]],
    acknowledged: [["dispatch", "dispatch"], ["close", "close"]],
    dispatched: [["on-scene", "onScene"], ["close", "close"]],
    on_scene: [["close", "close"]]
  };

  function renderAlarm(item) {
    var card = el("li", "alarm");
    card.dataset.alarmId = item.id;
    card.dataset.status = item.status;
    card.dataset.kind = item.kind;
    card.dataset.escalation = item.escalation_level;
    var head = el("div", "alarm-head");
    head.appendChild(el("strong", "alarm-kind", L.alarmKind[item.kind] || item.kind));
    head.appendChild(el("span", "alarm-status alarm-status-" + item.status, L.alarmStatus[item.status] || item.status));
    if (item.escalation_level > 0) {
      head.appendChild(el("span", "alarm-escalation level-" + item.escalation_level,
                          L.escalation[String(item.escalation_level)]));
    }
    if (item.police_status) {
      head.appendChild(el("span", "alarm-police police-" + item.police_status,
                          UI.policeLink + "：" + (L.policeStatus[item.police_status] || item.police_status)));
    }
    if (item.repeat_count) head.appendChild(el("span", "alarm-repeat muted small", UI.repeats.replace("%(n)s", item.repeat_count)));
    card.appendChild(head);
    card.appendChild(el("div", "alarm-place", [item.place, item.device].filter(Boolean).join(" · ")));
    var origin = [];
    if (item.source && item.source !== "device") origin.push(L.alarmSource[item.source] || item.source);
    if (item.reporter_phone) origin.push(UI.reporter + " " + item.reporter_phone);
    if (origin.length) card.appendChild(el("div", "alarm-origin small", origin.join(" · ")));
    if (item.detail) card.appendChild(el("div", "alarm-detail small", item.detail));
    var times = UI.occurred + " " + when(item.occurred_at);
    if (item.acknowledged_at) times += " · " + UI.acknowledgedBy + " " + item.acknowledged_by + " " + when(item.acknowledged_at);
    if (item.dispatched_at) times += " · " + UI.dispatchedBy + " " + item.dispatched_by + " " + when(item.dispatched_at);
    if (item.on_scene_at) times += " · " + UI.onSceneBy + " " + item.on_scene_by + " " + when(item.on_scene_at);
    card.appendChild(el("div", "alarm-times muted small", times));
    var actions = el("div", "alarm-actions");
    if (cfg.canHandle) {
      var steps = STEPS[item.status] || [];
      var note = null;
      if (steps.some(function (step) { return step[0] !== "acknowledge"; })) {
        note = el("input");
        note.type = "text";
        note.name = "note";
        note.maxLength = 500;
        note.placeholder = UI.notePlaceholder;
        actions.appendChild(note);
      }
      steps.forEach(function (step) {
        actions.appendChild(stepButton(item, step[0], UI[step[1]], step[0] === "acknowledge" ? null : note));
      });
    }
    if (cfg.canForward && item.police_status !== "pending" && item.police_status !== "sent") {
      actions.appendChild(stepButton(item, "forward", UI.forward, null));
    }
    var details = el("a", "small", UI.details);
    details.href = item.url;
    actions.appendChild(details);
    card.appendChild(actions);
    return card;
  }

  function stepButton(item, step, label, noteInput) {
    var button = el("button", step === "close" || step === "forward" ? "secondary" : "", label);
    button.type = "button";
    button.dataset.step = step;
    button.addEventListener("click", function () { act(item.id, step, noteInput, button); });
    return button;
  }

  function act(id, step, noteInput, button) {
    var body = new FormData();
    if (noteInput) body.append("note", noteInput.value);
    button.disabled = true;
    fetch(cfg.actionUrl.replace("{id}", id).replace("{step}", step), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": cfg.csrfToken, "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (result.ok) {
        upsertAlarm(result.data.alarm, false);
        refresh();
      } else {
        var detail = result.data.detail;
        showError(id, Array.isArray(detail) ? detail[0].message : detail);
        button.disabled = false;
      }
    }).catch(function () {
      showError(id, UI.failed);
      button.disabled = false;
    });
  }

  function showError(id, text) {
    var card = alarmList.querySelector('[data-alarm-id="' + id + '"]');
    if (!card) return;
    var box = card.querySelector(".alarm-error") || card.appendChild(el("div", "alarm-error"));
    box.setAttribute("role", "alert");
    box.textContent = text;
  }

  // --- events -------------------------------------------------------------------------------------------------
  function addEvent(item, live) {
    if (eventKeys[item.key]) return;
    eventKeys[item.key] = true;
    var row = el("tr", "kind-" + item.kind);
    row.dataset.eventKey = item.key;
    row.appendChild(el("td", "", when(item.occurred_at)));
    var what = L.eventKind[item.kind] || item.kind;
    if (item.reason) what += "（" + item.reason + "）";
    row.appendChild(el("td", "", what));
    row.appendChild(el("td", "", item.device));
    row.appendChild(el("td", "", item.person || item.plate || UI.noPerson));
    var how = L.credentialKind[item.credential_kind] || "";
    if (item.direction) how += (how ? " · " : "") + (L.direction[item.direction] || item.direction);
    row.appendChild(el("td", "", how));
    if (live) row.classList.add("fresh");
    eventBody.prepend(row);
    while (eventBody.children.length > MAX_EVENTS) {
      delete eventKeys[eventBody.lastElementChild.dataset.eventKey];
      eventBody.lastElementChild.remove();
    }
  }

  // --- sound --------------------------------------------------------------------------------------------------
  var audio = null, beepTimer = null;
  var soundWanted = localStorage.getItem("shequ.alarmSound") === "on";

  function ensureAudio() {
    if (!audio) {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return null;
      audio = new Context();
    }
    if (audio.state === "suspended") audio.resume();
    return audio;
  }

  function beep() {
    if (!audio || audio.state !== "running") return;
    // two falling tones, like a door alarm: 960 Hz then 720 Hz
    var start = audio.currentTime;
    [960, 720].forEach(function (frequency, index) {
      var at = start + index * 0.28;
      var tone = audio.createOscillator(), gain = audio.createGain();
      tone.type = "square";
      tone.frequency.setValueAtTime(frequency, at);
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.24);
      tone.connect(gain).connect(audio.destination);
      tone.start(at);
      tone.stop(at + 0.25);
    });
  }

  function updateSound() {
    var ringing = soundWanted && Object.keys(alarms).some(function (id) { return alarms[id].status === "raised"; });
    document.body.dataset.alarmSound = ringing ? "ringing" : "silent";
    if (ringing && !beepTimer) {
      ensureAudio();
      beep();
      beepTimer = setInterval(beep, BEEP_EVERY_MS);
    } else if (!ringing && beepTimer) {
      clearInterval(beepTimer);
      beepTimer = null;
    }
  }

  function showSoundButton() {
    soundButton.textContent = soundWanted ? UI.soundOn : UI.soundOff;
    soundButton.setAttribute("aria-pressed", soundWanted ? "true" : "false");
  }

  soundButton.addEventListener("click", function () {
    soundWanted = !soundWanted;
    localStorage.setItem("shequ.alarmSound", soundWanted ? "on" : "off");
    if (soundWanted) ensureAudio();  // a click is the gesture browsers require before sound
    showSoundButton();
    updateSound();
  });
  // a console reopened with sound on still needs one gesture before the browser lets it play
  document.addEventListener("pointerdown", function () { if (soundWanted) ensureAudio(); }, { once: true });

  // --- page state ---------------------------------------------------------------------------------------------
  var baseTitle = document.title;

  function refresh() {
    var open = Object.keys(alarms).length;
    var raised = Object.keys(alarms).filter(function (id) { return alarms[id].status === "raised"; }).length;
    alarmCount.textContent = open;
    alarmCount.dataset.count = open;
    noAlarms.hidden = open > 0;
    if (eventBody) noEvents.hidden = eventBody.children.length > 0;
    document.title = raised ? "(" + raised + ") " + baseTitle : baseTitle;
    updateSound();
  }

  showSoundButton();
  refresh();
  connect();
})();
