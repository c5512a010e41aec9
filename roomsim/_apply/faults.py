"""Faults: interrupting a client's connection, resuming it, shutting the server down
(faults §2, §4, §6).

Each applier checks its mutation completely, then commits through ``_faults`` and ``Server``
primitives.  ``apply_send_data`` wraps the media applier: an interrupted sender's packets wait
for its resume, as the Rust core's ``publish_data`` waits for the reconnection (faults §2.4).
"""

from __future__ import annotations

from roomsim import _faults, mutations
from roomsim._apply import media
from roomsim._faults_sdk import fault_profile
from roomsim._peer import sdk_of
from roomsim._server import Server
from roomsim.errors import IllegalState, InvalidArgument
from roomsim.model import DisconnectReason, ParticipantState

__all__ = [
    "apply_interrupt",
    "apply_reconnect",
    "apply_resume",
    "apply_send_data",
    "apply_shutdown",
]


def apply_interrupt(server: Server, m: mutations.Interrupt) -> None:
    rec = server.lookup(m.identity)
    intr = server.interrupted.get(rec.sid)
    if intr is not None and intr.gave_up:
        raise IllegalState(
            f"can't interrupt {rec.identity!r}: its client gave up reconnecting; the server "
            "closes the session 5 s later (faults §4.1)",
            code="failed_precondition",
        )
    if intr is not None:
        raise IllegalState(
            f"can't interrupt {rec.identity!r}: its client has been reconnecting since "
            f"t={intr.started:g} s; resume({rec.identity!r}) it first, or let it give up",
            code="failed_precondition",
        )
    if rec.state is not ParticipantState.ACTIVE:
        raise IllegalState(
            f"can't interrupt {rec.identity!r}: it is {rec.state.name}, its media never "
            "connected; LiveKit closes such a session at once (SIGNAL_CLOSE) and the client "
            "joins again, which roomsim doesn't simulate (faults §2.1); activate() it first",
            code="failed_precondition",
        )
    after = m.resume_after
    if after is not None:
        give_up = fault_profile(sdk_of(server.sessions.get(rec.identity))).give_up_after
        if after >= give_up:
            raise InvalidArgument(
                f"interrupt(resume_after={after!r}) is past the client's give-up time "
                f"({give_up:g} s, faults §4.2); resume sooner, or pass None to see it "
                "give up"
            )
    _faults.interrupt(server, rec, m.kind, after)


def apply_resume(server: Server, m: mutations.Resume) -> None:
    intr = _faults.find(server, m.identity)
    if intr is None:
        rec = server.lookup(m.identity)
        raise IllegalState(
            f"can't resume {rec.identity!r}: its client is connected; interrupt() it first",
            code="failed_precondition",
        )
    if intr.gave_up:
        raise IllegalState(
            f"can't resume {intr.identity!r}: its client gave up reconnecting "
            f"{intr.give_up_after:g} s after the interrupt (faults §4.2); connect it again",
            code="failed_precondition",
        )
    now = server.records.get(intr.identity)
    if now is None:
        _check_rejoin(server, intr, "resume")
        # the server closed the session meanwhile: the resume is refused and the client
        # joins again as a new session (faults §4.3)
        _faults.rejoin(server, intr)
        return
    if now.sid != intr.sid:
        raise IllegalState(
            f"can't resume {intr.identity!r}: a new session {now.sid} took its identity while "
            f"it was away, replacing {intr.sid}; LiveKit would resume that new session by "
            "identity (roommanager.go StartSession), which roomsim doesn't simulate (faults "
            "§4.3); let it give up, or reconnect() the new session",
            code="failed_precondition",
        )
    _faults.resume(server, intr)


def _check_rejoin(server: Server, intr: _faults.Interruption, verb: str) -> None:
    # a closed room refuses the verb before this (RoomClosed)
    if intr.client is None:
        raise IllegalState(
            f"can't {verb} {intr.identity!r}: roomsim runs no client for its session "
            f"{intr.sid} (a fork's session without one); connect it again",
            code="failed_precondition",
        )


def apply_reconnect(server: Server, m: mutations.Reconnect) -> None:
    intr = _faults.find(server, m.identity)
    if intr is not None and not intr.gave_up and m.identity not in server.records:
        _check_rejoin(server, intr, "reconnect")
        # its session is gone: the full reconnect joins again (faults §4.3)
        _faults.rejoin(server, intr)
        return
    rec = server.lookup(m.identity)
    intr = server.interrupted.get(rec.sid)
    if intr is not None and intr.gave_up:
        raise IllegalState(
            f"can't reconnect {m.identity!r}: its client gave up reconnecting "
            f"{intr.give_up_after:g} s after the interrupt (faults §4.2); connect it again",
            code="failed_precondition",
        )
    client = server.sessions.get(m.identity)
    if client is None or client.sid != rec.sid:
        raise IllegalState(
            f"can't reconnect {rec.identity!r}: roomsim runs no client for its session "
            f"{rec.sid} (a fork's session without one); connect it again",
            code="failed_precondition",
        )
    if rec.state is not ParticipantState.ACTIVE:
        raise IllegalState(
            f"can't reconnect {rec.identity!r}: it is {rec.state.name}, its media never "
            "connected; activate() it first (faults §3.1)",
            code="failed_precondition",
        )
    _faults.restart(server, m.identity)


def apply_send_data(server: Server, m: mutations.SendData) -> None:
    if m.sender is not None:
        rec = server.lookup(m.sender)
        intr = server.interrupted.get(rec.sid)
        if intr is not None and intr.holds():
            # sent when the client is reconnected (faults §2.4)
            intr.outbox.append((server.now(), m))
            return
    media.apply_send_data(server, m)


def apply_shutdown(server: Server, m: mutations.ShutdownServer) -> None:
    # the forced stop: every session gets Leave{DISCONNECT, SERVER_SHUTDOWN} (faults §6)
    server.close(DisconnectReason.SERVER_SHUTDOWN)
