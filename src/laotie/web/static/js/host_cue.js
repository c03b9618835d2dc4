// The host's "3-2-1 上车" countdown on the streamer console (templates/live/_host_cue.html). Viewers see the host
// late by the room's median latency, so the host's countdown (data-host-zero) ends that much before the viewers'
// buttons open (data-opens-at): said in step with it, "上车" reaches them as the buttons open.
// Both run on the server's clock. Its offset from this one is estimated as NTP does: the server writes its time
// into the card, and the midpoint of the round trip that brought the card is taken as that moment (the page's own
// load from navigation timing, then each refresh htmx makes every 5 s); the quickest round trip's estimate wins.

let offset = 0; // server clock − this clock, ms
let bestRoundTrip = Infinity;
let sentAt = 0;
let receivedAt = 0;
let seen = null;

function learn(card, sent, received) {
  const server = Date.parse(card.dataset.serverNow || "");
  if (!Number.isFinite(server) || !(received >= sent)) return;
  if (received - sent <= bestRoundTrip) {
    bestRoundTrip = received - sent;
    offset = server - (sent + received) / 2;
  }
}

function firstCard(card) {
  // The page's own request and first byte, from navigation timing, put on Date's clock through the present
  // moment (not performance.timeOrigin: the two clocks drift apart, e.g. across a laptop's sleep).
  const nav = performance.getEntriesByType("navigation")[0];
  const origin = Date.now() - performance.now();
  if (nav && nav.responseStart > 0) learn(card, origin + nav.requestStart, origin + nav.responseStart);
  else {
    learn(card, Date.now(), Date.now());
    bestRoundTrip = Infinity; // a guess, not a measured round trip: the first refresh replaces it
  }
}

document.addEventListener("htmx:beforeRequest", (event) => {
  if (event.target?.id === "host-cue") sentAt = Date.now();
});
document.addEventListener("htmx:afterRequest", (event) => {
  if (event.target?.id === "host-cue") receivedAt = Date.now();
});

function tick() {
  const card = document.getElementById("host-cue");
  if (!card) return;
  if (card !== seen) {
    if (seen === null) firstCard(card);
    else if (sentAt && receivedAt >= sentAt) learn(card, sentAt, receivedAt);
    seen = card;
  }
  const now = Date.now() + offset;
  for (const el of card.querySelectorAll("[data-host-zero]")) {
    const left = Math.ceil((Date.parse(el.dataset.hostZero) - now) / 1000);
    el.textContent = left > 0 ? String(left) : card.dataset.tGo || "上车!";
    el.dataset.state = left > 0 ? "counting" : "go";
  }
  for (const el of card.querySelectorAll("[data-opens-at]")) {
    const left = Math.ceil((Date.parse(el.dataset.opensAt) - now) / 1000);
    el.textContent = left > 0 ? String(left) : "0";
  }
}

tick();
setInterval(tick, 100);
