// balance patient app: the exercise page's Start, countdown with sound,
// Stop, and the result. The session starts and stops on the patient's worn
// sensor through the API (recorded as the sensor's own start and stop
// events); monitoring analyses it, and the page asks for the result.
"use strict";
(function () {
  const root = document.getElementById("exercise");
  if (!root) return;
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const words = document.getElementById("app-text").dataset;
  const pid = root.dataset.patient, hold = Number(root.dataset.hold) || 30;
  const status = document.getElementById("exercise-status");
  const count = document.getElementById("countdown");
  const start = document.getElementById("exercise-start"), stop = document.getElementById("exercise-stop");
  let session = "", timer = 0, audio = null;

  async function call(method, url, body) {
    const r = await fetch(url, {method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: body === undefined ? undefined : JSON.stringify(body)});
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(data.message || String(r.status));
    return data;
  }
  // beep plays a short tone (the countdown's start, every 10 s, the end).
  function beep(freq, ms) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = freq; g.gain.value = 0.3;
      o.connect(g); g.connect(audio.destination);
      o.start(); o.stop(audio.currentTime + ms / 1000);
    } catch (e) { /* no sound: the numbers still count down */ }
  }
  async function finish() {
    clearInterval(timer);
    stop.hidden = true; count.hidden = true;
    status.textContent = words.saving;
    beep(660, 600);
    try {
      await call("POST", "/api/v1/patients/" + encodeURIComponent(pid) + "/sessions/" + encodeURIComponent(session) + "/stop");
    } catch (e) { status.textContent = e.message; start.hidden = false; return; }
    for (let i = 0; i < 60; i++) {
      const r = await call("GET", "/app/sessions/" + encodeURIComponent(session) + "/result");
      if (r.ready) {
        const ul = document.getElementById("result-lines");
        ul.replaceChildren(...r.lines.map(t => { const li = document.createElement("li"); li.textContent = t; return li; }));
        document.getElementById("how-link").href = "/app/sessions/" + encodeURIComponent(session) + "/how";
        document.getElementById("exercise-result").hidden = false;
        status.textContent = r.lines[0];
        return;
      }
      await new Promise(res => setTimeout(res, 1000));
    }
  }
  start.addEventListener("click", async () => {
    start.disabled = true;
    try {
      const s = await call("POST", "/api/v1/patients/" + encodeURIComponent(pid) + "/sessions/start",
        {kind: root.dataset.kind, exercise_id: root.dataset.exercise});
      session = s.session_id;
    } catch (e) { status.textContent = words.noSensor + " (" + e.message + ")"; start.disabled = false; return; }
    start.hidden = true; stop.hidden = false; count.hidden = false;
    let left = Math.round(hold);
    count.textContent = left;
    status.textContent = words.running + " " + left;
    beep(880, 300);
    timer = setInterval(() => {
      left--;
      count.textContent = left;
      if (left % 10 === 0 || left <= 3) status.textContent = words.running + " " + left;
      if (left > 0 && left % 10 === 0) beep(880, 150);
      if (left <= 0) finish();
    }, 1000);
  });
  stop.addEventListener("click", () => finish());
})();
