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
from collections.abc import Callable, Iterator
from typing import Any, Final

import attrs
from livekit import rtc
from livekit.rtc._proto import handle_pb2 as _fh
from livekit.rtc._proto import participant_pb2 as _fp
from livekit.rtc._proto import room_pb2 as _fr
from livekit.rtc._proto import track_pb2 as _ft

from roomsim import events as E
from roomsim.client import Client
from roomsim.errors import ClientDisconnected, InternalError, InvalidType, RoomsimError
from roomsim.livekit._convert import RoomInfo, rtc_track_info, to_rtc
from roomsim.livekit._versions import check_versions
from roomsim.model import (
    ConnectionQuality,
    ConnectionState,
    ParticipantSnapshot,
    PublicationSnapshot,
    TrackKind,
)

__all__ = ["NotBridged", "rtc_room", "FED_EVENTS", "ROOMSIM_ONLY_EVENTS"]

#: the roomsim events the bridge feeds (every event livekit.rtc emits)
FED_EVENTS: Final[tuple[type[E.Event], ...]] = tuple(
    cls for cls in E.ALL_EVENTS if cls.sdk == "python"
)
#: the JS-only roomsim events: livekit.rtc has no such event, so they are not fed
ROOMSIM_ONLY_EVENTS: Final[tuple[type[E.Event], ...]] = tuple(
    cls for cls in E.ALL_EVENTS if cls.sdk != "python"
)


class NotBridged(RoomsimError, NotImplementedError):
    """A call from the SDK to a server; the bridge feeds events one way only."""

    default_code = "not_bridged"


