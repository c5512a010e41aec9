"""Connection qualities as an incremental history, so a quality update costs what changed.

LiveKit's ``connectionQualityWorker`` sends every ACTIVE participant's quality every 5 s, when
one of them is new or changed (server §8).  Building that map per update costs the room's size;
instead the ``QualityBook`` keeps, per identity, the versions at which its (join order,
quality) changed, and an update is the version it was sent at (``QualityView``): a client looks
up only the participants it receives, as they were at that version.  History no live update can
read is pruned, amortised, so memory stays proportional to the room and the updates still held.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping
from typing import Any

from roomsim.model import ConnectionQuality

__all__ = ["JoinOrder", "QualityBook", "QualityView"]

#: an identity's state from a version on: (join order, quality), or None when not ACTIVE
Entry = tuple[int, ConnectionQuality] | None

# history entries kept before a prune is considered (then: twice what a prune leaves)
PRUNE_AT = 1024


class QualityBook:
    """The ACTIVE participants' qualities, what the last update sent, and their history."""

    __slots__ = (
        "_changed",
        "_entries",
        "_history",
        "_live",
        "_prune_at",
        "_restored",
        "_sent",
        "_version",
        "current",
    )

    def __init__(self) -> None:
        #: identity -> (join order, quality) of every ACTIVE participant now
        self.current: dict[str, tuple[int, ConnectionQuality]] = {}
        #: identity -> [(version, entry)], oldest first: its state from that version on
        self._history: dict[str, list[tuple[int, Entry]]] = {}
        self._entries = 0
        self._prune_at = PRUNE_AT
        #: what the last tick left as "sent" for identities changed since (absent: current)
        self._sent: dict[str, Entry] = {}
        #: identities changed since the last version was written to the history
        self._changed: set[str] = set()
        #: the updates still referenced (version -> view): they pin the history they read (made
        #: by the first update: a room that never sends one doesn't pay for it)
        self._live: weakref.WeakValueDictionary[int, QualityView] | None = None
        #: the number of updates sent so far
        self._version = 0
        #: a restored room's "sent", exactly as its snapshot had it, until the next tick
        self._restored: tuple[tuple[str, ConnectionQuality], ...] | None = None

    # ----------------------------------------------------------------------------------------
    # changes (the server calls these as ACTIVE sessions come, go or change quality)

    def _touch(self, identity: str) -> None:
        if identity not in self._sent:
            self._sent[identity] = self.current.get(identity)
        self._changed.add(identity)

    def set(self, identity: str, seq: int, quality: ConnectionQuality) -> None:
        """``identity`` is ACTIVE with this quality (it became ACTIVE, or its quality changed)."""
        self._touch(identity)
        self.current[identity] = (seq, quality)

    def remove(self, identity: str) -> None:
        """``identity`` is no longer ACTIVE (its session ended)."""
        if identity in self.current:
            self._touch(identity)
            del self.current[identity]

    # ----------------------------------------------------------------------------------------
    # the tick

    def tick(self) -> QualityView | None:
        """The 5 s update: a new version if an ACTIVE participant is new or changed since the
        last tick (server §8), else None; either way what is current counts as sent."""
        current = self.current
        due = False
        for identity, was in self._sent.items():
            now = current.get(identity)
            if now is not None and (was is None or was[1] is not now[1]):
                due = True
                break
        self._sent.clear()
        self._restored = None
        if not due:
            return None
        self._version += 1
        version = self._version
        history = self._history
        for identity in self._changed:
            entry = current.get(identity)
            past = history.get(identity)
            if past is None:
                if entry is not None:
                    history[identity] = [(version, entry)]
                    self._entries += 1
            elif past[-1][1] != entry:
                past.append((version, entry))
                self._entries += 1
        self._changed.clear()
        view = QualityView(self, version, len(current))
        if self._live is None:
            self._live = weakref.WeakValueDictionary()
        self._live[version] = view
        if self._entries > self._prune_at:
            self._prune()
        return view

    def _prune(self) -> None:
        """Drop the history no live update can read (amortised O(1) per entry)."""
        live = () if self._live is None else list(self._live.keys())
        floor = min(live, default=self._version)
        kept = 0
        for identity in list(self._history):
            past = self._history[identity]
            # the last entry at or before the floor still answers for the floor
            start = 0
            for i in range(len(past) - 1, -1, -1):
                if past[i][0] <= floor:
                    start = i
                    break
            if start:
                del past[:start]
            if len(past) == 1 and past[0][1] is None and past[0][0] <= floor:
                del self._history[identity]
                continue
            kept += len(past)
        self._entries = kept
        self._prune_at = max(PRUNE_AT, 2 * kept)

    def at(self, identity: str, version: int) -> Entry:
        """``identity``'s (join order, quality) in the update of ``version``, or None."""
        past = self._history.get(identity)
        if past is None:
            return None
        for i in range(len(past) - 1, -1, -1):
            v, entry = past[i]
            if v <= version:
                return entry
        return None

    def identities_at(self, version: int) -> list[str]:
        """The ACTIVE identities in the update of ``version``, in join order (O(history))."""
        found = []
        for identity in self._history:
            entry = self.at(identity, version)
            if entry is not None:
                found.append((entry[0], identity))
        return [identity for _, identity in sorted(found)]

    # ----------------------------------------------------------------------------------------
    # snapshots

    def sent(self) -> tuple[tuple[str, ConnectionQuality], ...]:
        """What the last tick sent (or would have): identity -> quality, in join order."""
        if self._restored is not None:
            return self._restored
        entries = [(seq, i, q) for i, (seq, q) in self.current.items() if i not in self._sent]
        entries += [(e[0], i, e[1]) for i, e in self._sent.items() if e is not None]
        return tuple((i, q) for _, i, q in sorted(entries, key=lambda e: e[0]))

    def restore(
        self,
        active: Mapping[str, tuple[int, ConnectionQuality]],
        sent: tuple[tuple[str, ConnectionQuality], ...],
    ) -> None:
        """The book of a restored room: ``active`` now, ``sent`` by the last tick."""
        self.current = dict(active)
        self._restored = tuple(sent)
        was = dict(sent)
        for identity in set(was) | set(active):
            now = active.get(identity)
            q = was.get(identity)
            if now is not None and q is now[1]:
                continue
            # the join order of a sent entry only sorts sent(), which returns _restored
            self._sent[identity] = None if q is None else (0, q)
        # the next update writes every ACTIVE participant to the (empty) history
        self._changed = set(active)

    def check(self, active: Mapping[str, tuple[int, ConnectionQuality]]) -> bool:
        """Whether the book's current qualities are ``active`` (``Server.check``)."""
        return self.current == dict(active)


