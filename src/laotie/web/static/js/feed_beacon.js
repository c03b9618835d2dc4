// Opened from the discovery feed (?imp=<impression>): when the viewer leaves, tell the feed how
// many seconds they stayed, so it learns watch time. One beacon per page view; nothing if under 1 s.
const imp = new URLSearchParams(location.search).get("imp");
const csrf = document.body.getAttribute("hx-headers");
if (imp && /^\d+$/.test(imp)) {
  const started = Date.now();
  let sent = false;
  const send = () => {
    const seconds = Math.round((Date.now() - started) / 1000);
    if (sent || seconds < 1) return;
    sent = true;
    const body = new FormData();
    body.append("seconds", String(Math.min(seconds, 4 * 3600)));
    try { body.append("csrf_token", JSON.parse(csrf || "{}")["X-CSRF-Token"] || ""); } catch { /* no token: ignored */ }
    navigator.sendBeacon(`/feed/watch/${imp}`, body);
  };
  addEventListener("pagehide", send);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") send(); });
}
