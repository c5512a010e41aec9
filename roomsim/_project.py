"""``project(view, fact)``: what one client's SDK emits for one room fact, and what it learns.

A projector reads the fact and the client's ``View`` and yields the client's events one at a
time; it is the only code that changes a view, and it changes it *before* yielding the event the
change belongs to.  The client runs a handler as each event is yielded, so a handler sees the
state right after its own event and before the next one, as an SDK's state is when it emits
(design §1).  Every ordering rule of the SDKs lives here (client §4, §9, §10); the server side
decides *what* happened, this module decides what each client *sees* of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from roomsim import _facts as facts
from roomsim import events as E
from roomsim._faults_sdk import fault_profile
from roomsim._profiles import Profile
from roomsim._records import (
    ParticipantRecord,
    SubChange,
    TrackRecord,
    is_subscribed,
    permission_state,
)
from roomsim.model import (
    ConnectionQuality,
    ConnectionState,
    DataPacketKind,
    DisconnectReason,
    InterruptKind,
    ParticipantState,
    PublicationSnapshot,
    StreamState,
)


class View:
    """What one client's SDK knows beyond the server's records; changed only by projectors.

    ``me`` is the client's own record at its cursor.  ``subs``, ``denied`` and ``paused`` hold
    what the client's SDK was *told* about remote tracks (subscribed, not allowed, paused), by
    track sid.
    """

    __slots__ = (
        "cut",
        "cut_room",
        "denied",
        "ended",
        "frozen",
        "ghosts",
        "held",
        "identity",
        "leaving",
        "me",
        "owed",
        "owner",
        "paused",
        "profile",
        "pub_count",
        "quality",
        "restarting",
        "sid",
        "speakers",
        "stale",
        "subs",
    )

    def __init__(self, me: ParticipantRecord, profile: Profile) -> None:
        #: the client's SDK: where the SDKs differ, its flags decide (``roomsim._profiles``)
        self.profile = profile
        self.identity = me.identity
        self.sid = me.sid
        self.me = me
        self.ended = False
        self.subs: set[str] = set()
        self.denied: set[str] = set()
        self.paused: set[str] = set()
        #: track sids the server unsubscribed the client from while its SDK still shows them
        #: subscribed (Python, client §16.1): the SDK's ``subscribed`` is ``subs | stale``
        self.stale: set[str] = set()
        #: track sid -> publisher identity, for each sid in ``subs`` or ``stale``, in
        #: subscription order
        self.owner: dict[str, str] = {}
        #: own tracks the server unpublished while the SDK still lists them (Python, client
        #: §16.2): sid -> the publication as last seen
        self.ghosts: dict[str, PublicationSnapshot] = {}
        #: own tracks removed as the session ends, in publish order, reported (or not) with
        #: the client's own departure (client §17.1, §17.3)
        self.leaving: list[str] = []
        #: the publisher whose forced speaker update (client §16.6) follows the pair of
        #: ``track_unsubscribed`` and ``track_unpublished`` being emitted (client §16.5)
        self.owed: str | None = None
        #: identity -> number of its tracks this client is subscribed to
        self.pub_count: dict[str, int] = {}
        #: the client's merged active-speaker list: identity -> level, in arrival order
        self.speakers: dict[str, float] = {}
        #: the connection qualities the client was told: identity -> quality
        self.quality: dict[str, ConnectionQuality] = {}
        #: while the client reconnects: what was cut, the facts it folds on resume, and the
        #: log position its state is frozen at (its records are those before that fact)
        self.cut: InterruptKind | None = None
        self.held: list[facts.Fact] | None = None
        self.frozen = 0
        #: a fork's reconnecting client: the records it knew at the cut, which its fork's
        #: log can't roll back to (``roomsim._fork_views``)
        self.cut_room: dict[str, ParticipantRecord] | None = None
        #: between its ``Restarting`` and ``Restarted``: the client is joining again
        self.restarting = False

    # faults (faults §10): a reconnecting client's state waits at the cut

    def note(self, f: facts.Fact, cursor: int) -> None:
        """Called as the client folds the fact at ``cursor``: a cut freezes its records."""
        if type(f) is facts.Interrupted and f.rec.sid == self.sid:
            self.frozen = cursor
            self.cut_room = None

    def at(self, cursor: int) -> int:
        """The log position the client's records are read at."""
        return cursor if self.held is None else self.frozen

    def ends_with(self, f: facts.Left | facts.GaveUp) -> bool:
        """Whether ``f`` tells this client why its session ended: a reconnecting client misses
        the server's leave (but not its own), and learns its give-up's reason."""
        if isinstance(f, facts.GaveUp):
            return f.sid == self.sid and self.held is not None
        return (
            f.rec.sid == self.sid
            and not self.restarting
            and (self.held is None or f.reason is DisconnectReason.CLIENT_INITIATED)
        )

    def connection_state(self, ended: bool) -> ConnectionState:
        if ended:
            return ConnectionState.DISCONNECTED
        if self.held is None:
            return ConnectionState.CONNECTED
        if self.cut is InterruptKind.SIGNAL and fault_profile(self.profile.name).signal_state:
            return ConnectionState.SIGNAL_RECONNECTING  # JS (faults §2.3)
        return ConnectionState.RECONNECTING


