"""Virtual time: timers, the room's mutation log around advances, and multi-room advance.

Each room has one ``Timekeeper``.  Its clock (``ManualClock``) keeps the timekeepers of every
room on it; advancing any room advances them all, running their timers in order of (time,
room creation), each timer a commit of its own so handlers run at its virtual time.

The mutation log is kept here because an advance splits it: when a handler mutates the room
during an advance, the time passed so far is written first, so a replay applies that mutation
at the virtual time it was made.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

from roomsim import _faults, mutations
from roomsim import _validate as checks
from roomsim._apply.peer import rpc_timer
from roomsim._log import FactLog
from roomsim._server import Server, TimerKind
from roomsim.clock import MAX_TIME, ManualClock
from roomsim.errors import IllegalState, InvalidArgument
from roomsim.model import DisconnectReason, ParticipantState

__all__ = ["Timekeeper", "advance"]

# virtual times closer than this are the same time (float sums such as 2.0 + 0.4 vs 6 * 0.4)
TIME_EPSILON = 1e-9


class Timekeeper:
    """One room's timers and mutation log, as its clock sees the room."""

    __slots__ = (
        "_mark",
        "_timer_ran",
        "_wrote",
        "facts",
        "keep_log",
        "mutations",
        "room_advance",
        "server",
    )

    def __init__(
        self,
        server: Server,
        facts: FactLog,
        *,
        keep_log: bool,
        room_advance: Callable[[float], None],
    ) -> None:
        self.server = server
        self.facts = facts
        self.keep_log = keep_log
        #: every mutation applied, in order (nested ones included); empty with keep_log=False
        self.mutations: list[mutations.Mutation] = []
        #: ``Room.advance`` of the room: ``ManualClock.advance`` goes through the first room
        self.room_advance = room_advance
        # while an advance runs: the time up to which it has been written to the log, whether
        # a timer of this room ran since, and whether a piece was written at all
        self._mark: float | None = None
        self._timer_ran = False
        self._wrote = False

    # ----------------------------------------------------------------------------------------
    # the mutation log

    def record(self, m: mutations.Mutation) -> None:
        """Log a mutation that was applied (an ``Advance`` logs itself, in pieces)."""
        if self.keep_log:
            if self._mark is not None:
                self._log_piece()
            self.mutations.append(m)

    def _log_piece(self, *, final: bool = False, whole: mutations.Advance | None = None) -> None:
        """Write the time passed so far in the running advance to the log."""
        mark = self._mark
        assert mark is not None
        now = self.server.now()
        # a zero-length piece still matters when a timer ran since the last one: replay must
        # run it before the mutation that follows
        if whole is not None:
            # not split by a handler's mutation: the log keeps the advance as it was asked
            if self.keep_log:
                self.mutations.append(whole)
        elif self.keep_log and (now > mark or final or self._timer_ran):
            self.mutations.append(mutations.Advance(dt=now - mark))
        self._mark = now
        # once a piece is written, a replay runs every timer due up to it before what follows
        self._timer_ran = False
        self._wrote = True

    # ----------------------------------------------------------------------------------------
    # timers

    def _begin(self, now: float, *, late: bool = False) -> None:
        self._mark = now
        self._timer_ran = False
        # a room made during the advance logs only the part it lived through
        self._wrote = late

    def next_due(self) -> float:
        timers = self.server.timers
        return timers[0][0] if timers else math.inf

    def run_next_timer(self) -> None:
        """Run the earliest timer (the clock stands at its due time), then deliver."""
        if not self._wrote:
            self._timer_ran = True
        run_timer(self.server)
        # each timer is a commit of its own: handlers run at its virtual time
        self.facts.dispatch()


_FAULT_TIMERS = frozenset(
    {TimerKind.RESUME, TimerKind.CONNECTION_TIMEOUT, TimerKind.GIVE_UP, TimerKind.TOKEN_REFRESH}
)


def run_timer(server: Server) -> None:
    """Run ``server``'s earliest timer."""
    _, _, kind, arg = heapq.heappop(server.timers)
    if kind is TimerKind.CLOSE_CHECK:
        server.close_due = None
        server.check_close()
    elif kind is TimerKind.JOIN_TIMEOUT:
        rec = next((r for r in server.records.values() if r.sid == arg), None)
        if rec is not None and rec.state is not ParticipantState.ACTIVE:
            server.end_session(rec.identity, DisconnectReason.JOIN_FAILURE)
    elif kind in _FAULT_TIMERS:
        _faults.run_timer(server, kind, arg)
    elif kind is TimerKind.SPEAKERS:
        server.speakers_due = None
        server.speaker_tick()
    elif kind is TimerKind.RPC:
        rpc_timer(server, arg)
    else:
        server.quality_due = None
        server.quality_tick()


def advance(origin: Timekeeper, m: mutations.Advance) -> None:
    """Apply ``m``: every room on ``origin``'s clock lets ``m.dt`` virtual seconds pass.

    Handler failures of other rooms are reported by the origin's verb.
    """
    dt = checks.check_finite_nonneg(m.dt, "advance(dt=...)")
    clock: ManualClock = origin.server.clock
    if clock.now + dt > MAX_TIME:
        raise InvalidArgument(
            f"advance(dt={m.dt!r}) would take virtual time past {MAX_TIME:g} s "
            f"(about 31,700 years); advance by less"
        )
    members: list[Timekeeper] = clock._members_list()
    if clock._is_advancing() or any(tk.facts.dispatching for tk in members):
        raise IllegalState(
            "can't advance the clock from inside a handler (of any room on this clock); "
            "advance after the verb returns"
        )
    target = clock.now + dt
    for tk in members:
        tk._begin(clock.now)
    with clock._advancing_to(target):
        while True:
            if len(clock._members_list()) != len(members):
                # a room made by a handler during this advance joins it from its creation
                for tk in clock._members_list()[len(members) :]:
                    tk._begin(clock.now, late=True)
                members = clock._members_list()
            best: Timekeeper | None = None
            best_due = math.inf
            for tk in members:
                due = tk.next_due()
                if due <= target + TIME_EPSILON and due < best_due:
                    best, best_due = tk, due
            if best is None:
                break
            clock._move_to(max(clock.now, min(best_due, target)))
            best.run_next_timer()
            if best is not origin:
                origin.facts.failures.extend(best.facts.take_failures())
    for tk in members:
        tk._log_piece(final=True, whole=None if tk._wrote else m)
        tk._mark = None
