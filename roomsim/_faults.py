"""Faults on the virtual clock: interrupted connections, resumes and give-ups (faults §2, §4).

The server side of ``Interrupt``/``Resume``: what the server keeps for an interrupted client
(``Interruption``), the commit primitives that never raise, and the fault timers
(``TimerKind.RESUME``, ``CONNECTION_TIMEOUT``, ``GIVE_UP``), run by ``_time.run_timer``.
What each client *sees* is ``_project``'s business (faults §10).
"""

from __future__ import annotations

import heapq
from typing import Final

from roomsim import _facts as facts
from roomsim import mutations
from roomsim._faults_sdk import fault_profile
from roomsim._peer import sdk_of
from roomsim._records import ParticipantRecord, TrackRecord, is_subscribed
from roomsim._server import Server, Session, TimerKind
from roomsim.model import DataPacketKind, DisconnectReason, InterruptKind

__all__ = [
    "CLOSE_AFTER_GIVE_UP",
    "GIVE_UP_AFTER",
    "SERVER_TIMEOUT",
    "Interruption",
    "claims_changed",
    "commit_data",
    "find",
    "interrupt",
    "reconnecting",
    "rejoin",
    "restart",
    "resume",
    "run_timer",
    "session_started",
]

#: ICE disconnected (10 s) + failed (5 s) + ``disconnectCleanupDuration`` (5 s): the server
#: closes a session whose transport failed with CONNECTION_TIMEOUT (faults §4.1)
SERVER_TIMEOUT: Final = 20.0
#: the Rust core's nominal backoff sum over its 10 attempts: the Python client gives up
#: (faults §4.2); a JS client gives up after 44.0 s (``Interruption.give_up_after``)
GIVE_UP_AFTER: Final = 44.3
#: a client that gave up closes its peer connection; the server's transport then fails and
#: the 5 s cleanup timer closes the session (faults §2.1, §4.1)
CLOSE_AFTER_GIVE_UP: Final = 5.0


class Interruption:
    """One interrupted client: its session, its SDK, what was cut, since when, and the data
    packets it sent meanwhile with their times (held until it is reconnected, faults §2.4)."""

    __slots__ = (
        "client",
        "gave_up",
        "identity",
        "kind",
        "known",
        "outbox",
        "protocol",
        "rec",
        "sdk",
        "sid",
        "started",
    )

    def __init__(
        self, rec: ParticipantRecord, kind: InterruptKind, started: float, sdk: str = "python"
    ) -> None:
        self.identity = rec.identity
        self.sid = rec.sid
        #: its record at the cut, and the others as its client knew them (a full reconnect
        #: tears those down and joins with the record's claims, faults §3.3)
        self.rec = rec
        self.known: tuple[ParticipantRecord, ...] = ()
        self.kind = kind
        self.started = started
        self.sdk = sdk
        self.outbox: list[tuple[float, mutations.SendData]] = []
        #: the client stopped reconnecting; the server has not closed the session yet
        self.gave_up = False
        #: its client, and the protocol it speaks: what it joins again with if the server
        #: closes the session meanwhile (faults §4.3)
        self.client: Session | None = None
        self.protocol = 0

    @property
    def give_up_after(self) -> float:
        """Seconds from the cut to the client giving up (its SDK's schedule, faults §4.2)."""
        return fault_profile(self.sdk).give_up_after

    def holds(self) -> bool:
        """Whether a packet the client sends now waits for the resume: not on a JS client
        whose data channels are still up (a SIGNAL cut, faults §2.4)."""
        return self.kind is InterruptKind.NETWORK or not fault_profile(self.sdk).sends_on_signal_cut


def find(server: Server, identity: str) -> Interruption | None:
    """The interruption of ``identity``'s latest interrupted session, if any."""
    found: Interruption | None = None
    for intr in server.interrupted.values():
        if intr.identity == identity:
            found = intr
    return found


def reconnecting(server: Server) -> tuple[str, ...]:
    """Identities of the current sessions whose client is reconnecting, in join order."""
    out = []
    for identity, rec in server.records.items():
        intr = server.interrupted.get(rec.sid)
        if intr is not None and not intr.gave_up:
            out.append(identity)
    return tuple(out)


