"""Socket.IO for every process: the server where a module serves sockets, emits from anywhere.

Every emit goes through Redis (python-socketio's Redis manager on one channel), so a sweeper or
another service's process reaches clients connected to any socket server. Redis being away
never stops a socket server from serving its own clients.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TypeVar

import socketio
import structlog
from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python
from redis.commands.core import AsyncScript
from starlette.types import Receive, Scope, Send

from tiketi.kernel import metrics
from tiketi.kernel.errors import DomainError, Unauthorized, ValidationFailed, validation_details
from tiketi.kernel.realtime_batch import ChangeBatcher, RedisManager
from tiketi.kernel.tokens import Principal

if TYPE_CHECKING:
    from tiketi.kernel.runtime import Runtime

__all__ = [
    "CHANNEL",
    "ERROR_EVENT",
    "MOUNT_PATH",
    "SEATS_CHANGED",
    "Handler",
    "Realtime",
    "RedisManager",
    "SocketSetup",
    "event_room",
    "queue_room",
    "socket_endpoint",
    "user_room",
]

log = structlog.get_logger("tiketi.realtime")

CHANNEL = "tiketi:socketio"
SEATS_CHANGED = "seats:changed"
ERROR_EVENT = "error"
MOUNT_PATH = "/socket.io"
_SOCKET_ROUTE = SimpleNamespace(path=MOUNT_PATH)
# Client messages are small (join_event {event_id}); anything bigger is abuse.
MAX_CLIENT_MESSAGE_BYTES = 64 * 1024

# emit_many: messages per script call (all calls of one emit_many go in one pipeline).
_PUBLISH_CHUNK = 1000
# KEYS: none. ARGV: the channel, then the messages, each PUBLISHed on it; how many.
_PUBLISH_MANY = """
for i = 2, #ARGV do redis.call('PUBLISH', ARGV[1], ARGV[i]) end
return #ARGV - 1
"""
_encode = json.JSONEncoder(separators=(",", ":")).encode
_quote = json.encoder.encode_basestring_ascii

M = TypeVar("M", bound=BaseModel)
SocketSetup = Callable[["Realtime"], None]
Handler = Callable[[str, M, Principal | None], Awaitable[object]]


def event_room(event_id: object) -> str:
    """The room of an event's live seat map."""
    return f"event:{event_id}"


def queue_room(event_id: object) -> str:
    """The room of an event's waiting-room progress."""
    return f"queue:{event_id}"


def user_room(user_id: object) -> str:
    """Every connection of one signed-in user (joined on connect)."""
    return f"user:{user_id}"


