// Live room chat (弹幕): one WebSocket to /ws/live/<session id>, batched frames in, actions out.
//
// Elements it uses (all optional except the session id):
//   [data-session="<id>"]      the live session, on any element (e.g. <section class="room">)
//   #chat-list                 where messages appear (newest at the bottom, at most MAX_LINES)
//   <form id="chat-form">      with an <input name="body">: sends a comment
//   #like-button               sends a like (taps are counted; totals come back in stats)
//   #viewer-count, #like-count updated from the server's periodic stats
//
// Every server frame is a JSON array of messages (see laotie/live/chat_endpoints.py).
// Text is only ever put in with textContent, never innerHTML: comments are stored as typed.
// Every "system" message (pin, cart, flash sale, stream start/end) is re-dispatched as
//   document.dispatchEvent(new CustomEvent("laotie:room", {detail: message}))
// so the room page's cart, pinned card and flash widgets can react without a socket of their own;
// so is any other non-chat message the room publishes (e.g. {"type": "flash_stock", ...}).
// Moderators' tools send actions the same way the other way round:
//   document.dispatchEvent(new CustomEvent("laotie:chat-action", {detail: {type: "hide", id: 42}}))
//   ({type: "mute", user_id, minutes}, {type: "ban", user_id}, {type: "appoint", user_id}).
// On reconnect it asks for everything after the last id it saw, and drops any id seen before.

const MAX_LINES = 150;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
const NOT_FOUND = 4404;
// English words for the server's error codes; the page's own language comes from data-t-<code> attributes
// on the [data-session] element (data-t-rate-limited, ..., data-t-error, data-t-reconnecting).
const ERRORS = {
  rate_limited: "Slow down a little",
  muted: "You are muted in this room for now",
  banned: "You cannot chat in this room",
  comment_blocked: "That comment can't be posted here",
  comment_too_long: "That comment is too long",
  comment_empty: "Write something first",
  not_authenticated: "Sign in to chat",
  session_not_live: "The stream is not live",
};

const root = document.querySelector("[data-session]");
const sessionId = root ? Number(root.dataset.session) : NaN;
const list = document.getElementById("chat-list");
const form = document.getElementById("chat-form");
const likeButton = document.getElementById("like-button");
const viewerCount = document.getElementById("viewer-count");
const likeCount = document.getElementById("like-count");

let socket = null;
let lastId = 0;
let attempt = 0;
const seen = new Set();
const seenOrder = [];

function remember(id) {
  seen.add(id);
  seenOrder.push(id);
  if (seenOrder.length > 2000) seen.delete(seenOrder.shift());
}

function words(code) {
  const key = "t" + code.replace(/(^|_)([a-z])/g, (_m, _sep, c) => c.toUpperCase());
  return root?.dataset[key];
}

// 1.2万 in Chinese, 12K in English: counts as the page's language writes them short.
const compactFormat = new Intl.NumberFormat(document.documentElement.lang || undefined,
  { notation: "compact", maximumFractionDigits: 1 });

function compact(n) {
  return n >= 10000 ? compactFormat.format(n) : String(n);
}

function yuan(fen) {
  return "¥" + (fen / 100).toFixed(2);
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function line(message) {
  const row = el("div", "chat-line chat-" + message.type);
  row.dataset.id = String(message.id);
  if (message.user_id) row.dataset.userId = String(message.user_id);
  if (message.user) row.append(el("span", "chat-user", message.user + " "));
  row.append(el("span", "chat-body", message.body));
  const product = message.payload && message.payload.product;
  if (message.type === "reply" && product) {
    const card = el("a", "chat-card");
    card.href = "#live-product-" + product.id;
    if (product.cover) {
      const img = el("img");
      img.src = product.cover;
      img.alt = "";
      img.loading = "lazy";
      card.append(img);
    }
    card.append(el("span", "chat-card-title", product.title), el("span", "price", yuan(product.min_price)));
    row.append(card);
  }
  return row;
}

function notice(text) {
  if (!list) return;
  const row = el("div", "chat-line chat-error", text);
  row.setAttribute("role", "alert");
  list.append(row);
  setTimeout(() => row.remove(), 4000);
  scrollDown();
}

function scrollDown() {
  if (list) list.scrollTop = list.scrollHeight;
}

function handle(frame) {
  if (!Array.isArray(frame)) return;
  // Stay pinned to the newest line unless the viewer scrolled up to read.
  const atBottom = !list || list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const batch = document.createDocumentFragment();
  for (const message of frame) {
    switch (message.type) {
      case "comment":
      case "reply":
      case "system":
        if (seen.has(message.id)) continue;
        remember(message.id);
        if (message.id > lastId) lastId = message.id;
        if (message.type === "system") {
          document.dispatchEvent(new CustomEvent("laotie:room", { detail: message }));
          if (!message.body) continue;
        }
        batch.append(line(message));
        break;
      case "hide":
        if (list) list.querySelector(`[data-id="${Number(message.id)}"]`)?.remove();
        break;
      case "stats":
        if (viewerCount) viewerCount.textContent = compact(message.viewers);
        if (likeCount) likeCount.textContent = compact(message.likes);
        break;
      case "error":
        notice(words(message.code || "error") || ERRORS[message.code] || message.message || words("error")
          || "Something went wrong");
        break;
      default:  // room updates that are not chat (e.g. flash_stock): for the page's widgets
        document.dispatchEvent(new CustomEvent("laotie:room", { detail: message }));
    }
  }
  if (!list || !batch.childNodes.length) return;
  list.append(batch);
  while (list.childElementCount > MAX_LINES) list.firstElementChild.remove();
  if (atBottom) scrollDown();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(`${scheme}//${location.host}/ws/live/${sessionId}?after=${lastId}`);
  socket.addEventListener("open", () => { attempt = 0; });
  socket.addEventListener("message", (event) => {
    try {
      handle(JSON.parse(event.data));
    } catch (err) {
      console.error("chat frame", err);
    }
  });
  socket.addEventListener("close", (event) => {
    socket = null;
    if (event.code === NOT_FOUND) return;
    // 4008 (too slow) and network drops alike: come back and ask for what was missed.
    const delay = event.code === 4008 ? 0 : BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
    attempt += 1;
    setTimeout(connect, delay + Math.random() * 300);
  });
}

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify(message));
    return true;
  }
  notice(words("reconnecting") || "Reconnecting…");
  return false;
}

if (Number.isFinite(sessionId) && sessionId > 0) {
  form?.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = form.elements.namedItem("body");
    const body = input && input.value.trim();
    if (body && send({ type: "comment", body })) input.value = "";
  });
  likeButton?.addEventListener("click", () => {
    // The room's total comes back in the next stats message (about a second).
    if (!send({ type: "like" })) return;
    likeButton.classList.remove("liked");
    void likeButton.offsetWidth;  // restart the CSS animation, if the page has one
    likeButton.classList.add("liked");
  });
  document.addEventListener("laotie:chat-action", (event) => {
    if (event.detail && typeof event.detail.type === "string") send(event.detail);
  });
  connect();
}
