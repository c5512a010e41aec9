"""``serve()``: unchanged ``livekit.rtc`` code against roomsim rooms, in-process.

::

    async with serve() as lk:
        token = lk.token("agent", room="standup", can_update_own_metadata=True)
        room = rtc.Room()
        await room.connect(lk.url, token)
        await room.local_participant.set_attributes({"state": "listening"})
        await lk.settle()
        assert lk.room("standup").participants["agent"].attributes == {"state": "listening"}

While the block runs, ``livekit.rtc.FfiClient.instance`` is an :class:`InProcessFfi`: every
request the SDK makes is answered from roomsim, and every event a roomsim client receives reaches
its SDK Room through the SDK's own listen task.  On exit the SDK Rooms still connected hear the
server go away (``disconnected(SERVER_SHUTDOWN)``), and ``FfiClient`` is as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from importlib import metadata
from types import MappingProxyType
from typing import Any, Final

from livekit.protocol.webhook import WebhookEvent
from livekit.rtc._ffi_client import FfiClient

from roomsim.clock import ManualClock
from roomsim.config import RoomConfig
from roomsim.errors import HandlerError, IllegalState, InvalidArgument, RoomsimError
from roomsim.livekit._ffi import InProcessFfi
from roomsim.livekit._http import HttpServer
from roomsim.livekit._sdk_errors import SdkHandlerErrors, capturing
from roomsim.livekit._tokens import make_token
from roomsim.livekit._versions import UnsupportedVersion, _release, check_versions
from roomsim.livekit._webhooks import WebhookFailure, WebhookSender
from roomsim.model import DisconnectReason
from roomsim.room import Room

__all__ = ["serve", "LiveKitServer", "NativeFfiActive", "NotSettled"]

#: livekit-api, which serve() mints and verifies tokens with: (tested, next minor: excluded)
TESTED_API_VERSION: Final = ("1.2.2", "1.3")

#: sleep(0) rounds settle() allows before it gives up (work that keeps scheduling work)
_MAX_ROUNDS: Final = 100_000


class NativeFfiActive(IllegalState):
    """``livekit.rtc`` already started its native FFI (or another ``serve()`` runs)."""

    default_code = "native_ffi_active"


class NotSettled(IllegalState):
    """The event loop never went quiet: some task keeps scheduling work."""

    default_code = "not_settled"


class LiveKitServer:
    """What ``serve()`` yields: the simulated server's address, keys, rooms and clock."""

    def __init__(
        self,
        *,
        url: str,
        api_key: str,
        api_secret: str,
        room_config: RoomConfig,
        rooms: Mapping[str, RoomConfig],
        clock: ManualClock,
        epoch: float,
    ) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.api_secret = api_secret
        self.clock = clock
        #: the Unix time of virtual time 0: tokens' nbf/exp are compared with epoch + clock.now
        self.epoch = epoch
        self._room_config = room_config
        self._room_configs = dict(rooms)
        self._rooms: dict[str, Room] = {}
        #: HandlerError raised by roomsim handlers during SDK verbs; settle() raises the first
        self.handler_errors: list[HandlerError] = []
        #: exceptions livekit.rtc handlers raised (the SDK logs them); settle() raises them
        self.sdk_errors = SdkHandlerErrors()
        self.sessions_by_client: dict[int, Any] = {}
        self.ffi = InProcessFfi(self)
        #: the HTTP side (``serve(http=True)``): RoomService over Twirp, and webhooks
        self.http: HttpServer | None = None
        self._webhooks = WebhookSender(self, ())

    # -- rooms and time ------------------------------------------------------------------------

    @property
    def rooms(self) -> Mapping[str, Room]:
        """Every room by name (the latest one of that name), in creation order."""
        return MappingProxyType(self._rooms)

    def room(self, name: str) -> Room:
        """The open room ``name``, created now if there is none (as ``CreateRoom`` would)."""
        if not isinstance(name, str) or not name:
            raise InvalidArgument(f"lk.room(name) takes a non-empty room name, got {name!r}")
        room = self._rooms.get(name)
        if room is None or room.closed:
            room = self.create_room(name, self.config_for(name))
        return room

    def config_for(self, name: str) -> RoomConfig:
        """The config a room of this name gets when it is created (``serve(rooms=...)``)."""
        return self._room_configs.get(name, self._room_config)

    def create_room(self, name: str, config: RoomConfig, *, metadata: str = "") -> Room:
        """A new open room ``name`` (what ``CreateRoom`` and a first join make)."""
        room = Room(name, config=config, clock=self.clock)
        if metadata:
            room.update_room_metadata(metadata)
        self._rooms[name] = room
        self._webhooks.watch(room)
        return room

    def room_for_join(self, name: str) -> Room:
        """LiveKit auto-creates the room a token names (server §4)."""
        return self.room(name)

    @property
    def unix_now(self) -> float:
        """The virtual clock as Unix time (what token times are checked against)."""
        return self.epoch + self.clock.now

    def advance(self, dt: float) -> None:
        """Let ``dt`` virtual seconds pass in every room (the timers run; events are queued,
        and so are the audio frames the time played to each ``rtc.AudioStream``)."""
        self.clock.advance(dt)
        self.ffi.audio.pump()

    # -- tokens --------------------------------------------------------------------------------

    def token(
        self,
        identity: str,
        *,
        room: str,
        ttl: float = 6 * 3600.0,
        name: str = "",
        metadata: str = "",
        attributes: Mapping[str, str] | None = None,
        kind: str = "",
        **grants: Any,
    ) -> str:
        """A signed join token (``livekit.api.AccessToken`` claims), valid from now for ``ttl``.

        ``grants`` are ``livekit.api.VideoGrants`` fields: ``can_publish``, ``can_subscribe``,
        ``can_publish_data``, ``can_publish_sources`` (``["microphone", ...]``),
        ``can_update_own_metadata``, ``hidden``, ``agent``, ``room_join`` (default True), ...
        ``kind`` is ``"standard"``, ``"agent"``, ``"sip"``, ``"ingress"`` or ``"egress"``.
        """
        return make_token(
            self.api_key,
            self.api_secret,
            identity,
            room=room,
            now=self.unix_now,
            ttl=ttl,
            name=name,
            metadata=metadata,
            attributes=attributes,
            kind=kind,
            **grants,
        )

    # -- the HTTP side -------------------------------------------------------------------------

    @property
    def webhooks(self) -> Sequence[WebhookEvent]:
        """Every webhook the rooms sent, as the ``WebhookEvent`` POSTed, in order.

        Kept whether or not ``serve(webhook_urls=...)`` names receivers.
        """
        self._webhooks.collect()
        return tuple(self._webhooks.events)

    @property
    def webhook_failures(self) -> Sequence[WebhookFailure]:
        """The webhooks a receiver never accepted (after the retries), in order."""
        return tuple(self._webhooks.failures)

    def after_api_call(self) -> None:
        """A server API call ran: send the webhooks it caused."""
        self._webhooks.collect()

    async def _deliver(self) -> bool:
        """POST the webhooks emitted since the last call; True if there were any."""
        new = self._webhooks.collect()
        await self._webhooks.drain()  # and those collected before (after API calls)
        return new > 0

    # -- the SDK side --------------------------------------------------------------------------

    @property
    def requests(self) -> Mapping[str, int]:
        """How many FFI requests of each type the SDK made (``{"connect": 2, ...}``)."""
        return MappingProxyType(dict(self.ffi.requests))

    async def settle(self) -> None:
        """Run the event loop until every queued SDK event is delivered and handled.

        Audio frames that virtual time has played are queued to the ``AudioStream`` s first,
        and the stream chunks roomsim clients sent to SDK readers.  Returns when no ready
        callback is left but this one: every SDK Room's listen task has applied what was
        queued, the handlers ran, and the work they scheduled (tasks, further SDK calls and
        their events) has run too.  Timers (``asyncio.sleep``, timeouts) are not waited for.
        Webhooks the rooms emitted meanwhile are POSTed to every ``webhook_urls`` receiver
        before it returns.  Raises the first ``HandlerError`` a roomsim handler raised
        meanwhile, then a ``HandlerError`` for what ``livekit.rtc`` handlers raised (the SDK
        only logs those).
        """
        self.ffi.audio.pump()
        while True:
            await self._spin()
            # handlers may have caused webhooks; settled once none is left to send
            if not await self._deliver():
                break
        if self.handler_errors:
            first = self.handler_errors.pop(0)
            self.handler_errors.clear()
            raise first
        failed = self.sdk_errors.take("livekit.rtc")
        if failed is not None and self._room_config.handler_errors == "raise":
            raise failed

    async def _spin(self) -> None:
        loop = asyncio.get_running_loop()
        self.ffi.rpc.flush()  # SDK calls settled by virtual time since (RPC timeouts)
        self.ffi.streams.pump()  # stream chunks roomsim clients sent since
        ready = getattr(loop, "_ready", None)
        quiet = 0
        last = -1
        for _ in range(_MAX_ROUNDS):
            await asyncio.sleep(0)
            if ready is not None:
                quiet = quiet + 1 if len(ready) == 0 else 0
            else:  # a loop without a ready queue (uvloop): count rounds with nothing sent
                quiet = quiet + 1 if self.ffi.sent == last else 0
                last = self.ffi.sent
            if quiet >= (2 if ready is not None else 50):
                break
        else:
            raise NotSettled(
                f"lk.settle(): the event loop was still busy after {_MAX_ROUNDS} rounds; a "
                "task keeps scheduling work (a loop without await on something external?)"
            )


