"""The fact log: facts in commit order, the readers that fold them, and dispatch.

A commit appends facts here; nothing else writes the log.  A *reader* (a ``Client``) holds a
cursor into the log and folds facts into events when it is read (lazy delivery).  Readers with
handlers are *eager*: ``dispatch`` delivers each new fact to them, in join order, after the
outermost commit (design §1).  Facts every reader has read are trimmed, so long runs stay flat.

Positions are absolute: a fact's position never changes when older facts are trimmed.

A reader whose session ended and that nobody has read to its end does not hold the trim back,
and is not caught up inside the ``apply`` that trims: it takes a ``Backlog`` (the facts of its
session it has not read, a slice of references) and folds them when it is read, if ever.
"""

from __future__ import annotations

import bisect
import itertools
from typing import Protocol

from roomsim._facts import Fact
from roomsim._records import ParticipantRecord
from roomsim.errors import HandlerFailure

__all__ = ["Backlog", "FactLog", "Reader"]

# facts kept before a trim is considered; a trim drops what every reader has read
TRIM_AT = 4096


class Reader(Protocol):
    """What the log needs of a reader (``Client`` implements it)."""

    @property
    def cursor(self) -> int:
        """The position of the next fact this reader folds."""
        ...

    @property
    def order(self) -> int:
        """The reader's join order: dispatch delivers to readers in this order."""
        ...

    def deliver(self, fact: Fact, failures: list[HandlerFailure]) -> None:
        """Fold ``fact`` (at ``cursor``) and run handlers; failures are appended, not raised."""
        ...

    def catch_up(self, upto: int) -> None:
        """Fold every fact before ``upto`` without running handlers."""
        ...

    def pinned(self) -> int | None:
        """The oldest position this reader still needs, or None if it needs none."""
        ...


class Backlog:
    """An ended reader's unread facts, detached from the log so that the log can trim them:
    the log's list of references from ``start`` up to ``stop`` (shared: the log never trims a
    list in place, it starts a new one, and then gives each small backlog its own slice, so
    that a kept backlog does not hold a whole old list), read with the log's ``at``."""

    __slots__ = ("_base", "_facts", "_start", "_stop")

    def __init__(self, facts: list[Fact], base: int, start: int, stop: int) -> None:
        self._facts = facts
        self._base = base
        self._start = start
        self._stop = stop

    def unshare(self, facts: list[Fact]) -> None:
        """The log is leaving ``facts`` behind: copy this backlog's own slice out of it when
        that slice is at most half of it (so a backlog never holds more than twice what it
        needs, and one that is most of the list is not copied: a leave stays O(1))."""
        if self._facts is facts and 2 * (self._stop - self._start) <= len(facts):
            self._facts = facts[self._start - self._base : self._stop - self._base]
            self._base = self._start

    def at(self, pos: int) -> Fact:
        return self._facts[pos - self._base]

    def between(self, start: int, stop: int) -> list[Fact]:
        """The facts at positions ``start`` to ``stop`` (exclusive) that it holds."""
        return self._facts[start - self._base : min(stop, self._stop) - self._base]


