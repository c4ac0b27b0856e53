"""Live updates, locally: the WebSocket API Gateway serves in AWS, on the local API (resources.LIVE_PATH).

The same protocol and the same code (ytcaption.finish.live): a client connects with its key
(`?key=ytc_...` or the `x-api-key` header; a bad one is refused with 401 before the upgrade, as
API Gateway's authorizer does), its messages are handled as the `live-socket` Lambda handles them,
and events reach it the way they do in AWS: the bus's rule invokes the `live` Lambda, which posts
through the management API, `POST /@connections/{id}`, here answered for the connections this process
holds (410 GoneException for any other, as API Gateway answers for a closed one). Only mounted in
the local runtime (setting serve_live) and only for callers on this machine.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import secrets
import threading
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ytcaption import resources
from ytcaption.api.deps import ServiceProvider
from ytcaption.api.problems import PROBLEM_MEDIA_TYPE, problem_body
from ytcaption.finish.live import Live
from ytcaption.settings import get_settings
from ytcaption.store import aws
from ytcaption.store.connections import ConnectionStore
from ytcaption.store.eventlog import EventLog

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)
# What the local API does for its WebSockets is, in AWS, the `live-socket` Lambda's: its AWS calls
# are recorded (and checked by the IAM check) as that function's.
SOCKET_COMPONENT = resources.lambda_spec("live-socket").function_name
_GONE = {"x-amzn-ErrorType": "GoneException"}


class Hub:
    """The WebSocket connections this process holds, by connection id."""

    def __init__(self) -> None:
        self.sockets: dict[str, tuple[WebSocket, asyncio.Lock, str]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._live: Live | None = None
        self._lock = threading.Lock()

    def live(self) -> Live:
        with self._lock:
            if self._live is None:
                settings = get_settings()
                dynamodb = aws.resource_as("dynamodb", SOCKET_COMPONENT)
                self._live = Live(
                    ConnectionStore(settings.connections_table, dynamodb=dynamodb),
                    EventLog(settings.table, dynamodb=dynamodb),
                )
            return self._live

    async def send(self, connection_id: str, text: str) -> bool:
        entry = self.sockets.get(connection_id)
        if entry is None:
            return False
        socket, lock, _ = entry
        try:
            async with lock:
                await socket.send_text(text)
        except Exception:
            return False
        return True

    def post(self, connection_id: str, message: dict[str, Any]) -> bool:
        """ytcaption.finish.live's Post, from a worker thread (the stores' calls block)."""
        assert self.loop is not None
        future = asyncio.run_coroutine_threadsafe(self.send(connection_id, json.dumps(message)), self.loop)
        return future.result(timeout=30)


def hub(app: Any) -> Hub:
    found: Hub = app.state.live_hub
    return found


@router.websocket(resources.LIVE_PATH)
async def live_socket(websocket: WebSocket) -> None:
    key = (websocket.query_params.get("key") or websocket.headers.get("x-api-key") or "").strip()
    services: ServiceProvider = websocket.app.state.services
    record = await run_in_threadpool(services().keys.lookup, key) if key else None
    if record is None:
        body = problem_body(401, "unauthorized", "Connect with a valid API key: ?key=ytc_... (or x-api-key).")
        if "websocket.http.response" in websocket.scope.get("extensions", {}):
            await websocket.send_denial_response(JSONResponse(body, status_code=401, media_type=PROBLEM_MEDIA_TYPE))
        else:
            await websocket.close(code=1008, reason="unauthorized")
        return
    connections = hub(websocket.app)
    connections.loop = asyncio.get_running_loop()
    live = connections.live()
    connection_id = secrets.token_urlsafe(12)
    await run_in_threadpool(live.connect, connection_id, record.tenant, record.key_id)
    await websocket.accept()
    connected_at = datetime.now(UTC).isoformat()
    connections.sockets[connection_id] = (websocket, asyncio.Lock(), connected_at)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text, data = message.get("text"), message.get("bytes")
            raw: str | bytes = text if isinstance(text, str) else data if isinstance(data, bytes) else b""
            await run_in_threadpool(live.receive, connection_id, raw, connections.post)
    except WebSocketDisconnect:
        pass
    finally:
        connections.sockets.pop(connection_id, None)
        # API Gateway's $disconnect.
        await run_in_threadpool(live.disconnect, connection_id)


# -- the management API (what `apigatewaymanagementapi` calls) --------------------------------------


def _from_this_machine(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in {"localhost", "testclient"}


def _refused() -> JSONResponse:
    return JSONResponse({"message": "Forbidden"}, status_code=403, headers={"x-amzn-ErrorType": "ForbiddenException"})


def _gone(connection_id: str) -> JSONResponse:
    return JSONResponse({"message": f"Connection {connection_id} is gone."}, status_code=410, headers=_GONE)


@router.post("/@connections/{connection_id}")
async def post_to_connection(connection_id: str, request: Request) -> Response:
    if not _from_this_machine(request):
        return _refused()
    data = (await request.body()).decode("utf-8", errors="replace")
    if not await hub(request.app).send(connection_id, data):
        return _gone(connection_id)
    return Response(status_code=200)


def _held(connection_id: str, request: Request) -> tuple[WebSocket, asyncio.Lock, str] | Response:
    """The socket of a connection this process holds, or the management API's refusal."""
    if not _from_this_machine(request):
        return _refused()
    return hub(request.app).sockets.get(connection_id) or _gone(connection_id)


@router.get("/@connections/{connection_id}")
async def get_connection(connection_id: str, request: Request) -> Response:
    entry = _held(connection_id, request)
    if isinstance(entry, Response):
        return entry
    socket, _, connected_at = entry
    source = socket.client.host if socket.client else ""
    identity = {"sourceIp": source, "userAgent": socket.headers.get("user-agent", "")}
    return JSONResponse({"connectedAt": connected_at, "identity": identity, "lastActiveAt": connected_at})


@router.delete("/@connections/{connection_id}")
async def delete_connection(connection_id: str, request: Request) -> Response:
    entry = _held(connection_id, request)
    if isinstance(entry, Response):
        return entry
    await entry[0].close(code=1000)
    return Response(status_code=204)


def mount(app: FastAPI) -> None:
    app.state.live_hub = Hub()
    app.include_router(router)