_Events = Iterator[E.Event]
#: what a projector returns: its events, lazily (an iterator) or, when they change nothing in
#: the view, at once (a tuple)
_Some = Iterable[E.Event]
_UNKNOWN = ConnectionQuality.UNKNOWN


def _none(v: View, f: facts.Fact) -> _Events:
    return iter(())


def _is_me(v: View, rec: ParticipantRecord) -> bool:
    return rec.sid == v.sid


def _gain(v: View, pub: ParticipantRecord, sid: str) -> _Events:
    """A subscription started.  The first to a publisher also brings, ahead of the track, the
    publisher's speaker info if it is speaking, then its quality: the server writes them to
    the signal connection at once, the track comes with a later offer (client §17.2, §17.3;
    server §7, §8)."""
    n = v.pub_count.get(pub.identity, 0)
    v.pub_count[pub.identity] = n + 1
    if not n:
        # LiveKit's order (room.go, OnSubscribeStatusChanged): speaker info, then quality
        if pub.is_speaking:
            was = pub.identity in v.speakers
            v.speakers[pub.identity] = pub.audio_level
            if not was and v.profile.js_events:
                yield E.IsSpeakingChanged(participant=pub.identity, speaking=True)
            yield _speaker_list(v, (pub.identity,))
        yield from _quality_of(v, pub.identity, pub.quality)
    v.subs.add(sid)
    v.denied.discard(sid)
    v.owner[sid] = pub.identity
    if sid in v.stale:
        # livekit.rtc replaces the stale track: the old one ends first (client §16.1)
        v.stale.discard(sid)
        yield E.TrackUnsubscribed(participant=pub.identity, track_sid=sid)
    yield E.TrackSubscribed(participant=pub.identity, track_sid=sid)


def _lose(
    v: View, pub: str, sid: str, *, by_server: bool = False, in_pair: bool = False
) -> _Events:
    """A subscription ended; the last to a publisher brings the server's forced speaker
    update (client §16.6).  One the server ended (``by_server``) is reported only by an SDK
    that sees it; livekit.rtc keeps showing the track (client §16.1).  Within an unpublish
    (``in_pair``) the speaker update waits for ``track_unpublished`` (client §16.5)."""
    v.subs.discard(sid)
    v.paused.discard(sid)  # a new subscription starts ACTIVE (client §8)
    n = v.pub_count.get(pub, 0) - 1
    if n > 0:
        v.pub_count[pub] = n
    else:
        v.pub_count.pop(pub, None)
    if by_server and not v.profile.sees_server_unsubscribe:
        v.stale.add(sid)
    else:
        v.owner.pop(sid, None)
        yield E.TrackUnsubscribed(participant=pub, track_sid=sid)
    if n <= 0:
        if in_pair:
            v.owed = pub
        else:
            yield from _forced_speakers(v, pub)