def interrupt(
    server: Server, rec: ParticipantRecord, kind: InterruptKind, resume_after: float | None
) -> None:
    now = server.now()
    sdk = sdk_of(server.sessions.get(rec.identity))
    intr = Interruption(rec, kind, now, sdk)
    intr.known = tuple(r for r in server.records.values() if r.sid != rec.sid)
    intr.client = server.sessions.get(rec.identity)
    intr.protocol = server.peer.protocols.get(rec.sid, 0)
    server.interrupted[rec.sid] = intr
    server.append(facts.Interrupted(rec, now, kind))
    server.schedule(now + intr.give_up_after, TimerKind.GIVE_UP, rec.sid)
    if kind is InterruptKind.NETWORK:
        server.schedule(now + SERVER_TIMEOUT, TimerKind.CONNECTION_TIMEOUT, rec.sid)
    if resume_after is not None:
        server.schedule(now + resume_after, TimerKind.RESUME, rec.sid)


def resume(server: Server, intr: Interruption) -> None:
    """The client is back: the server sends it the room as it is now (the snapshot, then a
    fresh token), and the data it held goes out, but for a send its SDK stopped waiting for
    (JS: 15 s, faults §2.4)."""
    del server.interrupted[intr.sid]
    now = server.now()
    server.append(facts.Resumed(server.records[intr.identity], now))
    _restart_refreshes(server, intr.sid)
    wait = fault_profile(intr.sdk).data_wait
    for sent, m in intr.outbox:
        if wait is None or now - sent <= wait:
            commit_data(server, m)


def commit_data(server: Server, m: mutations.SendData) -> None:
    """Send a checked ``SendData`` (its sender present); what LiveKit drops is dropped."""
    sender = server.records.get(m.sender) if m.sender is not None else None
    if sender is not None and not sender.permission.can_publish_data:
        return
    dests = frozenset(m.destination_identities) if m.destination_identities else None
    kind = DataPacketKind.RELIABLE if m.reliable else DataPacketKind.LOSSY
    server.append(facts.Data(sender, m.data, m.topic, kind, dests, server.now()))


def _live(server: Server, intr: Interruption) -> bool:
    rec = server.records.get(intr.identity)
    return rec is not None and rec.sid == intr.sid


def run_timer(server: Server, kind: TimerKind, sid: str) -> None:
    """Run a fault timer of session ``sid``; a timer whose interruption is over does nothing."""
    if kind is TimerKind.TOKEN_REFRESH:
        _refresh_token(server, sid)
        return
    intr: Interruption | None = server.interrupted.get(sid)
    if intr is None:
        return
    # a session cut again: a timer of its earlier cut, due at another time, is stale
    if kind is TimerKind.RESUME:
        if intr.gave_up:
            return
        if _live(server, intr):
            resume(server, intr)
        elif intr.identity not in server.records and intr.client is not None:
            rejoin(server, intr)  # its resume is refused: it joins again (faults §4.3)
    elif kind is TimerKind.CONNECTION_TIMEOUT:
        after = intr.give_up_after + CLOSE_AFTER_GIVE_UP if intr.gave_up else SERVER_TIMEOUT
        if _live(server, intr) and _due(server, intr.started + after):
            server.end_session(intr.identity, DisconnectReason.CONNECTION_TIMEOUT)
    elif _due(server, intr.started + intr.give_up_after):
        _give_up(server, intr)


def _due(server: Server, at: float) -> bool:
    return abs(server.now() - at) < 1e-6


def _give_up(server: Server, intr: Interruption) -> None:
    """The client stops reconnecting (faults §4.2): it closes with the reason that started
    the episode, UNKNOWN_REASON for a lost connection."""
    del server.interrupted[intr.sid]
    server.append(
        facts.GaveUp(intr.identity, intr.sid, DisconnectReason.UNKNOWN_REASON, server.now())
    )
    if _live(server, intr):
        session = server.sessions.pop(intr.identity, None)
        if session is not None:
            session.session_ended(DisconnectReason.UNKNOWN_REASON)
        # the session stays until its transport fails; a later timer of the same session
        # finds no interruption, so this one is tracked again until it runs
        server.interrupted[intr.sid] = intr
        intr.gave_up = True
        server.schedule(server.now() + CLOSE_AFTER_GIVE_UP, TimerKind.CONNECTION_TIMEOUT, intr.sid)


