"""``check_invariants(room)``: an O(size) check of everything roomsim promises about a room.

Like sortedcontainers' ``_check``: call it after every step of a test.  A breach raises
``InternalError`` that names the invariant, the participant or client, and the values seen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from roomsim import _state as S
from roomsim.errors import InternalError
from roomsim.model import ConnectionState, ParticipantState, StreamState, TrackKind

if TYPE_CHECKING:
    from roomsim.client import Client
    from roomsim.room import Room


def _fail(what: str, **seen: Any) -> NoReturn:
    details = "; ".join(f"{k}={v!r}" for k, v in seen.items())
    raise InternalError(f"roomsim invariant broken: {what} ({details}); this is a roomsim bug")


def check_invariants(room: Room) -> None:
    """Raise ``InternalError`` if any of roomsim's invariants does not hold for ``room``.

    Reads every client (so it folds what they have not read yet).
    """
    records = room._records
    sids: set[str] = set()
    last_seq = 0
    owners: dict[str, str] = {}
    for identity, rec in records.items():
        if rec.identity != identity:
            _fail("a record is filed under another identity", key=identity, record=rec.identity)
        if rec.sid in sids:
            _fail("two sessions share a sid", sid=rec.sid)
        sids.add(rec.sid)
        if rec.seq <= last_seq:
            _fail("participants are not in join order", identity=identity, seq=rec.seq)
        last_seq = rec.seq
        if rec.state is ParticipantState.DISCONNECTED or rec.disconnect_reason is not None:
            _fail("a current session is marked disconnected", identity=identity)
        for sid, t in rec.tracks.items():
            if t.sid != sid or t.closing:
                _fail("a track record is stale or filed wrongly", identity=identity, sid=sid)
            if not rec.permission.can_publish_source(t.source):
                _fail("a track is published without the grant for its source", track=sid)
            owners[sid] = identity
        if bool(rec.tracks) != (rec.seq in room._publishers):
            _fail("the publisher index disagrees with the tracks", identity=identity)
    if owners != room._track_owner:
        _fail("the track owner index disagrees with the records", index=room._track_owner)
    for snap in room._departed:
        if snap.state is not ParticipantState.DISCONNECTED or snap.disconnect_reason is None:
            _fail("a departed snapshot lacks its final state", identity=snap.identity)
    if room._config.max_participants:
        counted = sum(1 for r in records.values() if not r.dependent)
        if counted > room._config.max_participants:
            _fail("more participants than max_participants", counted=counted)
    for identity, client in room._clients.items():
        if client.identity != identity or client.sid != records[identity].sid:
            _fail("a current client does not match its session", identity=identity)
    for client in room._all_clients:
        _check_client(room, client)


def _check_client(room: Room, client: Client) -> None:
    client._sync()
    if client._handlers and not client._ended and client._cursor != room._end:
        _fail("a client with handlers was not delivered every fact", client=client.identity)
    if client._ended:
        if client.connection_state is not ConnectionState.DISCONNECTED:
            _fail("an ended client is still connected", client=client.identity)
        if room._clients.get(client.identity) is client:
            _fail("an ended client is still the current session", client=client.identity)
        return
    me = room._records.get(client.identity)
    if me is None or me.sid != client.sid:
        _fail("a live client has no session", client=client.identity)
    if client._view.me != me:
        _fail("a client's own record differs from the server's", client=client.identity)
    remote = client.remote_participants
    expected = [k for k, r in room._records.items() if r.sid != me.sid and not r.hidden]
    if list(remote) != expected:
        _fail(
            "a client knows other participants than the server has",
            client=client.identity,
            knows=list(remote),
            server=expected,
        )
    for identity in remote:
        snap = remote[identity]
        rec = room._records[identity]
        if (snap.sid, snap.name, snap.metadata, dict(snap.attributes), snap.permission) != (
            rec.sid,
            rec.name,
            rec.metadata,
            dict(rec.attributes),
            rec.permission,
        ):
            _fail(
                "a client's view of a participant differs from the server's",
                client=client.identity,
                participant=identity,
            )
        if list(snap.track_publications) != list(rec.tracks):
            _fail(
                "a client's view of a participant's tracks differs",
                client=client.identity,
                participant=identity,
            )
        for sid, pub in snap.track_publications.items():
            t = rec.tracks[sid]
            if pub.muted != t.muted:
                _fail("a client's view of a mute differs", client=client.identity, track=sid)
            if pub.subscribed != S.is_subscribed(me, rec, t):
                _fail(
                    "what a client was told of a subscription differs from the server's rule",
                    client=client.identity,
                    track=sid,
                    told=pub.subscribed,
                )
            if pub.subscribed and not pub.allowed:
                _fail("a subscribed track is marked not allowed", client=client.identity, track=sid)
            if S.permission_state(me, rec, t) is False and pub.allowed:
                _fail(
                    "a wanted but denied track is marked allowed", client=client.identity, track=sid
                )
            if pub.stream_state is not StreamState.UNKNOWN and (
                not pub.subscribed or t.kind is not TrackKind.VIDEO
            ):
                _fail(
                    "a stream state on a track that is not a subscribed video",
                    client=client.identity,
                    track=sid,
                )
    if client.room_metadata != room.metadata:
        _fail("a client's room metadata differs", client=client.identity)