def _forced_speakers(v: View, pub: str) -> _Events:
    """The speaker update the server sends on a last unsubscription from ``pub``, speaking or
    not: ``{pub, level 0, inactive}``, whose active entries are none (client §16.6)."""
    if pub in v.speakers:
        del v.speakers[pub]
        if v.profile.js_events:
            yield E.IsSpeakingChanged(participant=pub, speaking=False)
    yield _speaker_list(v, ())


def _end_stale(v: View, sid: str) -> _Events:
    """The SDK drops a track it still showed subscribed (client §16.1)."""
    if sid in v.stale:
        v.stale.discard(sid)
        yield E.TrackUnsubscribed(participant=v.owner.pop(sid), track_sid=sid)


def _speaker_list(v: View, delta: tuple[str, ...]) -> E.Event:
    """``active_speakers_changed`` for an update whose active entries are ``delta`` (quietest
    first): Python passes those, JS its merged list, loudest first (client §6)."""
    if not v.profile.merged_speakers:
        return E.ActiveSpeakersChanged(speakers=delta)
    ranked = sorted(v.speakers.items(), key=lambda kv: -kv[1])  # stable: arrival order on ties
    return E.ActiveSpeakersChanged(speakers=tuple(ident for ident, _ in ranked))


def _quality_of(v: View, ident: str, quality: ConnectionQuality) -> _Events:
    """A quality entry: Python emits each one, JS only a change (client §7)."""
    if v.profile.quality_on_change_only and v.quality.get(ident, _UNKNOWN) is quality:
        return
    v.quality[ident] = quality
    yield E.ConnectionQualityChanged(participant=ident, quality=quality)


def _permission_event(v: View, pub: str, sid: str, allowed: bool) -> _Events:
    """The client learns whether it may subscribe (JS reports it, client §9b)."""
    if allowed:
        v.denied.discard(sid)
    else:
        v.denied.add(sid)
    if v.profile.js_events:
        yield E.TrackSubscriptionPermissionChanged(participant=pub, track_sid=sid, allowed=allowed)


# A projector whose events change nothing in the view returns them as a tuple (no generator
# to make and run: a small room's first drain is mostly such facts); one that changes the view
# yields, so that each change happens as its event is taken.


def _joined(v: View, f: facts.Fact) -> _Some:
    assert isinstance(f, facts.Joined) and f.after is not None
    rec = f.after
    if rec.sid == v.sid or rec.permission.hidden:
        return ()
    # a new participant: connected; its tracks are announced when it is ACTIVE (client §16.14)
    return (E.ParticipantConnected(participant=rec.identity),)


def _activated(v: View, f: facts.Fact) -> _Some:
    assert isinstance(f, facts.Activated) and f.after is not None
    rec = f.after
    if rec.sid == v.sid:
        return _own_subscriptions(v, f.subs) if f.subs else ()
    if rec.permission.hidden:
        return ()
    if not rec.tracks:
        return (E.ParticipantActive(participant=rec.identity),)
    return _active_with_tracks(v, rec)


def _active_with_tracks(v: View, rec: ParticipantRecord) -> _Events:
    yield E.ParticipantActive(participant=rec.identity)
    # then what it published while held, each as a new track (client §16.14)
    for t in rec.tracks.values():
        yield from _announce(v, rec, t)


def _left(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.Left) and f.before is not None
    rec = f.before
    if _is_me(v, rec):
        yield from _own_end(v, f.reason, own=f.reason is DisconnectReason.CLIENT_INITIATED)
    elif not rec.permission.hidden:
        v.speakers.pop(rec.identity, None)
        v.quality.pop(rec.identity, None)
        v.pub_count.pop(rec.identity, None)
        # the server drops a replaced session's update for the others: the SDK ends it with
        # no reason when the new session's info arrives (client §16.4)
        reason = f.reason
        if reason is DisconnectReason.DUPLICATE_IDENTITY:
            reason = DisconnectReason.UNKNOWN_REASON
        yield E.ParticipantDisconnected(participant=rec.identity, reason=reason)