def _check_api_version() -> None:
    low, high = TESTED_API_VERSION
    hint = f"pip install 'roomsim[livekit]' (which pins 'livekit-api>={low},<{high}')"
    try:
        version = metadata.version("livekit-api")
    except metadata.PackageNotFoundError:
        raise UnsupportedVersion(f"serve() needs livekit-api; {hint}") from None
    if not (_release(low) <= _release(version) < _release(high)):
        raise UnsupportedVersion(
            f"serve() was tested with livekit-api {low} up to {high} (excluded), but "
            f"{version} is installed; {hint}"
        )


@asynccontextmanager
async def serve(
    *,
    url: str | None = None,
    api_key: str = "roomsim-api-key",
    api_secret: str = "roomsim-api-secret-that-is-32-bytes-long",
    room_config: RoomConfig | None = None,
    rooms: Mapping[str, RoomConfig] | None = None,
    clock: ManualClock | None = None,
    epoch: float | None = None,
    http: bool = True,
    port: int = 0,
    webhook_urls: Sequence[str] = (),
) -> AsyncIterator[LiveKitServer]:
    """Run ``livekit.rtc`` against roomsim, in this process, for the ``async with`` block.

    ``room_config`` is the config of rooms created on first join (default ``RoomConfig()``);
    ``rooms`` maps a room name to its own config.  ``clock`` is shared by every room (a new
    ``ManualClock`` by default).  ``epoch`` is the Unix time of virtual time 0, against which
    token times are checked (default: the wall clock, read once, here).

    ``http`` (default True) serves LiveKit's server API (RoomService over Twirp) on
    127.0.0.1, on ``port`` (0: a free one), and ``lk.url`` is ``ws://127.0.0.1:<port>``: the
    URL ``rtc.Room.connect`` and ``livekit.api.LiveKitAPI`` both take.  With ``http=False``
    nothing listens and ``lk.url`` is ``url`` (default ``ws://roomsim.invalid``), never
    contacted.  ``webhook_urls`` are POSTed every webhook, signed as LiveKit signs them.

    Refuses (:class:`UnsupportedVersion`) an untested ``livekit`` / ``livekit-protocol`` /
    ``livekit-api``, and (:class:`NativeFfiActive`) a process where ``livekit.rtc`` already
    loaded its native library or another ``serve()`` is running.
    """
    check_versions()
    _check_api_version()
    asyncio.get_running_loop()  # serve() needs the loop the SDK Rooms run on
    current = FfiClient._instance
    if isinstance(current, InProcessFfi):
        raise NativeFfiActive(
            "serve() is already running in this process; one simulated server at a time "
            "(it stands in for livekit.rtc's process-wide FFI client)",
        )
    if current is not None:
        raise NativeFfiActive(
            "livekit.rtc already started its native FFI in this process (something used "
            "livekit.rtc before serve()); serve() cannot stand in for it now. Enter serve() "
            "before creating any rtc.Room, AudioSource or track"
        )
    if room_config is not None and not isinstance(room_config, RoomConfig):
        raise InvalidArgument(f"serve(room_config=...) takes a RoomConfig, got {room_config!r}")
    urls = _check_http_options(url, http, port, webhook_urls)
    server = LiveKitServer(
        url=url or "ws://roomsim.invalid",
        api_key=api_key,
        api_secret=api_secret,
        room_config=room_config if room_config is not None else RoomConfig(),
        rooms=rooms or {},
        clock=clock if clock is not None else ManualClock(),
        epoch=float(int(time.time())) if epoch is None else float(epoch),
    )
    server._webhooks = WebhookSender(server, urls)
    if http:
        server.http = HttpServer(server)
        try:
            server.url = f"ws://127.0.0.1:{await server.http.start(port=port)}"
        except OSError as error:
            await server.http.stop()
            raise InvalidArgument(
                f"serve(port={port}) could not listen on 127.0.0.1:{port} ({error}); pass "
                "port=0 (the default) for a free port"
            ) from None
    FfiClient._instance = server.ffi  # type: ignore[assignment]
    try:
        with capturing() as server.sdk_errors:
            yield server
    finally:
        try:
            await _shutdown(server)
        finally:
            FfiClient._instance = current
            await server._webhooks.close()
            if server.http is not None:
                await server.http.stop()


