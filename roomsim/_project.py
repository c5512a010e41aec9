"""``project(view, fact) -> events``: what one client's SDK emits for one room fact.

Pure functions of the fact and the client's own record at that point (``View.me``).  Every
ordering rule of the Python SDK lives here (spec client §4, §9, §10); the server side decides
*what* happened, this module decides what each client *sees* of it.
"""

from __future__ import annotations

from collections.abc import Callable

from roomsim import _facts as facts
from roomsim import events as E
from roomsim._records import ParticipantRecord, SubChange, is_subscribed, permission_state
from roomsim.model import ConnectionQuality, ConnectionState, ParticipantState, StreamState


class View:
    """The per-client state a projection reads and folds.

    ``me`` is the client's own record at its cursor.  ``subs``, ``denied`` and ``paused`` hold
    what the client's SDK was *told* about remote tracks (subscribed, not allowed, paused), by
    track sid; ``fold`` updates them one event at a time, as the SDK updates a publication when
    it handles each event.
    """

    __slots__ = (
        "denied",
        "ended",
        "identity",
        "me",
        "paused",
        "pub_count",
        "quality",
        "sid",
        "speakers",
        "subs",
    )

    def __init__(self, me: ParticipantRecord) -> None:
        self.identity = me.identity
        self.sid = me.sid
        self.me = me
        self.ended = False
        self.subs: set[str] = set()
        self.denied: set[str] = set()
        self.paused: set[str] = set()
        #: identity -> number of its tracks this client is subscribed to
        self.pub_count: dict[str, int] = {}
        #: the client's merged active-speaker list: identity -> level, in arrival order
        self.speakers: dict[str, float] = {}
        #: the connection qualities the client was told: identity -> quality
        self.quality: dict[str, ConnectionQuality] = {}


_Events = list[E.Event]
_NONE: _Events = []


def _is_me(v: View, rec: ParticipantRecord) -> bool:
    return rec.sid == v.sid


def _gain(v: View, out: _Events, pub: ParticipantRecord, sid: str) -> None:
    """A subscription started; the first to a publisher also brings its quality and, if it is
    speaking, its speaker info (spec server §7, §8)."""
    out.append(E.TrackSubscribed(participant=pub.identity, track_sid=sid))
    n = v.pub_count.get(pub.identity, 0)
    v.pub_count[pub.identity] = n + 1
    if n:
        return
    # LiveKit's order (room.go, OnSubscribeStatusChanged): speaker info, then quality
    if pub.is_speaking:
        if pub.identity not in v.speakers:
            out.append(E.IsSpeakingChanged(participant=pub.identity, speaking=True))
        v.speakers[pub.identity] = pub.audio_level
        out.append(E.ActiveSpeakersChanged(speakers=(pub.identity,)))
    out.append(E.ConnectionQualityChanged(participant=pub.identity, quality=pub.quality))
    v.quality[pub.identity] = pub.quality


def _lose(v: View, out: _Events, pub: str, sid: str) -> None:
    """A subscription ended; the last to a publisher stops its speaker info (server §7)."""
    out.append(E.TrackUnsubscribed(participant=pub, track_sid=sid))
    n = v.pub_count.get(pub, 0) - 1
    if n > 0:
        v.pub_count[pub] = n
        return
    v.pub_count.pop(pub, None)
    if pub in v.speakers:
        del v.speakers[pub]
        out.append(E.IsSpeakingChanged(participant=pub, speaking=False))
        out.append(E.ActiveSpeakersChanged(speakers=()))


def _joined(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.Joined) and f.after is not None
    rec = f.after
    if _is_me(v, rec) or rec.permission.hidden:
        return _NONE
    # a new participant: connected, then each of its tracks (client §4.5)
    out: _Events = [E.ParticipantConnected(participant=rec.identity)]
    for t in rec.tracks.values():
        out.append(E.TrackPublished(participant=rec.identity, track_sid=t.sid))
    return out


def _activated(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.Activated) and f.after is not None
    rec = f.after
    if _is_me(v, rec):
        return _own_subscriptions(v, f.subs)
    if rec.permission.hidden:
        return _NONE
    return [E.ParticipantActive(participant=rec.identity)]


