// "Someone you follow is live": the server pushes it over /inbox/stream while any page is open.
// EventSource reconnects on its own after a network drop; a notice shows for a while with a link.
const stream = new EventSource("/inbox/stream");
stream.addEventListener("live", (event) => {
  let message;
  try { message = JSON.parse(event.data); } catch { return; }
  let box = document.getElementById("live-toasts");
  if (!box) {
    box = document.createElement("div");
    box.id = "live-toasts";
    box.className = "toasts";
    box.setAttribute("aria-live", "polite");
    document.body.append(box);
  }
  const link = document.createElement("a");
  link.className = "toast";
  link.href = message.url;
  link.textContent = `🔴 ${message.title}`;
  box.append(link);
  setTimeout(() => link.remove(), 15000);
  const badge = document.getElementById("inbox-dot");
  if (badge) badge.hidden = false;
});