def _own_end(v: View, reason: DisconnectReason, *, own: bool) -> _Events:
    """The client's session is over (client §17.1, §17.3).  JS first ends each remote
    subscription, then (as Python does only when the client left by itself) unpublishes each
    own track, in publish order; then the state change and ``disconnected``.  The SDK clears
    its room state (docs/design.md, deviation 7): a client nobody reads any more keeps nothing
    that grows with the room."""
    p = v.profile
    if p.unsubscribe_on_own_leave:
        for sid, pub in list(v.owner.items()):
            if sid in v.subs or sid in v.stale:
                yield E.TrackUnsubscribed(participant=pub, track_sid=sid)
    if own or p.unpublish_on_server_leave:
        for sid in sorted((*v.ghosts, *v.leaving), key=lambda s: (len(s), s)):
            yield E.LocalTrackUnpublished(track_sid=sid)
    v.ended = True
    for known in (v.subs, v.denied, v.paused, v.pub_count, v.speakers, v.quality, v.stale):
        known.clear()
    v.owner.clear()
    v.ghosts.clear()
    v.leaving.clear()
    v.owed = None
    yield E.ConnectionStateChanged(state=ConnectionState.DISCONNECTED)
    yield E.Disconnected(reason=reason)


def _name(v: View, f: facts.Fact) -> _Events:
    b, a = f.before, f.after
    assert b is not None and a is not None
    if a.permission.hidden and not _is_me(v, a):
        return
    yield E.ParticipantNameChanged(participant=a.identity, old_name=b.name, new_name=a.name)


def _metadata(v: View, f: facts.Fact) -> _Events:
    b, a = f.before, f.after
    assert b is not None and a is not None
    if a.permission.hidden and not _is_me(v, a):
        return
    yield E.ParticipantMetadataChanged(
        participant=a.identity, old_metadata=b.metadata, new_metadata=a.metadata
    )


def _attributes(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.AttributesChanged) and f.after is not None
    a = f.after
    if a.permission.hidden and not _is_me(v, a):
        return
    yield E.ParticipantAttributesChanged(participant=a.identity, changed_attributes=f.changed)


def _permission(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.PermissionChanged)
    b, a = f.before, f.after
    assert b is not None and a is not None
    mine = _is_me(v, a)
    if a.permission.hidden and not mine:
        return
    yield E.ParticipantPermissionsChanged(
        participant=a.identity, old_permissions=b.permission, permissions=a.permission
    )
    if mine:
        yield from _own_subscriptions(v, f.subs, by_server=True)


def _track_added(v: View, f: facts.Fact) -> _Some:
    assert isinstance(f, facts.TrackAdded) and f.after is not None
    a, t = f.after, f.track
    if a.sid == v.sid:
        return (E.LocalTrackPublished(track_sid=t.sid),)
    if a.permission.hidden or a.state is not ParticipantState.ACTIVE:
        return ()  # a held publisher's track is announced at activation (client §16.14)
    return _announce(v, a, t)


def _announce(v: View, a: ParticipantRecord, t: TrackRecord) -> _Events:
    """A remote track is announced: published, then subscribed or refused."""
    yield E.TrackPublished(participant=a.identity, track_sid=t.sid)
    if is_subscribed(v.me, a, t):
        yield from _gain(v, a, t.sid)
    elif permission_state(v.me, a, t) is False:
        yield from _permission_event(v, a.identity, t.sid, False)


def _track_closing(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.TrackClosing) and f.before is not None
    if f.track.sid in v.subs:
        yield from _lose(v, f.before.identity, f.track.sid, in_pair=True)
    else:
        yield from _end_stale(v, f.track.sid)


def _track_removed(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.TrackRemoved) and f.before is not None
    b, sid = f.before, f.track.sid
    if _is_me(v, b):
        if f.silent:
            v.leaving.append(sid)  # reported, or not, with the departure (client §17)
        elif f.by_server and not v.profile.sees_server_unpublish:
            # livekit.rtc never hears of it and keeps the publication (client §16.2)
            v.ghosts[sid] = f.track.snapshot()
        else:
            yield E.LocalTrackUnpublished(track_sid=sid)
    elif not b.permission.hidden and b.state is ParticipantState.ACTIVE:
        v.subs.discard(sid)
        v.denied.discard(sid)
        v.paused.discard(sid)
        v.owner.pop(sid, None)
        yield E.TrackUnpublished(participant=b.identity, track_sid=sid)
    if v.owed is not None:
        owed, v.owed = v.owed, None
        yield from _forced_speakers(v, owed)