def _check_http_options(
    url: str | None, http: bool, port: int, webhook_urls: Sequence[str]
) -> tuple[str, ...]:
    if not isinstance(http, bool):
        raise InvalidArgument(f"serve(http=...) takes True or False, got {http!r}")
    if url is not None and http:
        raise InvalidArgument(
            f"serve(url={url!r}): with http=True (the default) lk.url is the address serve() "
            "listens on (choose its port with port=...); pass http=False to use a URL that "
            "is never contacted"
        )
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise InvalidArgument(f"serve(port=...) takes a port number 0..65535, got {port!r}")
    if isinstance(webhook_urls, str):
        raise InvalidArgument(
            f"serve(webhook_urls=...) takes a list of URLs, got the str {webhook_urls!r}; "
            "wrap it: webhook_urls=[url]"
        )
    urls = tuple(webhook_urls)
    for u in urls:
        if not isinstance(u, str) or not u.startswith(("http://", "https://")):
            raise InvalidArgument(
                f"serve(webhook_urls=...) takes http:// or https:// URLs, got {u!r}"
            )
    if urls and not http:
        raise InvalidArgument("serve(webhook_urls=...) needs http=True (the default)")
    return urls


async def _shutdown(server: LiveKitServer) -> None:
    ffi = server.ffi
    with contextlib.suppress(RoomsimError):
        # the block's own outcome wins; what is left is delivered below
        await server.settle()
    ffi.shutdown(DisconnectReason.SERVER_SHUTDOWN)
    for _ in range(3):
        try:
            await server.settle()
            break
        except RoomsimError:
            continue
    # the listen tasks have ended; a Room whose FFI handle stays set would reach for the
    # native library when garbage-collected (Room.__del__), so each one lets go of it
    for sdk_room in list(ffi.rooms):
        sdk_room._ffi_handle = None
    ffi.audio.shutdown()
