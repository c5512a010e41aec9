"""``client.events``: every event a client received, read-only, without a copy per access."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, overload

from roomsim.events import Event

if TYPE_CHECKING:
    from roomsim.client import Client

__all__ = ["EventsView"]


class EventsView(Sequence[Event]):
    """Every event a client received, read-only, without a copy per access."""

    __slots__ = ("_client",)

    def __init__(self, client: Client) -> None:
        self._client = client

    def _list(self) -> list[Event]:
        self._client._sync()
        return self._client._events

    @overload
    def __getitem__(self, i: int) -> Event: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Event]: ...
    def __getitem__(self, i: int | slice) -> Event | Sequence[Event]:
        if isinstance(i, slice):
            return tuple(self._list()[i])
        return self._list()[i]

    def __len__(self) -> int:
        return len(self._list())

    def __iter__(self) -> Iterator[Event]:
        return iter(self._list())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self._list()) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._list())