def _track_mute(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.TrackMuteChanged) and f.after is not None
    a, t = f.after, f.track
    if not _is_me(v, a) and (a.permission.hidden or a.state is not ParticipantState.ACTIVE):
        return
    if t.muted:
        yield E.TrackMuted(participant=a.identity, track_sid=t.sid)
        if type(f) is facts.ServerMuteChanged and v.profile.double_server_mute and _is_me(v, a):
            # livekit.rtc mutes the track, then the publication: the callback runs twice
            # (client §16.7, §17.4)
            yield E.TrackMuted(participant=a.identity, track_sid=t.sid)
    else:
        yield E.TrackUnmuted(participant=a.identity, track_sid=t.sid)


def _first_subscribed(v: View, f: facts.Fact) -> _Some:
    assert isinstance(f, facts.FirstSubscribed) and f.after is not None
    if f.after.sid == v.sid:
        return (E.LocalTrackSubscribed(track_sid=f.track.sid),)
    return ()


def _own_subscriptions(v: View, subs: tuple[SubChange, ...], *, by_server: bool = False) -> _Events:
    """A subscriber's own changes, each (publisher, sid, subscribed, permission status);
    ``by_server`` when the server, not the subscriber's SDK, asked for them (client §16.1).

    A permission status is reported only when it differs from what the SDK was last told.
    """
    for prec, sid, on, allowed in subs:
        pub = prec.identity
        denied = sid in v.denied
        if (allowed is True and not denied) or (allowed is False and denied):
            allowed = None
        # the server's order (server §6): a revoked subscription ends, then the permission
        # update arrives; a re-granted one is announced, then subscribed
        if allowed is True:
            yield from _permission_event(v, pub, sid, True)
        if on is True:
            yield from _gain(v, prec, sid)
        elif on is False:
            yield from _lose(v, pub, sid, by_server=by_server)
        if allowed is False:
            yield from _permission_event(v, pub, sid, False)


def _subscription(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.SubscriptionChanged) and f.after is not None
    if not _is_me(v, f.after):
        return
    # the client's own "off" ends a track its SDK still shows (client §16.1)
    for sid in f.off:
        yield from _end_stale(v, sid)
    yield from _own_subscriptions(v, f.subs, by_server=type(f) is facts.ServerSubscriptionChanged)


def _sub_permissions(v: View, f: facts.Fact) -> _Events:
    b, a = f.before, f.after
    assert b is not None and a is not None
    if _is_me(v, a) or a.permission.hidden:
        return
    me = v.me
    for t in a.tracks.values():
        was_on = t.sid in v.subs
        is_on = is_subscribed(me, a, t)
        was_denied = t.sid in v.denied
        is_ok = permission_state(me, a, t)
        if is_ok is True and was_denied:
            yield from _permission_event(v, a.identity, t.sid, True)
        if is_on and not was_on:
            yield from _gain(v, a, t.sid)
        elif was_on and not is_on:
            yield from _lose(v, a.identity, t.sid, by_server=True)
        if is_ok is False and not was_denied:
            yield from _permission_event(v, a.identity, t.sid, False)


def _stream_state(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.StreamStateChanged)
    sid = f.track_sid
    if f.subscriber_sid != v.sid or sid not in v.subs:
        return
    paused = f.state is StreamState.PAUSED
    if (sid in v.paused) == paused:
        return  # the SDK reports only a real change (client §8)
    if paused:
        v.paused.add(sid)
    else:
        v.paused.discard(sid)
    if v.profile.js_events:
        yield E.TrackStreamStateChanged(participant=f.publisher, track_sid=sid, state=f.state)


