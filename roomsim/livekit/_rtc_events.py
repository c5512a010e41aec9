"""One roomsim client event -> the ``RoomEvent`` the Python SDK's Rust core would send.

Shared by :mod:`roomsim.livekit._bridge` (which hands the message to ``Room._on_room_event``
synchronously, with every FFI handle id 0) and :mod:`roomsim.livekit._ffi` (which queues it as an
``FfiEvent`` for the SDK's own listen task, with handles it keeps track of).  What differs
between the two is only how an owned handle and a data buffer are made: the caller passes both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final

from livekit.rtc._proto import ffi_pb2 as _ff
from livekit.rtc._proto import handle_pb2 as _fh
from livekit.rtc._proto import participant_pb2 as _fp
from livekit.rtc._proto import room_pb2 as _fr
from livekit.rtc._proto import track_pb2 as _ft

from roomsim import events as E
from roomsim.client import Client
from roomsim.errors import InternalError
from roomsim.livekit import _rtc_wire as wire
from roomsim.livekit._convert import RoomInfo, rtc_track_info, to_rtc
from roomsim.model import ConnectionQuality, ParticipantSnapshot, PublicationSnapshot

__all__ = ["FED_EVENTS", "MOVE_EVENTS", "ROOMSIM_ONLY_EVENTS", "Encoder", "participant_of"]

#: the roomsim events fed to livekit.rtc (every event livekit.rtc emits)
FED_EVENTS: Final[tuple[type[E.Event], ...]] = tuple(
    cls for cls in E.ALL_EVENTS if "python" in cls.sdks
)
#: the JS-only roomsim events: livekit.rtc has no such event, so they are not fed
ROOMSIM_ONLY_EVENTS: Final[tuple[type[E.Event], ...]] = tuple(
    cls for cls in E.ALL_EVENTS if "python" not in cls.sdks
)

#: what makes an owned handle: (what it is for: "participant", "publication", "track"; the
#: publisher's identity or ""; the track sid or "") -> the handle
Owner = Callable[[str, str, str], _fh.FfiOwnedHandle]
#: what makes the SDK-readable copy of a data packet's bytes
Bufferer = Callable[[bytes], _fr.OwnedBuffer]
#: writes one event into a ``RoomEvent``
Filler = Callable[[Any, _fr.RoomEvent], None]
#: writes one event and a room handle as the ``FfiEvent``, from serialized fragments (``_rtc_wire``)
Writer = Callable[[Any, int], _ff.FfiEvent]


def participant_of(client: Client, identity: str) -> ParticipantSnapshot:
    """The client's view of ``identity`` (its own participant or a remote one)."""
    if identity == client.identity:
        return client.local_participant
    return client.remote_participants[identity]


