"""Read-only views handed out by ``Room`` and ``Client``: no copy per access."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar

from roomsim._validate import show
from roomsim.errors import UnknownParticipant

__all__ = ["ReadOnlySeq", "SnapshotMap"]

_R = TypeVar("_R")
_V = TypeVar("_V")


class SnapshotMap(Mapping[str, _V], Generic[_R, _V]):
    """A read-only identity -> value mapping over records, each converted on access."""

    __slots__ = ("_convert", "_records", "_what")

    def __init__(
        self, records: Mapping[str, _R], convert: Callable[[_R], _V], what: str = "here"
    ) -> None:
        self._records = records
        self._convert = convert
        self._what = what

    def __getitem__(self, identity: str) -> _V:
        try:
            record = self._records[identity]
        except KeyError:
            names = list(self._records)
            present = ", ".join(map(repr, names[:8])) + (
                f", ... ({len(names)} in all)" if len(names) > 8 else ""
            )
            raise UnknownParticipant(
                f"no participant {show(identity)} {self._what}; present: {present or 'nobody'}"
                " (identities are case-sensitive)"
            ) from None
        return self._convert(record)

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, identity: object) -> bool:
        return identity in self._records

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{k!r}: ..." for k in self._records) + "}"


class ReadOnlySeq(Sequence[Any]):
    """A read-only view of a list, a deque or another sequence (``room.webhooks``)."""

    __slots__ = ("_items",)

    def __init__(self, items: list[Any] | deque[Any] | Sequence[Any]) -> None:
        self._items = items

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice) and not isinstance(self._items, list):
            return list(self._items)[i]  # a deque (room.departed) or room.webhooks
        return self._items[i]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ReadOnlySeq):
            return self._items == other._items
        if isinstance(other, list | tuple):
            return list(self._items) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._items)
