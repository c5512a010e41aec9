"""RoomService, the server API LiveKit serves over Twirp, answered from roomsim rooms.

One function per method: it checks the caller's grants as ``pkg/service/roomservice.go`` and
``auth.go`` do, looks the room and participant up as ``roommanager.go`` does, then calls the
roomsim verb of the same meaning.  Every refusal is a :class:`TwirpError` raised before the
verb runs, or the verb's own roomsim error (which changes nothing), so a refused call leaves
the room as it was.  The HTTP side (routes, bodies, the auth header) is ``_http.py``.

Differences from a LiveKit server (``docs/howto/server-api.md`` lists them): the size limits
of ``UpdateParticipant`` and ``UpdateRoomMetadata`` are checked by the room after the grant
(LiveKit checks them first), and ``MutePublishedTrack`` / ``UpdateSubscriptions`` for an
unknown participant answer ``not_found`` at once (LiveKit's request finds no participant
handler and waits for the message bus to time out).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs
from google.protobuf.message import Message
from livekit.api.access_token import Claims, VideoGrants
from livekit.protocol import models as _pm
from livekit.protocol import room as _pr

from roomsim.errors import HandlerError, RoomsimError
from roomsim.livekit._convert import RoomInfo, from_proto, to_proto
from roomsim.model import ParticipantSnapshot

if TYPE_CHECKING:
    from roomsim.livekit._serve import LiveKitServer
    from roomsim.room import Room

__all__ = ["TwirpError", "METHODS", "HTTP_STATUS", "room_proto"]

#: twirp's ServerHTTPStatusFromErrorCode
HTTP_STATUS: Final = {
    "canceled": 408,
    "unknown": 500,
    "invalid_argument": 400,
    "malformed": 400,
    "deadline_exceeded": 408,
    "not_found": 404,
    "bad_route": 404,
    "already_exists": 409,
    "permission_denied": 403,
    "unauthenticated": 401,
    "resource_exhausted": 429,
    "failed_precondition": 412,
    "aborted": 409,
    "out_of_range": 400,
    "unimplemented": 501,
    "internal": 500,
    "unavailable": 503,
    "dataloss": 500,
}

#: roomsim error codes (``RoomsimError.code``) as the Twirp codes LiveKit answers with
_FROM_ROOMSIM: Final = {
    "LIMIT_EXCEEDED": "invalid_argument",
    "NOT_ALLOWED": "permission_denied",
    "ROOM_CLOSED": "not_found",
    "JOIN_FAILURE": "failed_precondition",
    "DISCONNECTED": "not_found",
}


class TwirpError(Exception):
    """A Twirp error response: ``{"code": ..., "msg": ..., "meta": ...}`` with its HTTP status."""

    def __init__(self, code: str, msg: str, meta: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.meta = dict(meta or {})
        self.status = HTTP_STATUS.get(code, 500)

    @classmethod
    def of(cls, error: RoomsimError) -> TwirpError:
        """The Twirp error for a roomsim error a verb raised (its message says how to fix it)."""
        code = _FROM_ROOMSIM.get(error.code, error.code)
        return cls(code if code in HTTP_STATUS else "internal", str(error))

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "msg": self.msg}
        if self.meta:
            body["meta"] = self.meta
        return body


# LiveKit's texts (pkg/service/auth.go, errors.go)
_DENIED: Final = "permissions denied"
_NO_ROOM: Final = "requested room does not exist"
_NO_PARTICIPANT: Final = "participant does not exist"


def _video(claims: Claims | None) -> VideoGrants:
    # no token, or no video grant: every Ensure*Permission refuses (twirpAuthError)
    if claims is None or claims.video is None:
        raise TwirpError("unauthenticated", _DENIED)
    video: VideoGrants = claims.video
    return video


def _ensure_create(claims: Claims | None) -> None:
    if not _video(claims).room_create:
        raise TwirpError("unauthenticated", _DENIED)


def _ensure_list(claims: Claims | None) -> None:
    if not _video(claims).room_list:
        raise TwirpError("unauthenticated", _DENIED)


def _ensure_admin(claims: Claims | None, room: str) -> None:
    video = _video(claims)
    if not video.room_admin or room != (video.room or ""):
        raise TwirpError("unauthenticated", _DENIED)


def _room(lk: LiveKitServer, name: str) -> Room:
    room = lk.rooms.get(name)
    if room is None or room.closed:
        raise TwirpError("not_found", _NO_ROOM)
    return room


def _participant(lk: LiveKitServer, name: str, identity: str) -> Room:
    room = _room(lk, name)
    if identity not in room.participants:
        raise TwirpError("not_found", _NO_PARTICIPANT)
    return room


def _verb(lk: LiveKitServer, call: Callable[[], Any]) -> Any:
    """``call()``'s result; a refusal as its Twirp error.  If the verb was applied but a
    roomsim handler raised, the call succeeded (None) and ``lk.settle()`` raises the error."""
    try:
        return call()
    except HandlerError as error:
        lk.handler_errors.append(error)
        return None
    except RoomsimError as error:
        raise TwirpError.of(error) from None


def room_proto(lk: LiveKitServer, room: Room) -> _pm.Room:
    """``room`` as the server API describes it: times in Unix seconds (``lk.epoch`` + virtual)."""
    info = RoomInfo.of(room)
    return to_proto(attrs.evolve(info, creation_time=lk.epoch + info.creation_time))


def participant_proto(lk: LiveKitServer, p: ParticipantSnapshot) -> _pm.ParticipantInfo:
    """``p`` as the server API describes it: ``joined_at`` in Unix seconds."""
    return to_proto(attrs.evolve(p, joined_at=lk.epoch + p.joined_at))


# -- the methods ------------------------------------------------------------------------------


def create_room(lk: LiveKitServer, claims: Claims | None, req: Any) -> _pm.Room:
    _ensure_create(claims)
    room = lk.rooms.get(req.name)
    if room is None or room.closed:
        config = lk.config_for(req.name)
        limit = config.max_metadata_size
        if limit and len(req.metadata.encode()) > limit:
            # twirp.InvalidArgumentError(ErrMetadataExceedsLimits, limit), before the room
            argument = "metadata size exceeds limits"
            raise TwirpError("invalid_argument", f"{argument} {limit}", {"argument": argument})
        # LiveKit keeps its configured value where the request leaves 0
        if req.empty_timeout:
            config = _verb(lk, lambda: attrs.evolve(config, empty_timeout=float(req.empty_timeout)))
        if req.departure_timeout:
            departure = float(req.departure_timeout)
            config = _verb(lk, lambda: attrs.evolve(config, departure_timeout=departure))
        if req.max_participants:
            config = _verb(lk, lambda: attrs.evolve(config, max_participants=req.max_participants))
        room = _verb(lk, lambda: lk.create_room(req.name, config, metadata=req.metadata))
    return room_proto(lk, room)


def list_rooms(lk: LiveKitServer, claims: Claims | None, req: Any) -> _pr.ListRoomsResponse:
    _ensure_list(claims)
    names = set(req.names)
    rooms = [
        room_proto(lk, room)
        for name, room in lk.rooms.items()
        if not room.closed and (not names or name in names)
    ]
    return _pr.ListRoomsResponse(rooms=rooms)


def delete_room(lk: LiveKitServer, claims: Claims | None, req: Any) -> _pr.DeleteRoomResponse:
    _ensure_create(claims)
    room = _room(lk, req.room)
    _verb(lk, room.delete)
    return _pr.DeleteRoomResponse()


def list_participants(
    lk: LiveKitServer, claims: Claims | None, req: Any
) -> _pr.ListParticipantsResponse:
    _ensure_admin(claims, req.room)
    room = _room(lk, req.room)
    parts = [participant_proto(lk, p) for p in room.participants.values()]
    return _pr.ListParticipantsResponse(participants=parts)


def get_participant(lk: LiveKitServer, claims: Claims | None, req: Any) -> _pm.ParticipantInfo:
    _ensure_admin(claims, req.room)
    room = _participant(lk, req.room, req.identity)
    return participant_proto(lk, room.participants[req.identity])


def remove_participant(
    lk: LiveKitServer, claims: Claims | None, req: Any
) -> _pr.RemoveParticipantResponse:
    _ensure_admin(claims, req.room)
    room = _participant(lk, req.room, req.identity)
    _verb(lk, lambda: room.remove_participant(req.identity))
    return _pr.RemoveParticipantResponse()


def mute_published_track(
    lk: LiveKitServer, claims: Claims | None, req: Any
) -> _pr.MuteRoomTrackResponse:
    _ensure_admin(claims, req.room)
    room = _participant(lk, req.room, req.identity)
    _verb(lk, lambda: room.mute_published_track(req.identity, req.track_sid, req.muted))
    p = room.participants.get(req.identity)
    track = p.track_publications.get(req.track_sid) if p is not None else None
    # an unknown track: LiveKit's SetTrackMuted returns nil, the response has no track
    return _pr.MuteRoomTrackResponse(track=to_proto(track) if track is not None else None)


def update_participant(lk: LiveKitServer, claims: Claims | None, req: Any) -> _pm.ParticipantInfo:
    _ensure_admin(claims, req.room)
    room = _participant(lk, req.room, req.identity)
    _verb(
        lk,
        lambda: room.update_participant(
            req.identity,
            # "" leaves the name and the metadata as they are (UpdateMetadata)
            name=req.name or None,
            metadata=req.metadata or None,
            attributes=dict(req.attributes) or None,
            permission=from_proto(req.permission) if req.HasField("permission") else None,
        ),
    )
    snapshot = room.participants.get(req.identity)  # None: a handler removed it meanwhile
    if snapshot is None:
        return _pm.ParticipantInfo(identity=req.identity)
    return participant_proto(lk, snapshot)


def update_subscriptions(
    lk: LiveKitServer, claims: Claims | None, req: Any
) -> _pr.UpdateSubscriptionsResponse:
    _ensure_admin(claims, req.room)
    room = _participant(lk, req.room, req.identity)
    sids = list(req.track_sids)
    for tracks in req.participant_tracks:
        sids.extend(tracks.track_sids)
    _verb(
        lk,
        lambda: room.update_subscriptions(req.identity, track_sids=sids, subscribe=req.subscribe),
    )
    return _pr.UpdateSubscriptionsResponse()


def send_data(lk: LiveKitServer, claims: Claims | None, req: Any) -> _pr.SendDataResponse:
    _ensure_admin(claims, req.room)
    if len(req.nonce) not in (0, 16):
        raise TwirpError(
            "invalid_argument",
            f"nonce should be 16-bytes or not present, got: {len(req.nonce)} bytes",
        )
    room = _room(lk, req.room)
    # LiveKit delivers to the identities and to the sids named (unknown ones reach no one)
    by_sid = {p.sid: p.identity for p in room.participants.values()}
    destinations = list(req.destination_identities)
    destinations += [by_sid[s] for s in req.destination_sids if s in by_sid]
    _verb(
        lk,
        lambda: room.send_data(
            bytes(req.data),
            topic=req.topic if req.HasField("topic") else None,
            reliable=req.kind == _pm.DataPacket.Kind.RELIABLE,
            destination_identities=tuple(dict.fromkeys(destinations)),
        ),
    )
    return _pr.SendDataResponse()


def update_room_metadata(lk: LiveKitServer, claims: Claims | None, req: Any) -> _pm.Room:
    _ensure_admin(claims, req.room)
    room = _room(lk, req.room)
    _verb(lk, lambda: room.update_room_metadata(req.metadata))
    return room_proto(lk, room)


def move_participant(
    lk: LiveKitServer, claims: Claims | None, req: Any
) -> _pr.MoveParticipantResponse:
    """faults §5: ``EnsureDestRoomPermission`` (roomAdmin for ``room``, ``destinationRoom``
    equal to the destination), then the same-room check; OSS answers "not implemented" after
    them, roomsim moves the participant as LiveKit Cloud does."""
    video = _video(claims)
    if (
        not video.room_admin
        or req.room != (video.room or "")
        or req.destination_room != (video.destination_room or "")
    ):
        raise TwirpError("unauthenticated", _DENIED)
    if req.room == req.destination_room:
        # twirp.InvalidArgumentError(ErrDestinationSameAsSourceRoom.Error(), "")
        argument = "destination room cannot be the same as source room"
        raise TwirpError("invalid_argument", f"{argument} ", {"argument": argument})
    room = _participant(lk, req.room, req.identity)
    _room(lk, req.destination_room)
    _verb(lk, lambda: room.move_participant(req.identity, req.destination_room))
    return _pr.MoveParticipantResponse()


_Handler = Callable[["LiveKitServer", "Claims | None", Any], Message]

#: RoomService method name -> (request message class, handler)
METHODS: Final[Mapping[str, tuple[type[Message], _Handler]]] = {
    "CreateRoom": (_pr.CreateRoomRequest, create_room),
    "ListRooms": (_pr.ListRoomsRequest, list_rooms),
    "DeleteRoom": (_pr.DeleteRoomRequest, delete_room),
    "ListParticipants": (_pr.ListParticipantsRequest, list_participants),
    "GetParticipant": (_pr.RoomParticipantIdentity, get_participant),
    "RemoveParticipant": (_pr.RoomParticipantIdentity, remove_participant),
    "MutePublishedTrack": (_pr.MuteRoomTrackRequest, mute_published_track),
    "UpdateParticipant": (_pr.UpdateParticipantRequest, update_participant),
    "UpdateSubscriptions": (_pr.UpdateSubscriptionsRequest, update_subscriptions),
    "SendData": (_pr.SendDataRequest, send_data),
    "UpdateRoomMetadata": (_pr.UpdateRoomMetadataRequest, update_room_metadata),
    "MoveParticipant": (_pr.MoveParticipantRequest, move_participant),
}