def restart(server: Server, identity: str) -> None:
    """A full reconnect (faults §3): the client leaves its session (CLIENT_INITIATED, its leave
    got through) and joins again with its token's claims under a new sid, republishing its
    tracks under new sids; auto-subscribe restores its subscriptions.  The client object is
    the same: the server takes it off the old session so it isn't told that one ended."""
    client = server.sessions.pop(identity)
    now = server.now()
    live = server.records[identity]
    intr = server.interrupted.pop(live.sid, None)
    known = (
        intr.known
        if intr is not None
        else tuple(r for r in server.records.values() if r.sid != live.sid)
    )
    old_sid = client.sid
    protocol = server.peer.protocols.get(old_sid, 0)
    server.append(facts.Restarting(identity, old_sid, known, now))
    server.end_session(identity, DisconnectReason.CLIENT_INITIATED)
    _join_again(server, client, live, old_sid, protocol)


def rejoin(server: Server, intr: Interruption) -> None:
    """The server closed the session while its client was away (a timeout, a removal) and
    nobody holds its identity: the client's resume is refused with ``Leave{RECONNECT,
    STATE_MISMATCH}`` and it joins again with its token (faults §2.1, §4.3), as a full
    reconnect whose old session is already gone.  Its token carries its claims as of the
    cut; it republishes the tracks it had then."""
    del server.interrupted[intr.sid]
    client = intr.client
    assert client is not None
    client.session_rejoined()
    server.append(facts.Restarting(intr.identity, intr.sid, intr.known, server.now()))
    _join_again(server, client, intr.rec, intr.sid, intr.protocol)


def _join_again(
    server: Server, client: Session, live: ParticipantRecord, old_sid: str, protocol: int
) -> None:
    """The client of a full reconnect joins under a new sid with ``live``'s claims and
    republishes ``live``'s tracks (faults §3.2)."""
    identity = live.identity
    now = server.now()
    seq, sid = server.new_session()
    rec = live.new_session(seq, sid, now)
    server.add_session(rec, hold=False)
    server.peer.protocols[sid] = protocol
    server.sessions[identity] = client
    client.sid = sid
    server.activate(identity)
    republished = []
    for t in live.tracks.values():
        if t.closing or not rec.permission.can_publish_source(t.source):
            continue
        new = TrackRecord(
            sid=f"TR_{server.next_tr}", name=t.name, kind=t.kind, source=t.source, muted=t.muted
        )
        server.next_tr += 1
        server.add_track(server.records[identity], new)
        republished.append((t.sid, new.sid))
    me = server.records[identity]
    others = tuple(r for r in server.records.values() if r.sid != sid)
    subs = tuple((p, t) for p in others for t in p.tracks.values() if is_subscribed(me, p, t))
    server.append(
        facts.Restarted(
            me, old_sid, others, tuple(republished), tuple((p, t.sid) for p, t in subs), now
        )
    )


def _refresh_token(server: Server, sid: str) -> None:
    """The server's periodic token refresh (faults §7: every ``token_refresh_interval``, 5 min
    in LiveKit) of a session still current; a client whose signal is down misses it."""
    for rec in server.records.values():
        if rec.sid == sid:
            server.append(facts.TokenRefresh(rec, server.now()))
            due = server.now() + server.config.token_refresh_interval
            server.schedule(due, TimerKind.TOKEN_REFRESH, sid)
            return


# --------------------------------------------------------------------------------------------
# the faithful token refresh (faults §7), on with ``RoomConfig.token_refresh_interval``


def session_started(server: Server, rec: ParticipantRecord) -> None:
    """A session's signal worker starts (a join): its first act is a token refresh
    (``rtcSessionWorker``, faults §7).  A resume's refresh comes with ``Resumed``."""
    if server.config.token_refresh_interval:
        server.append(facts.TokenRefresh(rec, server.now()))


def claims_changed(
    server: Server, before: ParticipantRecord, after: ParticipantRecord, force: bool = False
) -> ParticipantRecord:
    """A participant's own claims changed (``OnClaimsChanged``: name, metadata, permission
    when the value differs; attributes on any non-empty update, ``force``): the server sends
    it a token with the new claims (faults §7).  Returns ``after``."""
    if server.config.token_refresh_interval and (force or after is not before):
        server.append(facts.TokenRefresh(after, server.now()))
    return after


def _restart_refreshes(server: Server, sid: str) -> None:
    """The resumed session's worker restarts its refresh ticker (faults §7)."""
    interval = server.config.token_refresh_interval
    if not interval:
        return
    timers = server.timers
    kept = [t for t in timers if not (t[2] is TimerKind.TOKEN_REFRESH and t[3] == sid)]
    if len(kept) != len(timers):
        heapq.heapify(kept)
        server.timers = kept
    server.schedule(server.now() + interval, TimerKind.TOKEN_REFRESH, sid)