class QualityView(Mapping[str, ConnectionQuality]):
    """One quality update as a read-only map, identity -> quality, in join order: lookups
    cost the history of that identity; iterating costs the room (rarely needed)."""

    __slots__ = ("__weakref__", "_book", "_len", "version")

    def __init__(self, book: QualityBook, version: int, size: int) -> None:
        self._book = book
        self.version = version
        self._len = size

    def __getitem__(self, identity: str) -> ConnectionQuality:
        entry = self._book.at(identity, self.version) if type(identity) is str else None
        if entry is None:
            raise KeyError(identity)
        return entry[1]

    def get(self, identity: str, default: Any = None) -> Any:
        entry = self._book.at(identity, self.version) if type(identity) is str else None
        return default if entry is None else entry[1]

    def __contains__(self, identity: object) -> bool:
        return type(identity) is str and self._book.at(identity, self.version) is not None

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[str]:
        return iter(self._book.identities_at(self.version))

    def order(self) -> JoinOrder:
        return JoinOrder(self)

    def __repr__(self) -> str:
        return f"QualityView({dict(self)!r})"


class JoinOrder:
    """identity -> a key that sorts identities of one update in join order."""

    __slots__ = ("_view",)

    def __init__(self, view: QualityView) -> None:
        self._view = view

    def __getitem__(self, identity: str) -> int:
        entry = self._view._book.at(identity, self._view.version)
        if entry is None:
            raise KeyError(identity)
        return entry[0]
