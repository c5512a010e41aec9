"""The fault family: interrupted connections, resumes, full reconnects and the server's
shutdown (faults §9).

Registered into ``_valid.VALID`` when :mod:`roomsim.strategies` is imported, so
:func:`~roomsim.strategies.mutations` and the state machine draw them like any other family.
Interrupts resume before the client's give-up (after the server's 20 s timeout of a NETWORK
cut, the resume becomes a new session, faults §4.3); a cut left without ``resume_after`` runs
to the client's give-up once enough time passes.  A ``RoomSnapshot`` holds who is reconnecting
(faults §10), so drawing for one draws faults too.
"""

from __future__ import annotations

from typing import Final

from hypothesis import strategies as st

from roomsim import mutations as M
from roomsim.model import InterruptKind, ParticipantState
from roomsim.strategies._scene import Scene, always, pick
from roomsim.strategies._valid import VALID, Check, Drawer

__all__: list[str] = []

_KINDS: Final = st.sampled_from(list(InterruptKind))
#: a resume after a NETWORK cut's 20 s server timeout finds the session closed: the client
#: joins again as a new session (faults §4.3); 43.9 s is within both SDKs' give-up times
_AFTER: Final = st.one_of(
    st.none(), st.sampled_from([0.0, 0.5, 2.0, 19.9, 25.0]), st.floats(0.0, 43.9)
)


def _reconnecting(sc: Scene) -> tuple[str, ...]:
    return sc.room.reconnecting if sc.room is not None else ()


def _interruptible(sc: Scene) -> list[str]:
    if sc.room is None:
        return []
    clients = sc.room.clients
    busy = set(_reconnecting(sc))
    return [
        p.identity
        for p in sc.people
        if p.state is ParticipantState.ACTIVE and p.identity in clients and p.identity not in busy
    ]


def _draw_interrupt(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    return M.Interrupt(
        identity=pick(draw, _interruptible(sc)), kind=draw(_KINDS), resume_after=draw(_AFTER)
    )


def _reconnectable(sc: Scene) -> list[str]:
    return [*_interruptible(sc), *_reconnecting(sc)]


def _draw_reconnect(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    return M.Reconnect(identity=pick(draw, _reconnectable(sc)))


def _draw_resume(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    return M.Resume(identity=pick(draw, _reconnecting(sc)))


FAULTS: Final[dict[type[M.Mutation], tuple[Check, Drawer]]] = {
    M.Interrupt: (lambda sc: bool(_interruptible(sc)), _draw_interrupt),
    M.Resume: (lambda sc: bool(_reconnecting(sc)), _draw_resume),
    M.Reconnect: (lambda sc: bool(_reconnectable(sc)), _draw_reconnect),
    M.ShutdownServer: (always, lambda d, sc, p: M.ShutdownServer()),
}

VALID.update(FAULTS)
