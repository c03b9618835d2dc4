// The live room's product panel (with the PK bar, pushed coupons and lucky bags) and the "3-2-1 上车" countdown.
// chat.js turns every system message of the room into a `laotie:room` DOM event; this module
// refreshes the panel (pinned card, live cart, flash sales) when they change, shows the
// countdown in step with the server clock, and keeps the units-left figure current.
const room = document.querySelector(".room");
const serverOffset = room ? Date.parse(room.dataset.serverNow) - Date.now() : 0;
const now = () => Date.now() + serverOffset;

function refreshPanel() {
  const panel = document.getElementById("room-panel");
  if (panel && window.htmx) window.htmx.trigger(panel, "refresh");
}

function countdown(opensAt) {
  const overlay = document.getElementById("flash-overlay");
  const count = document.getElementById("flash-count");
  if (!overlay || !count) return;
  const tick = () => {
    const left = Math.ceil((opensAt - now()) / 1000);
    if (left > 0) {
      overlay.hidden = false;
      count.textContent = String(left);
      setTimeout(tick, 100);
    } else {
      count.textContent = room?.dataset.tGo || "上车!";
      setTimeout(() => { overlay.hidden = true; }, 800);
      refreshPanel();
    }
  };
  tick();
}

function setLeft(flashId, left) {
  for (const el of document.querySelectorAll(`[data-flash-left="${flashId}"]`)) el.textContent = String(left);
  if (left <= 0) {
    for (const b of document.querySelectorAll(`[data-flash-buy="${flashId}"]`)) {
      b.disabled = true;
      b.textContent = room?.dataset.tSoldOut || "Sold out";  // the page's language, from the room's data-t-sold-out
    }
  }
}

// The ranking travels on each gift announcement, so every viewer's 打榜 strip is current without asking.
function showRanking(total, ranking) {
  const card = document.getElementById("gift-ranking");
  if (!card || !Array.isArray(ranking)) return;
  const sum = card.querySelector("[data-gift-total]");
  if (sum) sum.textContent = String(total);
  const list = card.querySelector("[data-ranking]");
  if (!list) return;
  list.replaceChildren(...ranking.map((r) => {
    const li = document.createElement("li");
    li.dataset.user = String(r.user_id);
    const coins = document.createElement("span");
    coins.className = "muted";
    coins.textContent = String(r.coins);
    li.append(`${r.name} `, coins);
    return li;
  }));
}

// After a gift is sent from the sheet, every balance on the page shows what is left.
document.addEventListener("htmx:afterSwap", (e) => {
  if (e.target?.id !== "gift-result") return;
  const left = e.target.querySelector("[data-balance]")?.textContent;
  if (left === undefined) return;
  for (const el of document.querySelectorAll("#gift-sheet summary [data-balance]")) el.textContent = left;
});

document.addEventListener("laotie:room", (e) => {
  const m = e.detail || {};
  const p = m.payload || {};
  if (m.type === "flash_stock") { setLeft(m.flash_id, m.left); return; }
  // Sent the moment the gate finds no stock (or the sale ends): the button closes before anyone taps again.
  if (m.type === "flash_state") { if (m.state === "sold_out" || m.state === "closed") setLeft(m.flash_id, 0); return; }
  switch (p.event) {
    case "flash.scheduled": refreshPanel(); countdown(Date.parse(p.opens_at)); break;
    case "flash.sold_out": setLeft(p.flash_id, 0); break;
    case "live.pinned": case "live.cart_changed": case "flash.opened": case "flash.closed": refreshPanel(); break;
    case "coupon.pushed": case "lucky_bag.started": case "lucky_bag.drawn": refreshPanel(); break;
    // PK scores arrive a few times a minute at most, so re-rendering the panel each time is cheap.
    case "pk.started": case "pk.score": case "pk.finished": case "pk.cancelled": refreshPanel(); break;
    case "gift.sent": showRanking(p.total_coins, p.ranking); break;
    case "live.ended": location.reload(); break;
    default: break;
  }
});

// A countdown already running when the page opened.
for (const card of document.querySelectorAll("[data-opens-at]")) {
  const opensAt = Date.parse(card.dataset.opensAt);
  if (opensAt > now()) countdown(opensAt);
}