def _speakers(v: View, f: facts.Fact) -> _Events:
    """A speaker delta, filtered to what this client subscribes to plus itself; emitted as the
    Python SDK emits it: the active entries of the delta, quietest first (client §6)."""
    assert isinstance(f, facts.SpeakersChanged)
    me, counts, speakers = v.identity, v.pub_count, v.speakers
    entries = [c for c in f.changes if c[0] == me or counts.get(c[0], 0) > 0]
    if not entries:
        return
    js = v.profile.js_events
    for ident, level, active in entries:
        was = ident in speakers
        if active:
            speakers[ident] = level
        else:
            speakers.pop(ident, None)
        if was != active and js:
            yield E.IsSpeakingChanged(participant=ident, speaking=active)
    ranked = sorted((level, i, ident) for i, (ident, level, active) in enumerate(entries) if active)
    yield _speaker_list(v, tuple(ident for _, _, ident in ranked))


def _quality(v: View, f: facts.Fact) -> _Events:
    """A quality update: the client's own entry, then every participant it subscribes to; the
    Python SDK emits one event per entry, changed or not (client §7)."""
    assert isinstance(f, facts.QualityUpdate)
    if v.me.state is not ParticipantState.ACTIVE:
        return
    q = f.qualities
    mine = q.get(v.identity)
    if mine is not None:
        yield from _quality_of(v, v.identity, mine)
    counts = v.pub_count
    if len(counts) * 8 < len(q):
        # few subscriptions in a big room: look them up, in join order, instead of a scan
        order = f.order()
        idents = sorted((i for i in counts if i in q and i != v.identity), key=order.__getitem__)
    else:
        idents = [i for i in q if i != v.identity and counts.get(i, 0) > 0]
    for ident in idents:
        yield from _quality_of(v, ident, q[ident])


def _room_metadata(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.RoomMetadata)
    yield E.RoomMetadataChanged(old_metadata=f.old, new_metadata=f.new)


def _data(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.Data)
    if f.sender_sid == v.sid:
        return
    if f.destinations is not None and v.identity not in f.destinations:
        return
    if f.kind is DataPacketKind.LOSSY and v.me.state is not ParticipantState.ACTIVE:
        return  # lossy data reaches only ACTIVE participants (client §16.10)
    yield E.DataReceived(
        participant=None if f.hidden else f.sender,
        data=f.data,
        topic=v.profile.no_topic if f.topic is None else f.topic,
        kind=f.kind,
    )


PROJECTORS: dict[type[facts.Fact], Callable[[View, facts.Fact], _Some]] = {
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
    facts.ServerMuteChanged: _track_mute,
    facts.FirstSubscribed: _first_subscribed,
    facts.SubscriptionChanged: _subscription,
    facts.ServerSubscriptionChanged: _subscription,
    facts.SubPermissionsChanged: _sub_permissions,
    facts.StreamStateChanged: _stream_state,
    facts.MediaChanged: _none,
    facts.SpeakersChanged: _speakers,
    facts.QualityUpdate: _quality,
    facts.RoomMetadata: _room_metadata,
    facts.Data: _data,
    # RPC and streams reach no event of any SDK (rpc-and-streams §2): the client's own
    # RPC and stream handlers take them (``_client_rpc``)
    facts.RpcRequested: _none,
    facts.StreamPackets: _none,
}


class _FaultHook:
    """What a reconnecting client does with a fact (``hold``), and the facts it folds itself
    (``facts``); ``roomsim._project_faults`` fills it in as it registers its projectors."""

    __slots__ = ("facts", "hold")

    def __init__(self) -> None:
        self.facts: frozenset[type[facts.Fact]] = frozenset()
        self.hold: Callable[[View, facts.Fact], _Events] = _none


FAULT_HOOK = _FaultHook()


def project(v: View, f: facts.Fact) -> _Some:
    """The events ``v``'s client receives for ``f``, one at a time; ``v`` changes as they are
    taken (the client's own record first)."""
    if (v.held is not None or v.restarting) and type(f) not in FAULT_HOOK.facts:
        return FAULT_HOOK.hold(v, f)  # a reconnecting client (faults §10)
    a = f.after
    if a is not None and a.sid == v.sid:
        v.me = a
    return PROJECTORS[type(f)](v, f)