def _owned_handle() -> _fh.FfiOwnedHandle:
    # id 0 is INVALID_HANDLE: FfiHandle.dispose() is a no-op for it (client §14)
    return _fh.FfiOwnedHandle(id=0)


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

    def __init__(self, client: Client, *, loop: asyncio.AbstractEventLoop | None = None) -> None:
        if not isinstance(client, Client):
            raise InvalidType(
                f"rtc_room() takes a roomsim Client (from room.connect), got {client!r} "
                f"(type {type(client).__name__})"
            )
        check_versions()
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
        self._feeders: Final[dict[type[E.Event], Callable[[Any], None]]] = {
            E.ParticipantConnected: self._participant_connected,
            E.ParticipantActive: self._participant_active,
            E.ParticipantDisconnected: self._participant_disconnected,
            E.TrackPublished: self._track_published,
            E.TrackUnpublished: self._track_unpublished,
            E.LocalTrackPublished: self._local_track_published,
            E.LocalTrackUnpublished: self._local_track_unpublished,
            E.LocalTrackSubscribed: self._local_track_subscribed,
            E.TrackSubscribed: self._track_subscribed,
            E.TrackUnsubscribed: self._track_unsubscribed,
            E.TrackSubscriptionFailed: self._track_subscription_failed,
            E.TrackMuted: self._track_muted,
            E.TrackUnmuted: self._track_unmuted,
            E.ParticipantMetadataChanged: self._metadata_changed,
            E.ParticipantNameChanged: self._name_changed,
            E.ParticipantAttributesChanged: self._attributes_changed,
            E.ParticipantPermissionsChanged: self._permissions_changed,
            E.ActiveSpeakersChanged: self._active_speakers_changed,
            E.ConnectionQualityChanged: self._connection_quality_changed,
            E.RoomMetadataChanged: self._room_metadata_changed,
            E.DataReceived: self._data_received,
            E.ConnectionStateChanged: self._connection_state_changed,
            E.Disconnected: self._disconnected,
        }
        missing = [cls.name for cls in FED_EVENTS if cls not in self._feeders]
        if missing:
            raise InternalError(f"roomsim.livekit has no feeder for {missing}; add one")
        # register first: the client catches up, and later events reach _feed (design §1)
        self._handlers: list[tuple[str, Callable[[Any], None]]] = []
        for cls in FED_EVENTS:
            self._handlers.append((cls.name, self._feed))
            client.on(cls.name, self._feed)
        try:
            with _loop_bound(loop):
                self.room = self._build()
        except BaseException:
            self.detach()
            if self._own_loop is not None:
                self._own_loop.close()
            raise
        if self._own_loop is not None:
            weakref.finalize(self.room, self._own_loop.close)

    # ----------------------------------------------------------------------------------------
    # the state connect() sets up (client §13, §14)

    def _build(self) -> rtc.Room:
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
                if pub.subscribed:
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

    def _participant(self, identity: str) -> ParticipantSnapshot:
        client = self.client
        if identity == client.identity:
            return client.local_participant
        return client.remote_participants[identity]

    def _feed(self, event: E.Event) -> None:
        try:
            self._feeders[type(event)](event)
        except BaseException as exc:
            exc.add_note(
                f"roomsim.livekit: while feeding {event!r} of client {self.client.identity!r} "
                "to its livekit.rtc.Room"
            )
            self.errors.append(exc)
            raise

    def _send(self, **field: Any) -> None:
        event = _fr.RoomEvent(room_handle=0, **field)
        if not event.IsInitialized():  # the FFI layer only sends complete (proto2) messages
            missing = ", ".join(event.FindInitializationErrors())  # type: ignore[attr-defined]
            raise InternalError(f"the RoomEvent built for the SDK lacks required {missing}")
        self.room._on_room_event(event)

    def _participant_connected(self, e: E.ParticipantConnected) -> None:
        info = to_rtc(self._participant(e.participant))
        self._send(
            participant_connected=_fr.ParticipantConnected(
                info=_fp.OwnedParticipant(handle=_owned_handle(), info=info)
            )
        )

    def _participant_active(self, e: E.ParticipantActive) -> None:
        self._send(participant_active=_fr.ParticipantActive(participant_identity=e.participant))

    def _participant_disconnected(self, e: E.ParticipantDisconnected) -> None:
        self._send(
            participant_disconnected=_fr.ParticipantDisconnected(
                participant_identity=e.participant, disconnect_reason=to_rtc(e.reason)
            )
        )

    def _track_published(self, e: E.TrackPublished) -> None:
        pub = self._participant(e.participant).track_publications[e.track_sid]
        self._send(
            track_published=_fr.TrackPublished(
                participant_identity=e.participant,
                publication=_ft.OwnedTrackPublication(handle=_owned_handle(), info=to_rtc(pub)),
            )
        )

    def _track_unpublished(self, e: E.TrackUnpublished) -> None:
        self._send(
            track_unpublished=_fr.TrackUnpublished(
                participant_identity=e.participant, publication_sid=e.track_sid
            )
        )

    def _local_track_published(self, e: E.LocalTrackPublished) -> None:
        # publish_track() stores the publication before the FFI event arrives
        pub = self.client.local_participant.track_publications[e.track_sid]
        self._local_publication(pub)
        self._send(local_track_published=_fr.LocalTrackPublished(track_sid=e.track_sid))

    def _local_track_unpublished(self, e: E.LocalTrackUnpublished) -> None:
        self._send(local_track_unpublished=_fr.LocalTrackUnpublished(publication_sid=e.track_sid))

    def _local_track_subscribed(self, e: E.LocalTrackSubscribed) -> None:
        self._send(local_track_subscribed=_fr.LocalTrackSubscribed(track_sid=e.track_sid))

    def _track_subscribed(self, e: E.TrackSubscribed) -> None:
        pub = self._participant(e.participant).track_publications[e.track_sid]
        info = rtc_track_info(pub, remote=True)
        self._send(
            track_subscribed=_fr.TrackSubscribed(
                participant_identity=e.participant,
                track=_ft.OwnedTrack(handle=_owned_handle(), info=info),
            )
        )

    def _track_unsubscribed(self, e: E.TrackUnsubscribed) -> None:
        self._send(
            track_unsubscribed=_fr.TrackUnsubscribed(
                participant_identity=e.participant, track_sid=e.track_sid
            )
        )

    def _track_subscription_failed(self, e: E.TrackSubscriptionFailed) -> None:
        self._send(
            track_subscription_failed=_fr.TrackSubscriptionFailed(
                participant_identity=e.participant, track_sid=e.track_sid, error=e.error
            )
        )

    def _track_muted(self, e: E.TrackMuted) -> None:
        self._send(
            track_muted=_fr.TrackMuted(participant_identity=e.participant, track_sid=e.track_sid)
        )

    def _track_unmuted(self, e: E.TrackUnmuted) -> None:
        self._send(
            track_unmuted=_fr.TrackUnmuted(
                participant_identity=e.participant, track_sid=e.track_sid
            )
        )

    def _metadata_changed(self, e: E.ParticipantMetadataChanged) -> None:
        self._send(
            participant_metadata_changed=_fr.ParticipantMetadataChanged(
                participant_identity=e.participant, metadata=e.new_metadata
            )
        )

    def _name_changed(self, e: E.ParticipantNameChanged) -> None:
        self._send(
            participant_name_changed=_fr.ParticipantNameChanged(
                participant_identity=e.participant, name=e.new_name
            )
        )

    def _attributes_changed(self, e: E.ParticipantAttributesChanged) -> None:
        # the FFI event carries the changed keys and the whole current map (client §2)
        current = self._participant(e.participant).attributes
        self._send(
            participant_attributes_changed=_fr.ParticipantAttributesChanged(
                participant_identity=e.participant,
                attributes=[_fr.AttributesEntry(key=k, value=v) for k, v in current.items()],
                changed_attributes=[
                    _fr.AttributesEntry(key=k, value=v) for k, v in e.changed_attributes.items()
                ],
            )
        )

    def _permissions_changed(self, e: E.ParticipantPermissionsChanged) -> None:
        self._send(
            participant_permission_changed=_fr.ParticipantPermissionChanged(
                participant_identity=e.participant, permission=to_rtc(e.permissions)
            )
        )

    def _active_speakers_changed(self, e: E.ActiveSpeakersChanged) -> None:
        self._send(
            active_speakers_changed=_fr.ActiveSpeakersChanged(
                participant_identities=list(e.speakers)
            )
        )

    def _connection_quality_changed(self, e: E.ConnectionQualityChanged) -> None:
        if e.quality is ConnectionQuality.UNKNOWN:
            raise InternalError(
                f"{e!r}: LiveKit never sends an UNKNOWN quality (client §7; the FFI "
                "enum has no number for it)"
            )
        self._send(
            connection_quality_changed=_fr.ConnectionQualityChanged(
                participant_identity=e.participant, quality=to_rtc(e.quality)
            )
        )

    def _room_metadata_changed(self, e: E.RoomMetadataChanged) -> None:
        self._send(room_metadata_changed=_fr.RoomMetadataChanged(metadata=e.new_metadata))

    def _data_received(self, e: E.DataReceived) -> None:
        # the SDK copies the bytes from a native pointer; point it at a buffer we keep alive
        buf = ctypes.create_string_buffer(e.data, len(e.data) or 1)
        user = _fr.UserPacket(
            data=_fr.OwnedBuffer(
                handle=_owned_handle(),
                data=_fr.BufferInfo(data_ptr=ctypes.addressof(buf), data_len=len(e.data)),
            )
        )
        if e.topic is not None:
            user.topic = e.topic
        self._send(
            data_packet_received=_fr.DataPacketReceived(
                kind=to_rtc(e.kind), participant_identity=e.participant or "", user=user
            )
        )
        del buf

    def _connection_state_changed(self, e: E.ConnectionStateChanged) -> None:
        self._send(connection_state_changed=_fr.ConnectionStateChanged(state=to_rtc(e.state)))

    def _disconnected(self, e: E.Disconnected) -> None:
        self._send(disconnected=_fr.Disconnected(reason=to_rtc(e.reason)))


