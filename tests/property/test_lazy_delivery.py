"""Lazy delivery (design §1 "Facts, then projection"): when a client is read never changes
what it receives.  Three twin rooms get the same mutations: clients of the first are read after
every mutation, of the second only at the end, and of the third through handlers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from roomsim import Client, Room, RoomsimError
from roomsim.events import ALL_EVENTS, Event
from roomsim.testing import check_invariants
from tests.property._actions import mutation


def _streams(room: Room) -> list[tuple[str, str, tuple[Event, ...]]]:
    return [(c.identity, c.sid, tuple(c.events)) for c in room.all_clients]


@given(st.data())
def test_reading_early_or_late_or_through_handlers_gives_the_same_streams(
    data: st.DataObject,
) -> None:
    eager, lazy, handled = Room("r"), Room("r"), Room("r")
    seen: dict[str, list[Event]] = {}

    def watch(c: Client) -> None:
        # events delivered before the handler was registered are state, not handler calls
        log = seen.setdefault(c.sid, list(c.events))
        for cls in ALL_EVENTS:
            c.on(cls.name, log.append)

    for _ in range(data.draw(st.integers(1, 30))):
        m = mutation(data, eager)
        outcomes: list[type[RoomsimError] | None] = []
        for room in (eager, lazy, handled):
            try:
                result = room.apply(m)
                outcomes.append(None)
                if isinstance(result, Client) and room is handled:
                    watch(result)
            except RoomsimError as e:
                outcomes.append(type(e))
        assert outcomes[0] == outcomes[1] == outcomes[2]
        for c in eager.all_clients:
            c.events  # noqa: B018  (reading folds the client)
            c.remote_participants  # noqa: B018
        check_invariants(eager)
    assert _streams(eager) == _streams(lazy) == _streams(handled)
    for sid, log in seen.items():
        client = next(c for c in handled.all_clients if c.sid == sid)
        assert list(client.events) == log
    check_invariants(lazy)
    check_invariants(handled)
    assert eager.snapshot() == lazy.snapshot()
