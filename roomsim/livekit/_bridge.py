"""``rtc_room(client)``: a real ``livekit.rtc.Room`` fed one roomsim client's events.

The Room is wired as ``Room.connect()`` wires it (client §14): its ``RoomInfo``, a
``LocalParticipant``, the remote participants the client knows with their publications, the
subscriptions and the connection qualities already known.  Then each later event of the
client is turned into the ``RoomEvent`` the SDK's FFI layer would send and handed to the SDK's
own ``Room._on_room_event``, synchronously, inside the roomsim call that produced it.  So the
SDK updates its state and calls the handlers registered with ``sdk_room.on(...)`` with its own
objects and arguments.

Nothing here loads the native library: every FFI handle is id 0 (its dispose is a no-op) and
``FfiClient.instance`` is never touched.  The Room keeps ``_ffi_handle = None`` (otherwise its
``__del__`` would load the library), so ``isconnected`` is answered from the connection state
and ``disconnect`` is refused: calls from the SDK to a server are not bridged.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import types
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
from livekit import rtc
from livekit.rtc._proto import handle_pb2 as _fh
from livekit.rtc._proto import participant_pb2 as _fp
from livekit.rtc._proto import room_pb2 as _fr
from livekit.rtc._proto import track_pb2 as _ft

from roomsim import events as E
from roomsim.client import Client
from roomsim.errors import ClientDisconnected, InvalidArgument, InvalidType, RoomsimError
from roomsim.livekit._convert import RoomInfo, rtc_track_info, to_rtc
from roomsim.livekit._rtc_events import (
    FED_EVENTS,
    MOVE_EVENTS,
    ROOMSIM_ONLY_EVENTS,
    Encoder,
    ffi_room_event,
)
from roomsim.livekit._sdk_errors import capturing
from roomsim.livekit._versions import check_versions
from roomsim.model import (
    ConnectionQuality,
    ConnectionState,
    ParticipantSnapshot,
    PublicationSnapshot,
    TrackKind,
)

__all__ = ["NotBridged", "rtc_room", "FED_EVENTS", "ROOMSIM_ONLY_EVENTS"]


class NotBridged(RoomsimError, NotImplementedError):
    """A call from the SDK to a server; the bridge feeds events one way only."""

    default_code = "not_bridged"


def _owned_handle() -> _fh.FfiOwnedHandle:
    # id 0 is INVALID_HANDLE: FfiHandle.dispose() is a no-op for it (client §14)
    return _fh.FfiOwnedHandle(id=0)


def _owned(what: str, identity: str, sid: str) -> _fh.FfiOwnedHandle:
    return _owned_handle()


@contextlib.contextmanager
def _loop_bound(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Make SDK constructors that call ``asyncio.Future()`` bind to ``loop``.

    Outside a running loop, ``asyncio.Future()`` asks ``get_event_loop()``, which warns (3.12+)
    or fails (3.14+); marking ``loop`` as running for the constructor's duration avoids both.
    """
    if asyncio._get_running_loop() is not None:
        yield
        return
    asyncio._set_running_loop(loop)
    try:
        yield
    finally:
        asyncio._set_running_loop(None)


def _isconnected(self: rtc.Room) -> bool:
    return bool(self.connection_state != _fr.ConnectionState.CONN_DISCONNECTED)


async def _disconnect(self: rtc.Room, **kwargs: Any) -> None:
    raise NotBridged(
        "rtc_room(...).disconnect() would ask a server to end the session; the bridge feeds "
        "events one way only. Call the roomsim client's disconnect() instead"
    )