def _left(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.Left) and f.before is not None
    rec = f.before
    if _is_me(v, rec):
        # the session is over: the SDK clears its room state (docs/design.md, deviation 7),
        # and a client nobody reads any more keeps nothing that grows with the room
        v.ended = True
        v.subs.clear()
        v.denied.clear()
        v.paused.clear()
        v.pub_count.clear()
        v.speakers.clear()
        v.quality.clear()
        return [
            E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED),
            E.Disconnected(reason=f.reason),
        ]
    if rec.permission.hidden:
        return _NONE
    v.speakers.pop(rec.identity, None)
    v.quality.pop(rec.identity, None)
    v.pub_count.pop(rec.identity, None)
    return [E.ParticipantDisconnected(participant=rec.identity, reason=f.reason)]


def _name(v: View, f: facts.Fact) -> _Events:
    b, a = f.before, f.after
    assert b is not None and a is not None
    if a.permission.hidden and not _is_me(v, a):
        return _NONE
    return [E.ParticipantNameChanged(participant=a.identity, old_name=b.name, new_name=a.name)]


def _metadata(v: View, f: facts.Fact) -> _Events:
    b, a = f.before, f.after
    assert b is not None and a is not None
    if a.permission.hidden and not _is_me(v, a):
        return _NONE
    return [
        E.ParticipantMetadataChanged(
            participant=a.identity, old_metadata=b.metadata, new_metadata=a.metadata
        )
    ]


def _attributes(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.AttributesChanged) and f.after is not None
    a = f.after
    if a.permission.hidden and not _is_me(v, a):
        return _NONE
    return [E.ParticipantAttributesChanged(participant=a.identity, changed_attributes=f.changed)]


def _permission(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.PermissionChanged)
    b, a = f.before, f.after
    assert b is not None and a is not None
    if _is_me(v, a):
        out: _Events = [
            E.ParticipantPermissionsChanged(
                participant=a.identity, old_permissions=b.permission, permissions=a.permission
            )
        ]
        out.extend(_own_subscriptions(v, f.subs))
        return out
    if a.permission.hidden:
        return _NONE
    return [
        E.ParticipantPermissionsChanged(
            participant=a.identity, old_permissions=b.permission, permissions=a.permission
        )
    ]


def _track_added(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.TrackAdded) and f.after is not None
    a, t = f.after, f.track
    if _is_me(v, a):
        return [E.LocalTrackPublished(track_sid=t.sid)]
    if a.permission.hidden:
        return _NONE
    out: _Events = [E.TrackPublished(participant=a.identity, track_sid=t.sid)]
    if is_subscribed(v.me, a, t):
        _gain(v, out, a, t.sid)
    elif permission_state(v.me, a, t) is False:
        out.append(
            E.TrackSubscriptionPermissionChanged(
                participant=a.identity, track_sid=t.sid, allowed=False
            )
        )
    return out


def _track_closing(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.TrackClosing) and f.before is not None
    b, t = f.before, f.track
    if t.sid in v.subs:
        out: _Events = []
        _lose(v, out, b.identity, t.sid)
        return out
    return _NONE


def _track_removed(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.TrackRemoved) and f.before is not None
    b, t = f.before, f.track
    if _is_me(v, b):
        return _NONE if f.silent else [E.LocalTrackUnpublished(track_sid=t.sid)]
    if b.permission.hidden:
        return _NONE
    return [E.TrackUnpublished(participant=b.identity, track_sid=t.sid)]


def _track_mute(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.TrackMuteChanged) and f.after is not None
    a, t = f.after, f.track
    if a.permission.hidden and not _is_me(v, a):
        return _NONE
    if t.muted:
        return [E.TrackMuted(participant=a.identity, track_sid=t.sid)]
    return [E.TrackUnmuted(participant=a.identity, track_sid=t.sid)]


def _first_subscribed(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.FirstSubscribed) and f.after is not None
    if _is_me(v, f.after):
        return [E.LocalTrackSubscribed(track_sid=f.track.sid)]
    return _NONE


