// The live video player: plays <video id="live-video" data-src="/hls/<name>.m3u8"> muted, inline,
// through hls.js where the browser has Media Source Extensions (desktop, Android, iPad) and
// natively where it plays HLS itself without them (Safari on iPhone). A viewer often arrives
// before the host starts or between reconnects, so a missing or empty playlist is waited for,
// never shown as an error. #live-video-status, when present, says what is going on.
// A room that is not live yet (data-live="false") has no playlist to ask for: the player waits for
// the room's `live.started` event, which chat.js hands on from the room's WebSocket as `laotie:room`.
// While playing, it reports how far behind the host the viewer is (latency_report.js).

import { nativePlayingDate, reportLatency } from "./latency_report.js";

const HLS_SCRIPT = "/static/vendor/hls.min.js";
const HLS_MIME = "application/vnd.apple.mpegurl";
const BACKOFF_MS = [1000, 1000, 2000, 3000, 5000];

const video = document.getElementById("live-video");
const statusBox = document.getElementById("live-video-status");

function say(state, text) {
  if (video) video.dataset.state = state;
  if (!statusBox) return;
  statusBox.dataset.state = state;
  // The page gives each state's words in its own language (data-t-waiting, ...); English otherwise.
  statusBox.textContent = statusBox.dataset[`t${state[0].toUpperCase()}${state.slice(1)}`] || text;
  statusBox.hidden = state === "playing";
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let hlsPromise = null;
// hls.js is 600 kB: fetched only by browsers that will use it, once.
function loadHls() {
  hlsPromise ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = HLS_SCRIPT;
    script.onload = () => resolve(window.Hls);
    script.onerror = () => { hlsPromise = null; reject(new Error("could not load " + HLS_SCRIPT)); };
    document.head.append(script);
  });
  return hlsPromise;
}

// The playlist exists once the media plane has cut the first fragment; until then it is 404.
async function waitForPlaylist(src) {
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await fetch(src, { cache: "no-store" });
      if (r.ok && (await r.text()).includes("#EXTINF")) return;
    } catch {
      // offline or the server restarting: keep waiting like for a stream that has not started
    }
    say("waiting", "Waiting for the stream to start…");
    await sleep(BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]);
  }
}

function waitForStart() {
  return new Promise((resolve) => {
    const started = (event) => {
      if (event.detail?.payload?.event !== "live.started") return;
      document.removeEventListener("laotie:room", started);
      resolve();
    };
    document.addEventListener("laotie:room", started);
  });
}

function autoplay() {
  video.play().catch(() => say("paused", "Tap the video to play"));
}

// Resolves when playback failed for good and should start over from waiting.
function playWithHls(Hls, src) {
  return new Promise((resolve) => {
    // Two fragments behind the live edge: on 1-second fragments the room is ~2-3 s behind
    // the host, which is what "3-2-1 上车" countdowns need. A player that fell further behind
    // (a stall, a busy phone) plays up to 1.25× until it is back, so the room's viewers stay
    // close to one delay and the host's countdown, set by their median, fits most of them.
    const hls = new Hls({ liveSyncDurationCount: 2, backBufferLength: 30, maxLiveSyncPlaybackRate: 1.25 });
    const stopReports = reportLatency(video, () => hls.playingDate);
    let mediaRecoveredAt = 0;
    hls.on(Hls.Events.MANIFEST_PARSED, autoplay);
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      // A decoder hiccup is recoverable in place, but not in a loop.
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && Date.now() - mediaRecoveredAt > 10000) {
        mediaRecoveredAt = Date.now();
        hls.recoverMediaError();
        return;
      }
      stopReports();
      hls.destroy();
      resolve();
    });
    hls.loadSource(src);
    hls.attachMedia(video);
  });
}

function playNatively(src) {
  return new Promise((resolve) => {
    const stopReports = reportLatency(video, () => nativePlayingDate(video));
    video.addEventListener("error", () => {
      stopReports();
      video.removeAttribute("src");
      video.load();
      resolve();
    }, { once: true });
    video.src = src;
    autoplay();
  });
}

async function run() {
  const src = video.dataset.src;
  if (!src) return;
  // Muted, inline autoplay is the one kind every phone browser allows.
  video.muted = true;
  video.playsInline = true;
  video.setAttribute("playsinline", "");
  video.addEventListener("playing", () => say("playing", "Live"));
  video.addEventListener("waiting", () => say("buffering", "Buffering…"));

  let Hls = null;
  if ("MediaSource" in window) {
    try {
      Hls = await loadHls();
    } catch {
      Hls = null;
    }
    if (Hls && !Hls.isSupported()) Hls = null;
  }
  if (!Hls && !video.canPlayType(HLS_MIME)) {
    say("unsupported", "This browser cannot play live video");
    return;
  }
  video.dataset.engine = Hls ? "hls.js" : "native";
  if (video.dataset.live === "false") {
    say("waiting", "Waiting for the stream to start…");
    await waitForStart();
  }
  say("connecting", "Connecting…");
  for (;;) {
    await waitForPlaylist(src);
    say("connecting", "Connecting…");
    await (Hls ? playWithHls(Hls, src) : playNatively(src));
    say("reconnecting", "Reconnecting…");
    await sleep(1000);
  }
}

if (video) run();