#: id(sdk Room) -> its bridge, for as long as the bridge lives (the client's handlers hold it)
_BRIDGES: weakref.WeakValueDictionary[int, Bridge] = weakref.WeakValueDictionary()


def rtc_room(client: Client, *, loop: asyncio.AbstractEventLoop | None = None) -> rtc.Room:
    """A real ``livekit.rtc.Room`` that mirrors ``client``, fed each of its later events.

    The Room starts as ``connect()`` leaves one (the participants the client knows, their
    publications, its subscriptions and the qualities it knows); every later event of the
    client reaches the Room synchronously, inside the roomsim call that produced it, as the
    ``RoomEvent`` the SDK's FFI layer would send, so ``sdk_room.on(...)`` handlers fire with the
    SDK's own objects.  The JS-only events (``ROOMSIM_ONLY_EVENTS``) are not fed.

    ``loop`` is the Room's event loop: by default the running one, else a private loop that is
    closed with the Room.  Raises :class:`UnsupportedVersion` for an untested ``livekit``.
    """
    bridge = Bridge(client, loop=loop)
    _BRIDGES[id(bridge.room)] = bridge
    return bridge.room


def bridge_of(sdk_room: rtc.Room) -> Bridge:
    """The :class:`Bridge` behind a Room made by :func:`rtc_room`."""
    bridge = _BRIDGES.get(id(sdk_room))
    if bridge is None or bridge.room is not sdk_room:
        raise InvalidType(f"{sdk_room!r} was not made by roomsim.livekit.rtc_room()")
    return bridge