def _own_subscriptions(v: View, subs: tuple[SubChange, ...]) -> _Events:
    """A subscriber's own changes, each (publisher, sid, subscribed, permission status).

    A permission status is reported only when it differs from what the SDK was last told.
    """
    out: _Events = []
    denied = v.denied
    for prec, sid, on, allowed in subs:
        pub = prec.identity
        if (allowed is True and sid not in denied) or (allowed is False and sid in denied):
            allowed = None
        # the server's order (server §6): a revoked subscription ends, then the permission
        # update arrives; a re-granted one is announced, then subscribed
        if allowed is True:
            out.append(
                E.TrackSubscriptionPermissionChanged(participant=pub, track_sid=sid, allowed=True)
            )
        if on is True:
            _gain(v, out, prec, sid)
        elif on is False:
            _lose(v, out, pub, sid)
        if allowed is False:
            out.append(
                E.TrackSubscriptionPermissionChanged(participant=pub, track_sid=sid, allowed=False)
            )
    return out


def _subscription(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.SubscriptionChanged) and f.after is not None
    if not _is_me(v, f.after):
        return _NONE
    return _own_subscriptions(v, f.subs)


def _sub_permissions(v: View, f: facts.Fact) -> _Events:
    b, a = f.before, f.after
    assert b is not None and a is not None
    if _is_me(v, a) or a.permission.hidden:
        return _NONE
    me = v.me
    out: _Events = []
    for t in a.tracks.values():
        was_on = t.sid in v.subs
        is_on = is_subscribed(me, a, t)
        was_denied = t.sid in v.denied
        is_ok = permission_state(me, a, t)
        if is_ok is True and was_denied:
            out.append(
                E.TrackSubscriptionPermissionChanged(
                    participant=a.identity, track_sid=t.sid, allowed=True
                )
            )
        if is_on and not was_on:
            _gain(v, out, a, t.sid)
        elif was_on and not is_on:
            _lose(v, out, a.identity, t.sid)
        if is_ok is False and not was_denied:
            out.append(
                E.TrackSubscriptionPermissionChanged(
                    participant=a.identity, track_sid=t.sid, allowed=False
                )
            )
    return out


def _stream_state(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.StreamStateChanged)
    if f.subscriber_sid != v.sid or f.track_sid not in v.subs:
        return _NONE
    if (f.track_sid in v.paused) == (f.state is StreamState.PAUSED):
        return _NONE  # the SDK reports only a real change (client §8)
    return [
        E.TrackStreamStateChanged(participant=f.publisher, track_sid=f.track_sid, state=f.state)
    ]


def _speakers(v: View, f: facts.Fact) -> _Events:
    """A speaker delta, filtered to what this client subscribes to plus itself; emitted as the
    Python SDK emits it: the active entries of the delta, quietest first (client §6)."""
    assert isinstance(f, facts.SpeakersChanged)
    me, counts, speakers = v.identity, v.pub_count, v.speakers
    entries = [c for c in f.changes if c[0] == me or counts.get(c[0], 0) > 0]
    if not entries:
        return _NONE
    out: _Events = []
    for ident, level, active in entries:
        was = ident in speakers
        if active:
            speakers[ident] = level
        else:
            speakers.pop(ident, None)
        if was != active:
            out.append(E.IsSpeakingChanged(participant=ident, speaking=active))
    ranked = sorted((level, i, ident) for i, (ident, level, active) in enumerate(entries) if active)
    out.append(E.ActiveSpeakersChanged(speakers=tuple(ident for _, _, ident in ranked)))
    return out