class Bridge:
    """The link from one roomsim client to one SDK Room (what ``rtc_room`` returns the Room of).

    ``errors`` holds what the SDK raised while an event was fed (it is also raised, so the
    roomsim verb raises ``HandlerError``); ``detach()`` stops the feed.
    """

    def __init__(
        self,
        client: Client,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        on: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(client, Client):
            raise InvalidType(
                f"rtc_room() takes a roomsim Client (from room.connect), got {client!r} "
                f"(type {type(client).__name__})"
            )
        check_versions()
        if client.sdk != "python":
            raise InvalidArgument(
                f"rtc_room({client.identity!r}): the client imitates the {client.sdk!r} SDK, "
                "and livekit.rtc emits the python SDK's events; connect it with "
                "room.connect(..., sdk='python') (the default) to mirror it in livekit.rtc"
            )
        if client.connection_state is ConnectionState.DISCONNECTED:
            raise ClientDisconnected(
                f"rtc_room({client.identity!r}): the client's session has ended; a bridge "
                "mirrors a connected client",
                code="DISCONNECTED",
            )
        self.client = client
        self.errors: list[BaseException] = []
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = asyncio.new_event_loop()
                self._own_loop: asyncio.AbstractEventLoop | None = loop
            else:
                self._own_loop = None
        else:
            self._own_loop = None
        self.loop = loop
        # the buffers of data packets being fed (the SDK copies them during the feed)
        self._buffers: list[ctypes.Array[ctypes.c_char]] = []
        self._encoder = Encoder(client, _owned, self._buffer)
        # register first: the client catches up, and later events reach _feed (design §1)
        self._handlers: list[tuple[str, Callable[[Any], None]]] = []
        for cls in FED_EVENTS:
            self._handlers.append((cls.name, self._feed))
            client.on(cls.name, self._feed)
        # with on=: the SDK handlers are attached first, and the subscriptions the client got at
        # its join reach them as track_subscribed, as they do after a real connect() (client §13)
        replay = on is not None
        try:
            with _loop_bound(loop):
                self.room = self._build(subscribed=not replay)
                if on is not None:
                    for name, handlers in on.items():
                        for h in handlers if isinstance(handlers, list | tuple) else (handlers,):
                            self.room.on(name, h)  # type: ignore[arg-type]
                    for p in client.remote_participants.values():
                        for pub in p.track_publications.values():
                            if pub.subscribed:
                                self._feed(
                                    E.TrackSubscribed(participant=p.identity, track_sid=pub.sid)
                                )
        except BaseException:
            self.detach()
            if self._own_loop is not None:
                self._own_loop.close()
            raise
        if self._own_loop is not None:
            weakref.finalize(self.room, self._own_loop.close)

    # ----------------------------------------------------------------------------------------
    # the state connect() sets up (client §13, §14)

    def _build(self, *, subscribed: bool = True) -> rtc.Room:
        client = self.client
        self.room = room = rtc.Room(loop=self.loop)
        info = RoomInfo.of(client.room)
        room._info = to_rtc(attrs.evolve(info, metadata=client.room_metadata))
        room._resolve_first_sid(info.sid)
        room._connection_state = _fr.ConnectionState.CONN_CONNECTED
        room.isconnected = types.MethodType(_isconnected, room)  # type: ignore[method-assign]
        room.disconnect = types.MethodType(_disconnect, room)  # type: ignore[method-assign]
        me = client.local_participant
        local = rtc.LocalParticipant(
            room._room_queue, _fp.OwnedParticipant(handle=_owned_handle(), info=to_rtc(me))
        )
        room._local_participant = local
        self._set_quality(local, me)
        for pub in me.track_publications.values():
            lpub = self._local_publication(pub)
            track = lpub.track
            assert track is not None
            track._set_room(room)
        for p in client.remote_participants.values():
            rp = room._create_remote_participant(
                _fp.OwnedParticipant(handle=_owned_handle(), info=to_rtc(p))
            )
            self._set_quality(rp, p)
            for pub in p.track_publications.values():
                rpub = rtc.RemoteTrackPublication(
                    _ft.OwnedTrackPublication(handle=_owned_handle(), info=to_rtc(pub))
                )
                rp._track_publications[rpub.sid] = rpub
                if pub.subscribed and subscribed:
                    rtrack = self._remote_track(pub)
                    rtrack._set_room(room)
                    rpub._track = rtrack
                    rpub._subscribed = True
        return room

    @staticmethod
    def _set_quality(p: rtc.Participant, snap: ParticipantSnapshot) -> None:
        if snap.connection_quality is not ConnectionQuality.UNKNOWN:
            p._connection_quality = rtc.ConnectionQuality(to_rtc(snap.connection_quality))

    def _local_publication(self, pub: PublicationSnapshot) -> rtc.LocalTrackPublication:
        """A LocalTrackPublication with its LocalTrack, stored as publish_track() stores it."""
        owned = _ft.OwnedTrack(handle=_owned_handle(), info=rtc_track_info(pub, remote=False))
        track: rtc.LocalAudioTrack | rtc.LocalVideoTrack
        if pub.kind is TrackKind.AUDIO:
            track = rtc.LocalAudioTrack(owned)
        else:
            track = rtc.LocalVideoTrack(owned)
        with _loop_bound(self.loop):
            lpub = rtc.LocalTrackPublication(
                _ft.OwnedTrackPublication(handle=_owned_handle(), info=to_rtc(pub))
            )
        lpub._track = track
        track._info.sid = lpub.sid
        self.room.local_participant._track_publications[lpub.sid] = lpub
        return lpub

    @staticmethod
    def _remote_track(pub: PublicationSnapshot) -> rtc.RemoteAudioTrack | rtc.RemoteVideoTrack:
        owned = _ft.OwnedTrack(handle=_owned_handle(), info=rtc_track_info(pub, remote=True))
        if pub.kind is TrackKind.AUDIO:
            return rtc.RemoteAudioTrack(owned)
        return rtc.RemoteVideoTrack(owned)

    # ----------------------------------------------------------------------------------------
    # the feed

    def detach(self) -> None:
        """Stop feeding the SDK Room (the client keeps running)."""
        for name, h in self._handlers:
            self.client.off(name, h)
        self._handlers = []

    def _feed(self, event: E.Event) -> None:
        try:
            if type(event) is E.LocalTrackPublished:
                # publish_track() stores the publication before the FFI event arrives
                self._local_publication(
                    self.client.local_participant.track_publications[event.track_sid]
                )
            with capturing() as sdk_errors:
                if type(event) in MOVE_EVENTS and (info := self._encoder.moved_info()):
                    # its new sid, silently: after the token, else before ``moved`` (faults §5.1)
                    told = [self._encoder.room_event(event, 0), ffi_room_event(0, info).room_event]
                    for e in told if type(event) is E.TokenRefreshed else reversed(told):
                        self.room._on_room_event(e)
                else:
                    self.room._on_room_event(self._encoder.room_event(event, 0))
            failed = sdk_errors.take(self.client.identity)
            if failed is not None and self.client.room.config.handler_errors == "raise":
                # a livekit.rtc handler raised (the SDK only logged it): the roomsim verb
                # that caused the event raises HandlerError, as for roomsim's own handlers
                raise failed.failures[0].exception
        except BaseException as exc:
            exc.add_note(
                f"roomsim.livekit: while feeding {event!r} of client {self.client.identity!r} "
                "to its livekit.rtc.Room"
            )
            self.errors.append(exc)
            raise
        finally:
            self._buffers.clear()

    def _buffer(self, data: bytes) -> _fr.OwnedBuffer:
        # the SDK copies the bytes from a native pointer; point it at a buffer kept alive
        # until the event has been fed
        buf = ctypes.create_string_buffer(data, len(data) or 1)
        self._buffers.append(buf)
        return _fr.OwnedBuffer(
            handle=_owned_handle(),
            data=_fr.BufferInfo(data_ptr=ctypes.addressof(buf), data_len=len(data)),
        )


#: id(sdk Room) -> its bridge, for as long as the bridge lives (the client's handlers hold it)
_BRIDGES: weakref.WeakValueDictionary[int, Bridge] = weakref.WeakValueDictionary()


def rtc_room(
    client: Client,
    *,
    loop: asyncio.AbstractEventLoop | None = None,
    on: Mapping[str, Any] | None = None,
) -> rtc.Room:
    """A real ``livekit.rtc.Room`` that mirrors ``client``, fed each of its later events.

    The Room starts as ``connect()`` leaves one (the participants the client knows, their
    publications, its subscriptions and the qualities it knows); every later event of the
    client reaches the Room synchronously, inside the roomsim call that produced it, as the
    ``RoomEvent`` the SDK's FFI layer would send, so ``sdk_room.on(...)`` handlers fire with the
    SDK's own objects.  The JS-only events (``ROOMSIM_ONLY_EVENTS``) are not fed.

    ``on`` maps SDK event names to a handler (or a list) attached before the client's join-time
    subscriptions are fed as ``track_subscribed``, as an app's handlers see them after a real
    ``connect()``.  ``loop`` is the Room's event loop: by default the running one, else a
    private loop that is closed with the Room.  Raises :class:`UnsupportedVersion` for an
    untested ``livekit``.
    """
    bridge = Bridge(client, loop=loop, on=on)
    _BRIDGES[id(bridge.room)] = bridge
    return bridge.room


def bridge_of(sdk_room: rtc.Room) -> Bridge:
    """The :class:`Bridge` behind a Room made by :func:`rtc_room`."""
    bridge = _BRIDGES.get(id(sdk_room))
    if bridge is None or bridge.room is not sdk_room:
        raise InvalidType(f"{sdk_room!r} was not made by roomsim.livekit.rtc_room()")
    return bridge