class Encoder:
    """Turns each event of one client into the fields of a ``RoomEvent`` (without handle).

    ``encode(event)`` returns ``{field: message}``: one oneof field of ``RoomEvent``.  It reads
    the client's view, so it must run while the view is the one right after the event (in the
    client's handler, as roomsim calls it), and it must see every event the client gets.
    """

    #: check the attributes it keeps against the client's view at every use (the tests do)
    verify_mirror: ClassVar[bool] = False

    def __init__(self, client: Client, owned: Owner, buffer: Bufferer) -> None:
        self.client = client
        self.owned = owned
        self.buffer = buffer
        self._encoders: Final[dict[type[E.Event], Callable[[Any], dict[str, Any]]]] = {
            E.ParticipantConnected: self._participant_connected,
            E.ParticipantActive: self._participant_active,
            E.ParticipantDisconnected: self._participant_disconnected,
            E.TrackPublished: self._track_published,
            E.TrackUnpublished: self._track_unpublished,
            E.LocalTrackPublished: self._local_track_published,
            E.LocalTrackUnpublished: self._local_track_unpublished,
            E.LocalTrackSubscribed: self._local_track_subscribed,
            E.LocalTrackRepublished: self._local_track_republished,
            E.TrackSubscribed: self._track_subscribed,
            E.TrackUnsubscribed: self._track_unsubscribed,
            E.TrackSubscriptionFailed: self._track_subscription_failed,
            E.ParticipantPermissionsChanged: self._permissions_changed,
            E.RoomMetadataChanged: self._room_metadata_changed,
            E.ConnectionStateChanged: self._connection_state_changed,
            E.Disconnected: self._disconnected,
            E.Reconnecting: self._reconnecting,
            E.Reconnected: self._reconnected,
            E.TokenRefreshed: self._token_refreshed,
            E.Moved: self._moved,
            E.RoomUpdated: self._room_updated,
        }
        #: the frequent events, written straight into the RoomEvent: building a message and
        #: copying it in costs twice as much (docs/performance.md, fourth session)
        self._fillers: Final[dict[type[E.Event], Filler]] = {
            E.TrackMuted: self._fill_track_muted,
            E.TrackUnmuted: self._fill_track_unmuted,
            E.ParticipantMetadataChanged: self._fill_metadata_changed,
            E.ParticipantNameChanged: self._fill_name_changed,
            E.ParticipantAttributesChanged: self._fill_attributes_changed,
            E.ActiveSpeakersChanged: self._fill_active_speakers_changed,
            E.ConnectionQualityChanged: self._fill_connection_quality_changed,
            E.DataReceived: self._fill_data_received,
        }
        #: the events parsed once from cached serialized fragments (``_rtc_wire``): the attribute
        #: event, where that is cheaper than its filler (the reference and the fallback); a
        #: writer of any other event would first clear the kept attributes, as ``fill`` does
        self._writers: Final[dict[type[E.Event], Writer]] = {
            E.ParticipantAttributesChanged: self._write_attributes_changed,
        }
        #: how many tokens this client was sent (each refresh gets a new opaque one)
        self.refreshes = 0
        #: the room whose local info livekit.rtc was last told (``moved_info``)
        self._told: object = client.room
        #: identity -> its attributes as the client sees them, kept from the changes of an
        #: unbroken run of attribute events (reading the client's view costs more than the
        #: rest of the event); any other event clears it
        self._attributes: dict[str, dict[str, str]] = {}
        missing = [
            cls.name for cls in FED_EVENTS if cls not in self._encoders and cls not in self._fillers
        ]
        if missing:
            raise InternalError(f"roomsim.livekit has no encoder for {missing}; add one")

    @property
    def handled(self) -> frozenset[type[E.Event]]:
        """The event classes it writes (every class in ``FED_EVENTS``)."""
        return frozenset(self._encoders) | frozenset(self._fillers)

    def fill(self, event: E.Event, target: _fr.RoomEvent) -> None:
        """Write ``event`` as the one ``message`` field of ``target`` (not its handle)."""
        cls = type(event)
        if cls is not E.ParticipantAttributesChanged and self._attributes:
            # the kept attributes live through an unbroken run of attribute events only
            self._attributes.clear()
        filler = self._fillers.get(cls)
        if filler is not None:
            filler(event, target)
            return
        for field, message in self._encoders[cls](event).items():
            getattr(target, field).CopyFrom(message)

    def encode(self, event: E.Event) -> dict[str, Any]:
        """``{field: message}``: the ``RoomEvent`` field ``event`` becomes, for a caller that
        assembles the ``RoomEvent`` itself (``Session.room_event``)."""
        target = _fr.RoomEvent()
        self.fill(event, target)
        field = target.WhichOneof("message")
        if field is None:
            raise InternalError(f"roomsim.livekit wrote nothing for {event!r}")
        return {field: getattr(target, field)}

    def room_event(self, event: E.Event, room_handle: int) -> _fr.RoomEvent:
        """The ``RoomEvent`` the Rust core sends for ``event`` (the bridge's)."""
        return _checked(self.ffi_event(event, room_handle).room_event)

    def ffi_event(self, event: E.Event, room_handle: int) -> _ff.FfiEvent:
        """The ``FfiEvent`` carrying it (the facade's): parsed from the fragments its
        writer joins, or written in place by its filler or encoder (also when protobuf refuses a
        string the writer took: the filler's setter says why)."""
        writer = self._writers.get(type(event))
        if writer is not None:
            try:
                return writer(event, room_handle)
            except UnicodeEncodeError:
                pass
        ffi_event = _ff.FfiEvent()
        target = ffi_event.room_event
        target.room_handle = room_handle
        self.fill(event, target)
        if type(event) not in self._fillers:  # a filler sets every field it has
            _checked(target)
        return ffi_event

    # -- messages the FFI layer builds from state ------------------------------------------

    def owned_participant(self, p: ParticipantSnapshot) -> _fp.OwnedParticipant:
        return _fp.OwnedParticipant(
            handle=self.owned("participant", p.identity, ""), info=to_rtc(p)
        )

    def owned_publication(
        self, publisher: str, pub: PublicationSnapshot
    ) -> _ft.OwnedTrackPublication:
        return _ft.OwnedTrackPublication(
            handle=self.owned("publication", publisher, pub.sid), info=to_rtc(pub)
        )

    # -- the events ------------------------------------------------------------------------

    def _participant(self, identity: str) -> ParticipantSnapshot:
        return participant_of(self.client, identity)

    def _participant_connected(self, e: E.ParticipantConnected) -> dict[str, Any]:
        info = self.owned_participant(self._participant(e.participant))
        return {"participant_connected": _fr.ParticipantConnected(info=info)}

    def _participant_active(self, e: E.ParticipantActive) -> dict[str, Any]:
        return {"participant_active": _fr.ParticipantActive(participant_identity=e.participant)}

    def _participant_disconnected(self, e: E.ParticipantDisconnected) -> dict[str, Any]:
        return {
            "participant_disconnected": _fr.ParticipantDisconnected(
                participant_identity=e.participant, disconnect_reason=to_rtc(e.reason)
            )
        }

    def _track_published(self, e: E.TrackPublished) -> dict[str, Any]:
        pub = self._participant(e.participant).track_publications[e.track_sid]
        return {
            "track_published": _fr.TrackPublished(
                participant_identity=e.participant,
                publication=self.owned_publication(e.participant, pub),
            )
        }

    def _track_unpublished(self, e: E.TrackUnpublished) -> dict[str, Any]:
        return {
            "track_unpublished": _fr.TrackUnpublished(
                participant_identity=e.participant, publication_sid=e.track_sid
            )
        }

    def _local_track_published(self, e: E.LocalTrackPublished) -> dict[str, Any]:
        return {"local_track_published": _fr.LocalTrackPublished(track_sid=e.track_sid)}

    def _local_track_unpublished(self, e: E.LocalTrackUnpublished) -> dict[str, Any]:
        return {"local_track_unpublished": _fr.LocalTrackUnpublished(publication_sid=e.track_sid)}

    def _local_track_subscribed(self, e: E.LocalTrackSubscribed) -> dict[str, Any]:
        return {"local_track_subscribed": _fr.LocalTrackSubscribed(track_sid=e.track_sid)}

    def _local_track_republished(self, e: E.LocalTrackRepublished) -> dict[str, Any]:
        pub = self.client.local_participant.track_publications[e.track_sid]
        return {
            "local_track_republished": _fr.LocalTrackRepublished(
                publication_handle=self.owned("publication", self.client.identity, pub.sid).id,
                previous_sid=e.previous_sid,
                info=to_rtc(pub),
            )
        }

    def _track_subscribed(self, e: E.TrackSubscribed) -> dict[str, Any]:
        pub = self._participant(e.participant).track_publications[e.track_sid]
        track = _ft.OwnedTrack(
            handle=self.owned("track", e.participant, e.track_sid),
            info=rtc_track_info(pub, remote=True),
        )
        return {
            "track_subscribed": _fr.TrackSubscribed(participant_identity=e.participant, track=track)
        }

    def _track_unsubscribed(self, e: E.TrackUnsubscribed) -> dict[str, Any]:
        return {
            "track_unsubscribed": _fr.TrackUnsubscribed(
                participant_identity=e.participant, track_sid=e.track_sid
            )
        }

    def _track_subscription_failed(self, e: E.TrackSubscriptionFailed) -> dict[str, Any]:
        return {
            "track_subscription_failed": _fr.TrackSubscriptionFailed(
                participant_identity=e.participant, track_sid=e.track_sid, error=e.error
            )
        }

    def _current_attributes(self, e: E.ParticipantAttributesChanged) -> Mapping[str, str]:
        current = self._attributes.get(e.participant)
        if current is None:
            current = self._attributes[e.participant] = dict(
                self._participant(e.participant).attributes
            )
        else:
            # as the server merges an update: a changed key keeps its place, a new one goes
            # last, "" removes it
            for k, v in e.changed_attributes.items():
                if v:
                    current[k] = v
                else:
                    current.pop(k, None)
            if self.verify_mirror:
                seen = self._participant(e.participant).attributes
                if list(seen.items()) != list(current.items()):
                    raise InternalError(
                        f"roomsim.livekit's attributes of {e.participant!r} are "
                        f"{current!r}, the client sees {dict(seen)!r}"
                    )
        return current

    def _permissions_changed(self, e: E.ParticipantPermissionsChanged) -> dict[str, Any]:
        return {
            "participant_permission_changed": _fr.ParticipantPermissionChanged(
                participant_identity=e.participant, permission=to_rtc(e.permissions)
            )
        }

    # -- the frequent events, written in place --------------------------------------------

    def _fill_track_muted(self, e: E.TrackMuted, t: _fr.RoomEvent) -> None:
        m = t.track_muted
        m.participant_identity = e.participant
        m.track_sid = e.track_sid

    def _fill_track_unmuted(self, e: E.TrackUnmuted, t: _fr.RoomEvent) -> None:
        m = t.track_unmuted
        m.participant_identity = e.participant
        m.track_sid = e.track_sid

    def _fill_metadata_changed(self, e: E.ParticipantMetadataChanged, t: _fr.RoomEvent) -> None:
        m = t.participant_metadata_changed
        m.participant_identity = e.participant
        m.metadata = e.new_metadata

    def _fill_name_changed(self, e: E.ParticipantNameChanged, t: _fr.RoomEvent) -> None:
        m = t.participant_name_changed
        m.participant_identity = e.participant
        m.name = e.new_name

    def _fill_attributes_changed(self, e: E.ParticipantAttributesChanged, t: _fr.RoomEvent) -> None:
        # the FFI event carries the changed keys and the whole current map (client §2)
        m = t.participant_attributes_changed
        m.participant_identity = e.participant
        add = m.attributes.add
        for k, v in self._current_attributes(e).items():
            add(key=k, value=v)
        add = m.changed_attributes.add
        for k, v in e.changed_attributes.items():
            add(key=k, value=v)

    def _fill_active_speakers_changed(self, e: E.ActiveSpeakersChanged, t: _fr.RoomEvent) -> None:
        m = t.active_speakers_changed
        m.SetInParent()  # present even when nobody speaks
        m.participant_identities.extend(e.speakers)

    def _fill_connection_quality_changed(
        self, e: E.ConnectionQualityChanged, t: _fr.RoomEvent
    ) -> None:
        if e.quality is ConnectionQuality.UNKNOWN:
            raise InternalError(
                f"{e!r}: LiveKit never sends an UNKNOWN quality (client §7; the FFI "
                "enum has no number for it)"
            )
        m = t.connection_quality_changed
        m.participant_identity = e.participant
        m.quality = to_rtc(e.quality)

    def _fill_data_received(self, e: E.DataReceived, t: _fr.RoomEvent) -> None:
        m = t.data_packet_received
        m.kind = to_rtc(e.kind)
        m.participant_identity = e.participant or ""
        user = m.user
        user.data.CopyFrom(self.buffer(e.data))
        if e.topic is not None:
            user.topic = e.topic

    # -- the same, from serialized fragments (``_rtc_wire``) -----------------------------------

    def _write_attributes_changed(self, e: E.ParticipantAttributesChanged, h: int) -> _ff.FfiEvent:
        current = self._current_attributes(e)
        return wire.attributes_changed(h, e.participant, current, e.changed_attributes)

    def _room_metadata_changed(self, e: E.RoomMetadataChanged) -> dict[str, Any]:
        return {"room_metadata_changed": _fr.RoomMetadataChanged(metadata=e.new_metadata)}

    def _connection_state_changed(self, e: E.ConnectionStateChanged) -> dict[str, Any]:
        return {"connection_state_changed": _fr.ConnectionStateChanged(state=to_rtc(e.state))}

    def _disconnected(self, e: E.Disconnected) -> dict[str, Any]:
        return {"disconnected": _fr.Disconnected(reason=to_rtc(e.reason))}

    # faults (faults §2.2, §7): livekit.rtc emits these with no arguments

    def _reconnecting(self, e: E.Reconnecting) -> dict[str, Any]:
        return {"reconnecting": _fr.Reconnecting()}

    def _reconnected(self, e: E.Reconnected) -> dict[str, Any]:
        return {"reconnected": _fr.Reconnected()}

    def _token_refreshed(self, e: E.TokenRefreshed) -> dict[str, Any]:
        # livekit.rtc keeps it as ``room._token``; roomsim signs nothing, so the token is an
        # opaque string that changes with every refresh
        self.refreshes += 1
        client = self.client
        token = f"roomsim-refreshed:{client.room.name}:{client.identity}:{self.refreshes}"
        return {"token_refreshed": _fr.TokenRefreshed(token=token)}

    # a move (faults §5): livekit.rtc takes the new room's info from both (``room.name``)

    def _room_updated(self, e: E.RoomUpdated) -> dict[str, Any]:
        return {"room_updated": to_rtc(RoomInfo.of(self.client.room))}

    def _moved(self, e: E.Moved) -> dict[str, Any]:
        return {"moved": to_rtc(RoomInfo.of(self.client.room))}

    def moved_info(self) -> dict[str, Any] | None:
        """``local_info()`` once per move, at the first of its ``MOVE_EVENTS``: Rust
        ``handle_room_moved`` sends it right after the token, before the departures and
        arrivals (faults §5.1); a profile without ``token_refreshed`` gets it before ``moved``.
        ``None`` when the client has not moved since it was last told."""
        if self.client.room is self._told:
            return None
        self._told = self.client.room
        return self.local_info()

    def local_info(self) -> dict[str, Any]:
        """``participants_updated`` with the client's own info (its new sid after a move):
        the Rust core dispatches it in ``handle_room_moved``, and livekit.rtc replaces its
        local participant's info with it, silently (faults §5)."""
        info = to_rtc(self.client.local_participant)
        return {"participants_updated": _fr.ParticipantsUpdated(participants=[info])}


#: the events of a move at which ``Encoder.moved_info`` may tell livekit.rtc its new info
MOVE_EVENTS: Final = frozenset({E.TokenRefreshed, E.Moved})


def ffi_room_event(room_handle: int, fields: dict[str, Any]) -> _ff.FfiEvent:
    """An ``FfiEvent`` carrying the ``RoomEvent`` of ``fields`` ({field: message}), which the
    FFI layer sends without a roomsim event (end of stream, the server going away)."""
    event = _ff.FfiEvent()
    target = event.room_event
    target.room_handle = room_handle
    for field, message in fields.items():
        getattr(target, field).CopyFrom(message)
    _checked(target)
    return event


def _checked(event: _fr.RoomEvent) -> _fr.RoomEvent:
    """Refuses a ``RoomEvent`` the FFI layer would not send (proto2 required fields)."""
    if not event.IsInitialized():
        missing = ", ".join(event.FindInitializationErrors())  # type: ignore[attr-defined]
        raise InternalError(f"the RoomEvent built for the SDK lacks required {missing}")
    return event