def _quality(v: View, f: facts.Fact) -> _Events:
    """A quality update: the client's own entry, then every participant it subscribes to; the
    Python SDK emits one event per entry, changed or not (client §7)."""
    assert isinstance(f, facts.QualityUpdate)
    if v.me.state is not ParticipantState.ACTIVE:
        return _NONE
    out: _Events = []
    q = f.qualities
    mine = q.get(v.identity)
    if mine is not None:
        v.quality[v.identity] = mine
        out.append(E.ConnectionQualityChanged(participant=v.identity, quality=mine))
    counts = v.pub_count
    if len(counts) * 8 < len(q):
        # few subscriptions in a big room: look them up, in join order, instead of a scan
        order = f.order()
        idents = sorted((i for i in counts if i in q and i != v.identity), key=order.__getitem__)
    else:
        idents = [i for i in q if i != v.identity and counts.get(i, 0) > 0]
    for ident in idents:
        quality = q[ident]
        v.quality[ident] = quality
        out.append(E.ConnectionQualityChanged(participant=ident, quality=quality))
    return out


def _silent(v: View, f: facts.Fact) -> _Events:
    return _NONE


def _room_metadata(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.RoomMetadata)
    return [E.RoomMetadataChanged(old_metadata=f.old, new_metadata=f.new)]


def _data(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.Data)
    if f.sender_sid == v.sid:
        return _NONE
    if f.destinations is not None and v.identity not in f.destinations:
        return _NONE
    return [
        E.DataReceived(
            participant=None if f.hidden else f.sender, data=f.data, topic=f.topic, kind=f.kind
        )
    ]


PROJECTORS: dict[type[facts.Fact], Callable[[View, facts.Fact], _Events]] = {
    facts.Joined: _joined,
    facts.Activated: _activated,
    facts.Left: _left,
    facts.NameChanged: _name,
    facts.MetadataChanged: _metadata,
    facts.AttributesChanged: _attributes,
    facts.PermissionChanged: _permission,
    facts.TrackAdded: _track_added,
    facts.TrackClosing: _track_closing,
    facts.TrackRemoved: _track_removed,
    facts.TrackMuteChanged: _track_mute,
    facts.FirstSubscribed: _first_subscribed,
    facts.SubscriptionChanged: _subscription,
    facts.SubPermissionsChanged: _sub_permissions,
    facts.StreamStateChanged: _stream_state,
    facts.MediaChanged: _silent,
    facts.SpeakersChanged: _speakers,
    facts.QualityUpdate: _quality,
    facts.RoomMetadata: _room_metadata,
    facts.Data: _data,
}


def _fold_subscribed(v: View, e: E.Event) -> None:
    assert isinstance(e, E.TrackSubscribed)
    v.subs.add(e.track_sid)
    v.denied.discard(e.track_sid)


def _fold_unsubscribed(v: View, e: E.Event) -> None:
    assert isinstance(e, E.TrackUnsubscribed)
    v.subs.discard(e.track_sid)
    v.paused.discard(e.track_sid)  # a new subscription starts ACTIVE (client §8)


def _fold_unpublished(v: View, e: E.Event) -> None:
    assert isinstance(e, E.TrackUnpublished)
    v.subs.discard(e.track_sid)
    v.denied.discard(e.track_sid)
    v.paused.discard(e.track_sid)


def _fold_permission(v: View, e: E.Event) -> None:
    assert isinstance(e, E.TrackSubscriptionPermissionChanged)
    if e.allowed:
        v.denied.discard(e.track_sid)
    else:
        v.denied.add(e.track_sid)


def _fold_stream(v: View, e: E.Event) -> None:
    assert isinstance(e, E.TrackStreamStateChanged)
    if e.state is StreamState.PAUSED:
        v.paused.add(e.track_sid)
    else:
        v.paused.discard(e.track_sid)


#: how an event changes what the client's SDK knows of remote publications
FOLDERS: dict[type[E.Event], Callable[[View, E.Event], None]] = {
    E.TrackSubscribed: _fold_subscribed,
    E.TrackUnsubscribed: _fold_unsubscribed,
    E.TrackUnpublished: _fold_unpublished,
    E.TrackSubscriptionPermissionChanged: _fold_permission,
    E.TrackStreamStateChanged: _fold_stream,
}


def project(v: View, f: facts.Fact) -> _Events:
    """The events ``v``'s client receives for ``f``; folds ``f`` into ``v``."""
    out = PROJECTORS[type(f)](v, f)
    a = f.after
    if a is not None and a.sid == v.sid:
        v.me = a
    return out
