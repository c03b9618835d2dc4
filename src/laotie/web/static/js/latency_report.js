// How far behind the host this viewer is, reported to the room about every 12 s while the video plays
// (POST /api/v1/live/sessions/<id>/latency). The latency is the server's clock minus the wall-clock time of
// the frame on screen, which the player knows from the playlist's #EXT-X-PROGRAM-DATE-TIME (hls.js:
// `playingDate`). This clock is put on the server's as NTP does: each answer carries the server's time, taken
// to be the midpoint of the round trip; the estimate from the quickest round trip is kept. The streamer
// console shows the room's median and ends the host's "3-2-1 上车" countdown that much earlier.

const FIRST_MS = 3000;
const EVERY_MS = 12000;
const MAX_MS = 60000; // the server takes 0-60 s; more is a stalled player, not a delay

let offset = null; // server clock − this clock, ms
let bestRoundTrip = Infinity;

async function send(url, latencyMs) {
  const sent = Date.now();
  const r = await fetch(url, {
    method: "POST", headers: { "Content-Type": "application/json" }, credentials: "same-origin",
    body: JSON.stringify({ latency_ms: latencyMs }),
  });
  const received = Date.now();
  if (!r.ok) return; // refused (the room ended, too frequent): the next round tries again
  const server = (await r.json()).server_time_ms;
  if (Number.isFinite(server) && received - sent <= bestRoundTrip) {
    bestRoundTrip = received - sent;
    offset = server - (sent + received) / 2;
  }
}

// Starts reporting for `video`, whose wall-clock time `playingDate()` gives (a Date, or null while unknown);
// returns the function that stops it.
export function reportLatency(video, playingDate) {
  const sessionId = video.closest("[data-session]")?.dataset.session;
  if (!sessionId || !/^\d+$/.test(sessionId)) return () => {};
  const url = `/api/v1/live/sessions/${sessionId}/latency`;
  let stopped = false;
  let timer = null;
  const round = async () => {
    try {
      if (offset === null) await send(url, null); // the server's time first
      const date = playingDate();
      if (offset !== null && date && !video.paused) {
        const latency = Math.round(Date.now() + offset - date.getTime());
        if (latency >= 0 && latency <= MAX_MS) {
          video.dataset.latencyMs = String(latency);
          await send(url, latency);
        }
      }
    } catch {
      // offline for a moment or the server restarting: the next round tries again
    }
    if (!stopped) timer = setTimeout(round, EVERY_MS);
  };
  timer = setTimeout(round, FIRST_MS);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

// Safari's own HLS: the date of the playlist's first frame, plus how far into it the video is.
export function nativePlayingDate(video) {
  const start = video.getStartDate?.()?.getTime();
  return Number.isFinite(start) && start > 0 ? new Date(start + video.currentTime * 1000) : null;
}
