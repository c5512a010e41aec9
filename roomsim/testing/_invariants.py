"""``check_invariants(room)``: an O(size) check of everything roomsim promises about a room.

Like sortedcontainers' ``_check``: call it after every step of a test.  A breach raises
``InternalError`` that names the invariant, the participant or client, and the values seen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from roomsim.errors import broken
from roomsim.model import (
    ConnectionState,
    ParticipantState,
    StreamState,
    TrackKind,
)

if TYPE_CHECKING:
    from roomsim.client import Client
    from roomsim.room import Room


_fail = broken


def check_invariants(room: Room) -> None:
    """Raise ``InternalError`` if any of roomsim's invariants does not hold for ``room``.

    First the room's own private checks (``Room._check``: its records, indexes and every
    client's view against the server), then what the public API shows.  Reads every client
    (so it folds what they have not read yet).
    """
    room._check()
    participants = room.participants
    for identity, snap in participants.items():
        if snap.identity != identity:
            _fail("a participant is listed under another identity", key=identity)
        if snap.state is ParticipantState.DISCONNECTED or snap.disconnect_reason is not None:
            _fail("a current session is marked disconnected", identity=identity)
        for sid, pub in snap.track_publications.items():
            if pub.sid != sid:
                _fail("a publication is filed under another sid", identity=identity, sid=sid)
            if not snap.permission.can_publish_source(pub.source):
                _fail("a track is published without the grant for its source", track=sid)
    for snap in room.departed:
        if snap.state is not ParticipantState.DISCONNECTED or snap.disconnect_reason is None:
            _fail("a departed snapshot lacks its final state", identity=snap.identity)
    limit = room.config.max_participants
    if limit:
        counted = sum(1 for p in participants.values() if not p.dependent)
        if counted > limit:
            _fail("more participants than max_participants", counted=counted)
    clients = room.clients
    for identity, client in clients.items():
        if client.identity != identity or client.sid != participants[identity].sid:
            _fail("a current client does not match its session", identity=identity)
        _check_client(room, client)


def _check_client(room: Room, client: Client) -> None:
    """What a live client shows, against the server's participants."""
    if client.connection_state is not ConnectionState.CONNECTED:
        return  # its session ended since the last read: nothing more to compare
    participants = room.participants
    me = participants[client.identity]
    remote = client.remote_participants
    expected = [k for k, p in participants.items() if p.sid != me.sid and not p.permission.hidden]
    if list(remote) != expected:
        _fail(
            "a client knows other participants than the server has",
            client=client.identity,
            knows=list(remote),
            server=expected,
        )
    for identity in remote:
        snap = remote[identity]
        server = participants[identity]
        if (snap.sid, snap.name, snap.metadata, dict(snap.attributes), snap.permission) != (
            server.sid,
            server.name,
            server.metadata,
            dict(server.attributes),
            server.permission,
        ):
            _fail(
                "a client's view of a participant differs from the server's",
                client=client.identity,
                participant=identity,
            )
        # a held (JOINED) publisher's tracks reach nobody before it is ACTIVE (client §16.14)
        announced = server.state is ParticipantState.ACTIVE
        if list(snap.track_publications) != (list(server.track_publications) if announced else []):
            _fail(
                "a client's view of a participant's tracks differs",
                client=client.identity,
                participant=identity,
            )
        for sid, pub in snap.track_publications.items():
            if pub.muted != server.track_publications[sid].muted:
                _fail("a client's view of a mute differs", client=client.identity, track=sid)
            # a Python client still shows a subscription the server ended, a publisher's
            # denial included (client §16.1): only JS drops the track it is denied
            if pub.subscribed and not pub.allowed and client.sdk != "python":
                _fail("a subscribed track is marked not allowed", client=client.identity, track=sid)
            if pub.stream_state is not StreamState.UNKNOWN and (
                not pub.subscribed or pub.kind is not TrackKind.VIDEO
            ):
                _fail(
                    "a stream state on a track that is not a subscribed video",
                    client=client.identity,
                    track=sid,
                )
    if client.room_metadata != room.metadata:
        _fail("a client's room metadata differs", client=client.identity)
