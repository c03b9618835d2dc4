// The short-video page: the big ▶ plays the video, and the first time it actually plays
// (not on load, not on a tap that the browser refuses) one play is counted, once per page view.
const page = document.querySelector(".video-page");
const video = document.getElementById("video-player");
const button = document.getElementById("video-play");

if (page && video) {
  let counted = false;
  const showButton = () => { if (button) button.hidden = !video.paused; };

  button?.addEventListener("click", () => {
    button.hidden = true;
    video.play().catch(showButton);
  });
  for (const name of ["play", "pause", "ended"]) video.addEventListener(name, showButton);

  video.addEventListener("playing", () => {
    if (counted) return;
    counted = true;
    fetch(page.dataset.playUrl, {
      method: "POST",
      headers: { "X-CSRF-Token": page.dataset.csrf || "" },
      credentials: "same-origin",
    })
      .then((r) => (r.ok ? r.json() : null))
      .then((data) => {
        const count = document.getElementById("play-count");
        // Grouped as the page groups it (the `number` filter): 1,234 in both zh-CN and en.
        if (data && count) count.textContent = Number(data.plays).toLocaleString(document.documentElement.lang || undefined);
      })
      .catch(() => {});  // a lost count is not worth bothering the viewer
  });
}
