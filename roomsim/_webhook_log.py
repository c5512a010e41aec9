"""``WebhookLog``: the webhooks a room sent, kept as their parts and made values when read.

A commit that sends a webhook (server §10) appends its parts: the event, its number, the time,
and the immutable records it names.  The ``Webhook`` value, with the participant's and the
track's snapshots, is built the first time anything reads that entry (``room.webhooks``, a
snapshot): records never change once made, so the value is the one an eager build would have
given.  A room that nobody asks for its webhooks (a property-based example) never builds one.

Entries not yet built are always the newest ones, a suffix: reading builds only what was
appended since the last read, so a reader that follows the log as it grows (``serve()``'s
webhook sender) costs O(1) per webhook.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

from roomsim._records import ParticipantRecord, TrackRecord
from roomsim.model import ParticipantSnapshot
from roomsim.webhooks import Webhook

__all__ = ["WebhookLog"]

#: a webhook's parts: (event, number, created_at, room, room_sid, participant record or None,
#: full participant (record or snapshot) or None, track record or None)
_Parts = tuple[
    str,
    int,
    float,
    str,
    str,
    ParticipantRecord | None,
    ParticipantRecord | ParticipantSnapshot | None,
    TrackRecord | None,
]


def _build(parts: _Parts) -> Webhook:
    event, number, at, room, room_sid, rec, full, track = parts
    return Webhook(
        event=event,
        id=f"EV_{number}",
        created_at=at,
        room=room,
        room_sid=room_sid,
        participant_identity=rec.identity if rec is not None else None,
        participant_sid=rec.sid if rec is not None else None,
        participant=full.snapshot() if isinstance(full, ParticipantRecord) else full,
        track=track.snapshot() if track is not None else None,
    )


class WebhookLog(Sequence[Webhook]):
    """The newest webhooks of a room (``RoomConfig.keep_webhooks``; 0 keeps every one), in
    order; a read-only sequence of ``Webhook`` values to its readers."""

    __slots__ = ("_items", "_unbuilt")

    def __init__(self, keep: int) -> None:
        self._items: deque[Any] = deque(maxlen=keep or None)
        #: how many of the newest entries are still parts
        self._unbuilt = 0

    def add(self, parts: _Parts) -> None:
        """A webhook was sent: keep its parts (built when read)."""
        self._items.append(parts)
        self._unbuilt += 1

    def extend(self, webhooks: Iterable[Webhook]) -> None:
        """Append built values (a fork restoring its snapshot's webhooks)."""
        self._built().extend(webhooks)

    def clear(self) -> None:
        self._items.clear()
        self._unbuilt = 0

    def _built(self) -> deque[Webhook]:
        """The entries, every one a ``Webhook``: those appended since the last read are built
        now, in place."""
        items = self._items
        n = min(self._unbuilt, len(items))
        if n:
            for i in range(len(items) - n, len(items)):
                items[i] = _build(items[i])
        self._unbuilt = 0
        return items

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, i: int) -> Webhook: ...
    @overload
    def __getitem__(self, i: slice) -> list[Webhook]: ...
    def __getitem__(self, i: int | slice) -> Webhook | list[Webhook]:
        if isinstance(i, slice):
            return list(self._built())[i]
        return self._built()[i]

    def __iter__(self) -> Iterator[Webhook]:
        return iter(self._built())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, WebhookLog):
            return self._built() == other._built()
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._built())
