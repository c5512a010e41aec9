"""``project``'s fault projectors: what a reconnecting client's SDK emits (faults §2-§4, §7,
§10).  Kept apart from ``roomsim._project`` so that module stays under the size cap: importing
this module registers them into ``_project.PROJECTORS`` and ``_project.FAULT_HOOK``
(``roomsim.client`` imports it).
"""

from __future__ import annotations

from roomsim import _facts as facts
from roomsim import events as E
from roomsim._faults_sdk import fault_profile
from roomsim._project import (
    FAULT_HOOK,
    PROJECTORS,
    View,
    _data,
    _Events,
    _gain,
    _is_me,
    _left,
    _own_end,
    project,
)
from roomsim._records import ParticipantRecord
from roomsim.model import (
    ConnectionState,
    DataPacketKind,
    DisconnectReason,
    InterruptKind,
    ParticipantState,
)

__all__ = ["FAULTS", "arrive", "hold"]


def hold(v: View, f: facts.Fact) -> _Events:
    """A fact that reaches a client while it reconnects: nothing during a full reconnect (the
    new session's JoinResponse replaces it, faults §3.3), else ``_hold``."""
    if v.restarting or v.held is None:
        return iter(())
    return _hold(v, f, v.held)


# --------------------------------------------------------------------------------------------
# faults (faults §2, §4, §10): reconnecting, resumed, gave up


def _interrupted(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.Interrupted)
    if not _is_me(v, f.rec):
        return
    v.cut = f.kind
    v.held = []
    if fault_profile(v.profile.name).signal_state:
        # JS: the signal's loss first; the peer connection's too on a NETWORK cut (faults §2.3)
        yield E.ConnectionStateChanged(state=ConnectionState.SIGNAL_RECONNECTING)
        yield E.SignalReconnecting()
        if f.kind is InterruptKind.SIGNAL:
            return
    yield E.ConnectionStateChanged(state=ConnectionState.RECONNECTING)
    yield E.Reconnecting()


def _resumed(v: View, f: facts.Fact) -> _Events:
    """The room's state arrives: the client folds what it missed (in order), gets a fresh
    token and is connected again (faults §2.2); JS is connected first and then emits what it
    buffered, with no token event (faults §2.3, §7)."""
    assert isinstance(f, facts.Resumed)
    if not _is_me(v, f.rec) or v.held is None:
        return
    missed, v.held, v.cut = v.held, None, None
    fp = fault_profile(v.profile.name)
    if not fp.reconnected_first:
        for old in missed:
            yield from project(v, old)
    v.me = f.rec
    if fp.token_event:
        yield E.TokenRefreshed()
    yield E.ConnectionStateChanged(state=ConnectionState.CONNECTED)
    yield E.Reconnected()
    if fp.reconnected_first:
        for old in missed:
            yield from project(v, old)
        v.me = f.rec


def _gave_up(v: View, f: facts.Fact) -> _Events:
    assert isinstance(f, facts.GaveUp)
    if f.sid != v.sid or v.held is None:
        return
    v.held = v.cut = None
    v.leaving = list(v.me.tracks)  # its records wait at the cut (faults §10)
    yield from _own_end(v, f.reason, own=False)


def _hold(v: View, f: facts.Fact, held: list[facts.Fact]) -> _Events:
    """A fact that reaches a reconnecting client: data on channels that are still up is
    delivered, reliable data waits for the resume, lossy data is lost; the server's signal
    messages are lost and the resume's snapshot replaces them, modelled as the facts held and
    folded at the resume (faults §2.4, §10).  The client's state waits with them."""
    if isinstance(f, facts.Data):
        if v.cut is InterruptKind.SIGNAL:
            yield from _data(v, f)
        elif f.kind is DataPacketKind.RELIABLE:
            held.append(f)
        return
    if isinstance(f, facts.Left) and f.rec.sid == v.sid:
        if f.reason is DisconnectReason.CLIENT_INITIATED:
            v.held = v.cut = None
            v.leaving = list(v.me.tracks)  # its records wait at the cut (faults §10)
            v.me = f.rec
            yield from _left(v, f)
        # else the server's leave is lost with the signal: the client gives up later (§4.3)
        return
    held.append(f)


