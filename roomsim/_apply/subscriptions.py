"""Subscriptions: wishes, the server API's updates, publishers' permissions and stream
state (server §6).

Each applier checks its mutation completely, then commits through ``Server`` primitives.
"""

from __future__ import annotations

from roomsim import _facts as facts
from roomsim import mutations
from roomsim._apply._dropped import dropped
from roomsim._records import (
    allowed_by,
    is_subscribed,
)
from roomsim._server import Server
from roomsim.errors import (
    IllegalState,
    InvalidArgument,
    UnknownParticipant,
    UnknownTrack,
)
from roomsim.model import (
    StreamState,
    TrackKind,
)


def apply_set_subscribed(server: Server, m: mutations.SetSubscribed) -> None:
    rec = server.lookup(m.identity)
    pub = server.records.get(m.publisher)
    if pub is None or pub.permission.hidden:
        raise UnknownParticipant(
            f"{rec.identity!r} can't subscribe to {m.track_sid!r} of {m.publisher!r}: no "
            f"such participant in room {server.name!r} (hidden participants can't be "
            "named); pass the identity of a participant in client.remote_participants",
            code="NOT_FOUND",
        )
    if pub.sid == rec.sid:
        raise InvalidArgument(
            f"{rec.identity!r} can't subscribe to its own track {m.track_sid!r}; name "
            "another participant's track"
        )
    if m.track_sid not in pub.tracks:
        raise UnknownTrack(
            f"{m.publisher!r} has no published track {m.track_sid!r}; its tracks: "
            f"{list(pub.tracks)}",
            code="NOT_FOUND",
        )
    if m.subscribed and not rec.permission.can_subscribe:
        dropped(server, f"{rec.identity!r} wants {m.track_sid!r} but lacks can_subscribe")
    elif m.subscribed and not allowed_by(pub, rec, m.track_sid):
        dropped(server, f"{pub.identity!r} does not allow {rec.identity!r} {m.track_sid!r}")
    server.commit_overrides(rec, {m.track_sid: pub.identity}, m.subscribed)


def apply_update_subscriptions(server: Server, m: mutations.UpdateSubscriptions) -> None:
    rec = server.lookup(m.identity)
    wanted: dict[str, str] = {}
    for sid in m.track_sids:
        owner, _ = server.find_track(sid, "update_subscriptions(track_sids=...) entry")
        if owner.sid == rec.sid:
            raise InvalidArgument(
                f"{rec.identity!r} can't subscribe to its own track {sid!r}; leave it out "
                "of track_sids"
            )
        wanted[sid] = owner.identity
    if wanted:
        server.commit_overrides(rec, wanted, m.subscribe, by_server=True)


def apply_sub_permissions(server: Server, m: mutations.SetTrackSubscriptionPermissions) -> None:
    rec = server.lookup(m.identity)
    server.commit_sub_permissions(rec, m.all_participants, m.allowed)


def apply_set_stream_state(server: Server, m: mutations.SetStreamState) -> None:
    if m.state is StreamState.UNKNOWN:
        raise InvalidArgument(
            "set_stream_state(state=...) must be StreamState.ACTIVE or StreamState.PAUSED"
        )
    rec = server.lookup(m.identity)
    pub, t = server.find_track(m.track_sid, "set_stream_state(track_sid=...)")
    if t.kind is not TrackKind.VIDEO:
        raise InvalidArgument(f"stream state is reported for video tracks only; {t.sid!r} is audio")
    if not is_subscribed(rec, pub, t):
        raise IllegalState(
            f"{rec.identity!r} is not subscribed to {t.sid!r} of {pub.identity!r}; stream "
            "state applies to a subscribed video track"
        )
    # the subscriber's SDK reports only a real change (its projection compares)
    server.append(facts.StreamStateChanged(rec.sid, pub.identity, t.sid, m.state, server.now()))