class Realtime:
    """Emit to Socket.IO clients from any process; serve them where a module declares sockets.

    `runtime.realtime` is always there. With `serve`, it also owns the python-socketio
    server mounted at /socket.io: clients connect with `auth: {token}` (or none: anonymous),
    and modules register handlers with `on()` from their `sockets` setup.
    """

    def __init__(
        self,
        runtime: Runtime,
        *,
        serve: bool,
        channel: str = CHANNEL,
        window: float = 0.2,
        backlog: int = 10_000,
    ) -> None:
        settings = runtime.settings
        if not settings.redis_url:
            raise RuntimeError("the realtime layer needs TIKETI_REDIS_URL resolved")
        self.runtime = runtime
        self.manager = RedisManager(
            settings.redis_url,
            channel=channel,
            write_only=not serve,
            timeout=settings.redis_timeout_seconds,
            backlog=backlog,
        )
        self.server: socketio.AsyncServer | None = None
        if serve:
            self.server = socketio.AsyncServer(
                async_mode="asgi",
                client_manager=self.manager,
                # The kernel's CORS middleware answers browsers; tokens, not cookies,
                # authenticate, so a foreign page gains nothing by opening a socket.
                cors_allowed_origins=[],
                max_http_buffer_size=MAX_CLIENT_MESSAGE_BYTES,
                logger=False,
                engineio_logger=False,
            )
            self.server.on("connect", self._connect)
            self.server.on("disconnect", self._disconnect)
        self.batcher = ChangeBatcher(self._send_batch, window=window)
        # emit_many's host id: not the local manager's (a server skips its own host's messages).
        self._many_host = uuid.uuid4().hex
        self._publish_many: AsyncScript | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start listening to the other processes' emits (server mode)."""
        if self.server is not None and not self.server.manager_initialized:
            self.server.manager_initialized = True
            self.manager.initialize()

    async def stop(self, *, grace: float = 2.0) -> None:
        """Send what is batched and queued (up to `grace` seconds), then stop every task."""
        await self.batcher.close()
        await self.manager.close(grace=grace)
        if self.server is not None:
            with contextlib.suppress(Exception):
                await self.server.shutdown()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI endpoint of the Engine.IO/Socket.IO protocol."""
        if self.server is None:
            raise RuntimeError("no module of this process serves sockets")
        await self.server.handle_request(scope, receive, send)

    # ------------------------------------------------------------------ emitting

    async def emit(
        self, event: str, data: Any, *, room: str | None = None, to: str | None = None
    ) -> None:
        """Send `event` to a room, one client (`to`, a sid) or everyone, in every process."""
        payload = to_jsonable_python(data)
        target = to or room
        if self.server is not None:
            await self.server.emit(event, payload, to=target)
        else:
            await self.manager.emit(event, payload, namespace="/", room=target)
        metrics.SOCKET_MESSAGES.labels(event).inc()

    async def emit_many(
        self, event: str, messages: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> None:
        """Send `event` to many rooms at once ([(room, data)]), in every process: one round
        trip to Redis for them all instead of one PUBLISH (and one JSON pass) each.

        Each message is what python-socketio's pub/sub manager publishes for
        `emit(event, data, room=room)`, on its channel, under a host id of its own, so every
        socket server (this one's too) delivers it from the channel. Unlike `emit`, a send
        while Redis is away fails rather than waiting in the manager's queue.
        """
        if not messages:
            return
        redis = self.runtime.redis
        if self._publish_many is None:
            self._publish_many = redis.register_script(_PUBLISH_MANY)
        wires = [self.wire(event, room, data) for room, data in messages]
        async with redis.pipeline(transaction=False) as pipe:
            for start in range(0, len(wires), _PUBLISH_CHUNK):
                chunk = wires[start : start + _PUBLISH_CHUNK]
                await self._publish_many(keys=[], args=[self.manager.channel, *chunk], client=pipe)
            await pipe.execute()
        metrics.SOCKET_MESSAGES.labels(event).inc(len(wires))

    def wire(self, event: str, room: str, data: Mapping[str, Any]) -> str:
        """The manager's message for `emit(event, data, room=room)`, written around the data's
        own encoding (the envelope is the same every time)."""
        # json.dumps({"method": "emit", "event": event, "data": [data], "binary": False,
        # "namespace": "/", "room": room, "skip_sid": None, "callback": None, "host_id": …})
        return (
            f'{{"method":"emit","event":{_quote(event)},"data":[{_encode(data)}],'
            f'"binary":false,"namespace":"/","room":{_quote(room)},"skip_sid":null,'
            f'"callback":null,"host_id":{_quote(self._many_host)}}}'
        )

    async def emit_to_user(self, user_id: object, event: str, data: Any) -> None:
        """Send `event` to every connection of a signed-in user (e.g. `queue:admitted`)."""
        await self.emit(event, data, room=user_room(user_id))

    async def publish_change(
        self,
        room: str,
        event: str,
        key: str,
        change: Mapping[str, Any],
        version: int,
        *,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Batch one change: `room` gets `{**extra, version, changes}` at most every window."""
        self.batcher.add(room, event, key, change, version, extra)

    async def publish_seat_changes(
        self, event_id: object, version: int, changes: Sequence[Mapping[str, Any]]
    ) -> None:
        """Announce seat changes ([{id, status}]): batched `seats:changed` to `event:{id}`."""
        room = event_room(event_id)
        extra = {"event_id": str(event_id)}
        for change in changes:
            self.batcher.add(room, SEATS_CHANGED, str(change["id"]), change, version, extra)

    async def flush(self) -> None:
        """Send every batched change now (tests; a process about to exit)."""
        await self.batcher.flush()

    async def _send_batch(self, room: str, event: str, payload: dict[str, Any]) -> None:
        await self.emit(event, payload, room=room)

    # ------------------------------------------------------------------ serving

    def on(
        self,
        event: str,
        handler: Handler[M],
        *,
        model: type[M],
        authenticated: bool = False,
    ) -> None:
        """Handle a client event: `handler(sid, payload, principal)` gets `model`-valid data.

        A bad payload, a DomainError or a crash answers the client with an `error` event
        `{code, message, details}` (and the same body as the ack); the server never falls over.
        With `authenticated`, anonymous connections get `UNAUTHORIZED`.
        """
        server = self._require_server()

        async def dispatch(sid: str, *args: Any) -> object:
            return await self._dispatch(sid, event, args, handler, model, authenticated)

        server.on(event, dispatch)

    async def enter_room(self, sid: str, room: str) -> None:
        """Put a client connected to this process in `room`."""
        await self._require_server().enter_room(sid, room)

    async def leave_room(self, sid: str, room: str) -> None:
        """Take a client out of `room`."""
        await self._require_server().leave_room(sid, room)

    async def principal(self, sid: str) -> Principal | None:
        """Who a connection is signed in as; None when anonymous or gone."""
        try:
            session = await self._require_server().get_session(sid)
        except KeyError:
            return None
        principal = session.get("principal")
        return principal if isinstance(principal, Principal) else None

    async def send_error(self, sid: str, error: DomainError) -> dict[str, Any]:
        """Tell one client what went wrong; returns the body sent."""
        body = {"code": error.code, "message": error.message, "details": error.details}
        await self.emit(ERROR_EVENT, body, to=sid)
        return body

    def _require_server(self) -> socketio.AsyncServer:
        if self.server is None:
            raise RuntimeError("no module of this process serves sockets (ServiceModule.sockets)")
        return self.server

    async def _connect(self, sid: str, environ: Mapping[str, Any], auth: Any) -> None:
        token = _token_from(auth, environ)
        principal = None
        if token:
            try:
                principal = await self.runtime.verifier.verify(token)
            except DomainError as exc:
                raise _refusal(exc.code, exc.message) from exc
            except Exception as exc:
                log.exception("socket_auth_failed")
                raise _refusal("INTERNAL_ERROR", "Something went wrong on our side.") from exc
        server = self._require_server()
        await server.save_session(sid, {"principal": principal})
        if principal is not None:
            await server.enter_room(sid, user_room(principal.id))
        metrics.SOCKET_CONNECTIONS.inc()

    async def _disconnect(self, sid: str, reason: object = None) -> None:
        metrics.SOCKET_CONNECTIONS.dec()

    async def _dispatch(
        self,
        sid: str,
        event: str,
        args: tuple[Any, ...],
        handler: Handler[M],
        model: type[M],
        authenticated: bool,
    ) -> object:
        try:
            principal = await self.principal(sid)
            if authenticated and principal is None:
                raise Unauthorized("This needs a signed-in connection: connect with auth {token}.")
            raw = args[0] if len(args) == 1 else (list(args) if args else {})
            try:
                payload = model.model_validate(raw)
            except ValidationError as exc:
                details = validation_details(exc.errors(include_url=False))
                message = f"The {event} payload is not valid."
                raise ValidationFailed(message, details=details) from exc
            return to_jsonable_python(await handler(sid, payload, principal))
        except DomainError as exc:
            return {"error": await self.send_error(sid, exc)}
        except Exception:
            log.exception("socket_handler_failed", socket_event=event)
            failure = DomainError("Something went wrong on our side.", code="INTERNAL_ERROR")
            return {"error": await self.send_error(sid, failure)}


def _refusal(code: str, message: str) -> Exception:
    """Refuse a connection: the client's connect_error gets `{message, data: {code, message}}`."""
    error: Exception = socketio.exceptions.ConnectionRefusedError(
        message, {"code": code, "message": message}
    )
    return error


def _token_from(auth: Any, environ: Mapping[str, Any]) -> str | None:
    """The access token from `auth: {token}`, else from an `Authorization: Bearer` header."""
    if isinstance(auth, Mapping):
        token = auth.get("token")
        if isinstance(token, str) and token:
            return token
    scheme, _, value = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


async def socket_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI app mounted at /socket.io: hands over to the process's socket server."""
    # Metrics and access logs name the route rather than "unmatched".
    scope["route"] = _SOCKET_ROUTE
    realtime: Realtime = scope["app"].state.runtime.realtime
    await realtime(scope, receive, send)