def _restarting(v: View, f: facts.Fact) -> _Events:
    """A full reconnect begins (faults §3.3): every remote it knew is torn down, then it is
    reconnecting (unless it already was); it hears nothing more until it has joined again."""
    assert isinstance(f, facts.Restarting)
    if f.sid != v.sid:
        return
    was = v.connection_state(False)
    v.held = v.cut = None
    v.restarting = True
    for p in f.known:
        if p.permission.hidden:
            continue
        for t in p.tracks.values():
            # a local teardown: no server speaker update comes with it
            if t.sid in v.subs or t.sid in v.stale:
                yield E.TrackUnsubscribed(participant=p.identity, track_sid=t.sid)
            yield E.TrackUnpublished(participant=p.identity, track_sid=t.sid)
        yield E.ParticipantDisconnected(
            participant=p.identity, reason=DisconnectReason.UNKNOWN_REASON
        )
    # its own participant object stays, and keeps the quality it was told (faults §3.3)
    own = v.quality.get(v.identity)
    for known in (v.subs, v.denied, v.paused, v.pub_count, v.speakers, v.quality, v.stale):
        known.clear()
    if own is not None:
        v.quality[v.identity] = own
    v.owner.clear()
    v.owed = None
    if was is not ConnectionState.RECONNECTING:
        yield E.ConnectionStateChanged(state=ConnectionState.RECONNECTING)
        yield E.Reconnecting()


def arrive(p: ParticipantRecord) -> _Events:
    """A participant a JoinResponse (or a move's ``other_participants``) brings: connected,
    then, if ACTIVE, active and each of its tracks published."""
    yield E.ParticipantConnected(participant=p.identity)
    if p.state is ParticipantState.ACTIVE:
        yield E.ParticipantActive(participant=p.identity)
        for t in p.tracks.values():
            yield E.TrackPublished(participant=p.identity, track_sid=t.sid)


def _rejoined(v: View, f: facts.Restarted) -> _Events:
    for p in f.others:
        if not p.permission.hidden:
            yield from arrive(p)


def _restarted(v: View, f: facts.Fact) -> _Events:
    """The client has joined again under a new sid (faults §3.3): Python emits the
    JoinResponse's participants, a fresh token, one ``local_track_republished`` per track,
    then ``reconnected`` and its subscriptions; JS republishes first and emits the buffered
    participants and tracks after ``reconnected``."""
    assert isinstance(f, facts.Restarted)
    if f.old_sid != v.sid:
        return
    v.sid, v.me, v.restarting = f.rec.sid, f.rec, False
    fp = fault_profile(v.profile.name)
    if fp.token_event:
        yield from _rejoined(v, f)
        yield E.TokenRefreshed()
        for old, new in f.republished:
            yield E.LocalTrackRepublished(track_sid=new, previous_sid=old)
    else:
        for old, new in f.republished:
            yield E.LocalTrackUnpublished(track_sid=old)
            yield E.LocalTrackPublished(track_sid=new)
    yield E.ConnectionStateChanged(state=ConnectionState.CONNECTED)
    yield E.Reconnected()
    if not fp.token_event:
        yield from _rejoined(v, f)
    for p, sid in f.subs:
        yield from _gain(v, p, sid)


def _token_refresh(v: View, f: facts.Fact) -> _Events:
    """A scheduled refresh: Python's ``token_refreshed``; JS has no event; a client whose
    signal is down misses it (faults §7)."""
    assert isinstance(f, facts.TokenRefresh)
    if _is_me(v, f.rec) and v.held is None and fault_profile(v.profile.name).token_event:
        yield E.TokenRefreshed()


PROJECTORS[facts.TokenRefresh] = _token_refresh
PROJECTORS[facts.Interrupted] = _interrupted
PROJECTORS[facts.Resumed] = _resumed
PROJECTORS[facts.GaveUp] = _gave_up
PROJECTORS[facts.Restarting] = _restarting
PROJECTORS[facts.Restarted] = _restarted
#: the facts a reconnecting client still folds itself
FAULTS = frozenset(
    {
        facts.Interrupted,
        facts.Resumed,
        facts.GaveUp,
        facts.Restarting,
        facts.Restarted,
        facts.TokenRefresh,
    }
)
FAULT_HOOK.facts = FAULTS
FAULT_HOOK.hold = hold
