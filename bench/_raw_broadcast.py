"""The naive fan-out, as the baseline for bench/live_chat.py: a bare Starlette WebSocket endpoint
that sends every incoming comment to every connected socket, one send per message per socket.

Served by `uvicorn bench._raw_broadcast:app` in its own process. Messages look like laotie's
comments (a JSON object with an id and the body), so the same load client counts both.
"""

from __future__ import annotations

import json
import time

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

clients: set[WebSocket] = set()
next_id = 0


async def room(ws: WebSocket) -> None:
    global next_id
    await ws.accept()
    clients.add(ws)
    try:
        while True:
            data = json.loads(await ws.receive_text())
            if data.get("type") != "comment":
                continue
            next_id += 1
            message = json.dumps({"id": next_id, "type": "comment", "body": data.get("body", ""),
                                  "at": time.time()}, ensure_ascii=False, separators=(",", ":"))
            for other in list(clients):
                try:
                    await other.send_text(message)
                except Exception:
                    clients.discard(other)
    except WebSocketDisconnect:
        pass
    finally:
        clients.discard(ws)


app = Starlette(routes=[WebSocketRoute("/ws", room)])