class FactLog:
    """The room's facts, its readers, and delivery to the eager ones."""

    __slots__ = (
        "_base",
        "_dispatch_pos",
        "_dispatching",
        "_eager",
        "_facts",
        "_gone",
        "_linked",
        "_readers",
        "_retired",
        "_shared",
        "_trim_at",
        "failures",
    )

    def __init__(self) -> None:
        self._facts: list[Fact] = []
        self._base = 0
        self._trim_at = TRIM_AT
        self._readers: list[Reader] = []
        #: how many of ``_readers`` pin nothing (sessions that ended)
        self._retired = 0
        #: the readers whose session ended (``retire``) in join order: the ones ``retire``
        #: looks at first, so that it costs O(ended readers), not O(readers)
        self._gone: list[Reader] = []
        #: the backlogs made since the log last started a new list (``maybe_trim``)
        self._shared: list[Backlog] = []
        self._eager: list[Reader] = []
        self._dispatch_pos = 0
        self._dispatching = False
        #: other rooms' logs a verb of this room committed to (a move), dispatched after it
        self._linked: list[FactLog] = []
        #: handler failures collected during dispatch, reported by the outermost verb
        self.failures: list[HandlerFailure] = []

    # ----------------------------------------------------------------------------------------
    # the facts

    def append(self, fact: Fact) -> None:
        self._facts.append(fact)

    @property
    def end(self) -> int:
        """The position the next fact will have."""
        return self._base + len(self._facts)

    @property
    def kept(self) -> int:
        """How many facts are kept (not yet trimmed)."""
        return len(self._facts)

    def at(self, pos: int) -> Fact:
        return self._facts[pos - self._base]

    def since(self, pos: int) -> list[Fact]:
        return self._facts[pos - self._base :]

    def between(self, start: int, stop: int) -> list[Fact]:
        """The facts at positions ``start`` to ``stop`` (exclusive), a copy of references."""
        return self._facts[start - self._base : stop - self._base]

    def backlog(self, start: int, stop: int) -> Backlog:
        """The facts at positions ``start`` to ``stop`` (exclusive), kept apart from the log:
        its list shared, not copied (O(1): a reader that leaves after a long unread session
        costs what it changes, issue 21)."""
        backlog = Backlog(self._facts, self._base, start, stop)
        self._shared.append(backlog)
        return backlog

    def records_at(
        self, pos: int, current: dict[str, ParticipantRecord]
    ) -> dict[str, ParticipantRecord]:
        """The server's records as they were before the fact at ``pos``, rolled back from
        ``current`` through the facts' ``before`` values."""
        if pos >= self.end:
            return current
        older: dict[str, ParticipantRecord | None] = {}
        for f in self.since(pos):
            if f.subject is not None and f.subject not in older:
                older[f.subject] = f.before
        if not older:
            return current
        out = {k: r for k, r in current.items() if k not in older}
        for k, r in older.items():
            if r is not None:
                out[k] = r
        return dict(sorted(out.items(), key=lambda kv: kv[1].seq))

    # ----------------------------------------------------------------------------------------
    # readers and dispatch

    @property
    def readers(self) -> list[Reader]:
        """Every reader ever added, in join order."""
        return self._readers

    @property
    def dispatching(self) -> bool:
        return self._dispatching

    def add_reader(self, reader: Reader) -> None:
        self._readers.append(reader)

    def restore_readers(self, readers: list[Reader]) -> None:
        self._readers = list(readers)
        self._gone = [r for r in readers if r.pinned() is None]
        self._retired = len(self._gone)

    def retire(self, keep: int, reader: Reader) -> None:
        """``reader``'s session ended: keep at most ``keep`` ended readers (0 keeps all),
        dropping the earliest joined, so that a long run's readers stay bounded."""
        self._retired += 1
        if not keep:
            return
        gone = self._gone
        if _place(gone, reader) is None:
            bisect.insort(gone, reader, key=_order)
        if self._retired <= keep:
            return
        # the earliest joined reader that pins nothing: one whose session ended (a live
        # reader pins), else (a fork's restored reader) any
        readers = self._readers
        for r in itertools.chain(gone, readers):
            if r.pinned() is None:
                i = _place(readers, r)
                if i is not None:
                    del readers[i]
                    j = _place(gone, r)
                    if j is not None:
                        del gone[j]
                    self._retired -= 1
                    return

    def unretire(self) -> None:
        """A retired reader's client joined again (a full reconnect, faults §4.3)."""
        self._retired = max(0, self._retired - 1)

    def make_eager(self, reader: Reader) -> None:
        """``reader`` got its first handler: from now on dispatch delivers to it."""
        reader.catch_up(self._dispatch_pos + 1 if self._dispatching else self.end)
        keyed = [r.order for r in self._eager]
        self._eager.insert(bisect.bisect(keyed, reader.order), reader)

    def make_lazy(self, reader: Reader) -> None:
        if reader in self._eager:
            self._eager.remove(reader)

    def link(self, other: FactLog) -> None:
        """A verb of this room committed to ``other`` too (a move, faults §5): this log's
        ``dispatch`` dispatches ``other`` after its own facts, and reports its failures."""
        self._linked.append(other)

    def dispatch(self) -> None:
        """Deliver every fact not yet dispatched to the eager readers, facts in log order and
        readers in join order, then the facts of the logs ``link`` named."""
        self._dispatch_own()
        while self._linked and not self._dispatching:
            other = self._linked.pop(0)
            other.dispatch()
            self.failures.extend(other.take_failures())

    def _dispatch_own(self) -> None:
        """Never re-entered: facts appended meanwhile are delivered by the same loop."""
        if self._dispatching:
            return
        if not self._eager:
            self._dispatch_pos = self.end
            return
        self._dispatching = True
        try:
            while True:
                facts = self._facts  # (a new list after a trim)
                i = self._dispatch_pos
                k = i - self._base
                if k >= len(facts):
                    break
                fact = facts[k]
                for reader in tuple(self._eager):
                    if reader.cursor == i:
                        reader.deliver(fact, self.failures)
                self._dispatch_pos = i + 1
        finally:
            self._dispatching = False

    def take_failures(self) -> list[HandlerFailure]:
        failures, self.failures = self.failures, []
        return failures

    def maybe_trim(self) -> None:
        """Drop the facts every reader has read (amortised: called when the log has grown)."""
        if len(self._facts) < self._trim_at:
            return
        low = self._dispatch_pos
        for r in self._readers:
            pos = r.pinned()
            if pos is not None and pos < low:
                low = pos
        drop = low - self._base
        if drop >= len(self._facts) // 2:
            old = self._facts
            self._facts = old[drop:]  # a new list: backlogs share the old one, or copy out
            self._base = low
            for backlog in self._shared:
                backlog.unshare(old)
            self._shared = []
        # the scan costs O(readers): make the next one wait until the log has doubled, so its
        # cost stays amortised O(1) per fact even while unread readers pin the log
        self._trim_at = max(TRIM_AT, 2 * len(self._facts))


def _order(reader: Reader) -> int:
    return reader.order


def _place(readers: list[Reader], reader: Reader) -> int | None:
    """Where ``reader`` is in ``readers`` (a list in join order, as the log's readers are), or
    None: found by bisection on ``Reader.order``."""
    i = bisect.bisect_left(readers, reader.order, key=_order)
    return i if i < len(readers) and readers[i] is reader else None
