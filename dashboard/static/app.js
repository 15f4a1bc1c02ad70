// balance dashboard: acknowledgements, plan decisions, polling for new
// alerts (no reload) and review-time heartbeats. Plan changes and device
// binding are plain form posts (no script needed).
"use strict";
(function () {
  const meta = (n) => (document.querySelector('meta[name="' + n + '"]') || {}).content || "";
  const csrf = meta("csrf-token"), me = meta("user");
  async function call(method, url, body) {
    const r = await fetch(url, {method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: body === undefined ? undefined : JSON.stringify(body)});
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
    if (!r.ok) throw new Error((data && data.message) || r.status);
    return data;
  }
  function toast(msg, cls) {
    const t = document.createElement("div");
    t.className = "toast " + (cls || "");
    t.textContent = msg;
    document.getElementById("toasts").appendChild(t);
    setTimeout(() => t.remove(), 8000);
  }
  const root = document.getElementById("patient");
  const pid = root ? root.dataset.patient : "";

  document.addEventListener("click", async (ev) => {
    const b = ev.target.closest("button");
    if (!b || !root) return;
    try {
      if (b.classList.contains("ack")) {
        const a = await call("POST", "/api/v1/alerts/" + encodeURIComponent(b.dataset.alert) + "/ack", {by: me});
        const row = b.closest("tr");
        row.querySelector(".status").textContent = a.status + " by " + a.acked_by;
        b.remove();
        toast("Alert acknowledged");
      } else if (b.classList.contains("approve") || b.classList.contains("reject")) {
        const verb = b.classList.contains("approve") ? "approve" : "reject";
        await call("POST", "/api/v1/patients/" + encodeURIComponent(pid) + "/plan/suggestions/" + encodeURIComponent(b.dataset.change) + "/" + verb, {by: me});
        location.reload();
      }
    } catch (e) { toast("Refused: " + e.message, "error"); }
  });

  // New alerts without a reload: poll the (access-filtered) alerts API.
  const seen = new Set();
  let first = true;
  async function poll() {
    if (!me) return;
    try {
      const q = pid ? "?status=open&limit=100&patient=" + encodeURIComponent(pid) : "?status=open&limit=200";
      const as = await call("GET", "/api/v1/alerts" + q);
      const badge = document.getElementById("alert-badge");
      if (badge) { badge.hidden = as.length === 0; badge.textContent = as.length + " open alert" + (as.length === 1 ? "" : "s"); }
      for (const a of as) {
        if (seen.has(a.id)) continue;
        seen.add(a.id);
        if (first) continue;
        toast("New " + a.severity + " alert for " + a.patient_id + ": " + a.summary, "alert");
        const rows = document.getElementById("alert-rows");
        if (rows && a.patient_id === pid && !rows.querySelector('[data-alert="' + CSS.escape(a.id) + '"]')) {
          const empty = rows.querySelector(".empty");
          if (empty) empty.remove();
          const tr = document.createElement("tr");
          tr.dataset.alert = a.id;
          tr.className = "sev-" + a.severity + " new";
          for (const t of [new Date(a.occurred_at).toISOString().slice(0, 16).replace("T", " "), a.severity, a.summary, a.status]) {
            const td = document.createElement("td"); td.textContent = t; tr.appendChild(td);
          }
          tr.lastChild.className = "status";
          const td = document.createElement("td"), btn = document.createElement("button");
          btn.className = "ack"; btn.dataset.alert = a.id; btn.textContent = "Acknowledge";
          td.appendChild(btn); tr.appendChild(td);
          rows.prepend(tr);
        }
      }
      first = false;
    } catch (e) { /* keep polling */ }
  }
  poll();
  setInterval(poll, 5000);

  // Review time: while a patient page is visible, log 30 s at a time.
  if (root) {
    setInterval(() => {
      if (document.visibilityState === "visible") {
        call("POST", "/api/v1/dashboard/patients/" + encodeURIComponent(pid) + "/review", {seconds: 30, activity: "patient page"}).catch(() => {});
      }
    }, 30000);
  }
})();
