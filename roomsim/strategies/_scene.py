"""A room's state as the mutation strategies need it, read through the public API only.

:func:`read_scene` reads ``room.participants`` (the server's truth) and, only when a drawer
asks for them, the server's subscriptions (``Scene.subscribed``).  The helpers
below pick among the scene's participants with draws that shrink towards the first one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import attrs
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument as BadStrategyArgument

from roomsim.config import RoomConfig
from roomsim.model import (
    ParticipantState,
    Permission,
    TrackKind,
    TrackSource,
)
from roomsim.room import Room
from roomsim.snapshot import RoomSnapshot

__all__: list[str] = []

_T = TypeVar("_T")


@attrs.frozen
class Track:
    sid: str
    kind: TrackKind
    source: TrackSource
    owner: str


@attrs.frozen
class Person:
    identity: str
    state: ParticipantState
    permission: Permission
    dependent: bool
    tracks: tuple[Track, ...]


@attrs.define(eq=False)
class Scene:
    config: RoomConfig
    closed: bool
    people: tuple[Person, ...]
    #: the room the scene was read from, for the subscriptions (read on demand)
    room: Room | None = None
    _subscribed: frozenset[tuple[str, str]] | None = None
    _awaiting: tuple[tuple[str, str], ...] | None = None
    _methods: tuple[tuple[str, str], ...] | None = None

    def person(self, identity: str) -> Person | None:
        for p in self.people:
            if p.identity == identity:
                return p
        return None

    @property
    def tracks(self) -> tuple[Track, ...]:
        return tuple(t for p in self.people for t in p.tracks)

    @property
    def subscribed(self) -> frozenset[tuple[str, str]]:
        """(subscriber identity, track sid) of every actual subscription: the server's truth
        (``room.is_subscribed``), which reads no client (lazy delivery stays lazy); read only
        by the drawers that need it."""
        if self._subscribed is None:
            room = self.room
            self._subscribed = frozenset(
                (p.identity, t.sid)
                for p in self.people
                for t in self.tracks
                if room is not None
                and t.owner != p.identity
                and room.is_subscribed(p.identity, t.sid)
            )
        return self._subscribed

    @property
    def awaiting(self) -> tuple[tuple[str, str], ...]:
        """(callee identity, request id) of every RPC invocation awaiting its callee's answer
        (``Client.awaiting_answer``), by identity; read only by the drawers that need it."""
        if self._awaiting is None:
            room = self.room
            clients = room.clients if room is not None else {}
            self._awaiting = tuple(
                (identity, request_id)
                for identity in sorted(clients)
                for request_id in clients[identity].awaiting_answer
            )
        return self._awaiting

    @property
    def methods(self) -> tuple[tuple[str, str], ...]:
        """(identity, method) of every registered RPC method (``Client.rpc_methods``)."""
        if self._methods is None:
            room = self.room
            clients = room.clients if room is not None else {}
            self._methods = tuple(
                (identity, method)
                for identity in sorted(clients)
                for method in clients[identity].rpc_methods
            )
        return self._methods


def read_scene(source: Room | RoomSnapshot) -> Scene:
    """Read a room (or a snapshot, through ``Room.from_snapshot``) for drawing."""
    if isinstance(source, RoomSnapshot):
        source = Room.from_snapshot(source)
    elif not isinstance(source, Room):
        raise BadStrategyArgument(
            f"mutations are drawn for a Room or a RoomSnapshot, got {source!r} "
            f"(type {type(source).__name__})"
        )
    people = tuple(
        Person(
            identity=p.identity,
            state=p.state,
            permission=p.permission,
            dependent=p.dependent,
            tracks=tuple(
                Track(sid, pub.kind, pub.source, p.identity)
                for sid, pub in p.track_publications.items()
            ),
        )
        # by identity, not join order: a participant who rejoins keeps its place, so a pick
        # means the same participant when the shrinker deletes a rejoin
        for p in sorted(source.participants.values(), key=lambda p: p.identity)
    )
    return Scene(config=source.config, closed=source.closed, people=people, room=source)


#: one index strategy for every pick (built once; a new ``integers(0, n)`` per draw costs more
#: than the draw); the index is taken modulo the number of options
_INDEX = st.integers(0, 255)


def pick(draw: st.DrawFn, options: Sequence[_T]) -> _T:
    """One of ``options``, shrinking towards the first."""
    i: int = draw(_INDEX)
    return options[i % len(options)]


def anyone(draw: st.DrawFn, sc: Scene) -> str:
    return pick(draw, [p.identity for p in sc.people]) if sc.people else "alice"


def counted(sc: Scene, excluding: str) -> int:
    return sum(1 for p in sc.people if not p.dependent and p.identity != excluding)


def granted(sc: Scene) -> list[str]:
    return [p.identity for p in sc.people if p.permission.can_update_metadata]


def is_hidden(sc: Scene, identity: str) -> bool:
    p = sc.person(identity)
    return p is not None and p.permission.hidden


def someone(sc: Scene) -> bool:
    return bool(sc.people)


def always(sc: Scene) -> bool:
    return True
