"""Forking a room while clients reconnect (faults §10): the fork carries each interruption (the
pending resume, give-up and timeout timers, what the client missed, the data it holds, its
connection state), so the fork and the original give the same events and state for the same
mutations, whatever the kind of cut, the SDK, and where in the interruption the fork is taken."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from roomsim import InterruptKind, Permission, Room, RoomsimError
from roomsim import mutations as M
from roomsim.strategies import families, mutations
from roomsim.testing import check_invariants

_GRANT = Permission(can_update_metadata=True)
#: a fork doesn't carry queued audio (audio §10)
_FAMILIES = tuple(f for f in families() if f is not M.PushAudio)


def _apply(room: Room, m: M.Mutation) -> type[RoomsimError] | None:
    try:
        room.apply(m)
    except RoomsimError as e:
        return type(e)
    return None


def _drains(room: Room) -> list[tuple[str, tuple[object, ...]]]:
    return [(c.identity, c.drain()) for c in room.all_clients]


@given(st.data())
def test_a_fork_mid_interruption_continues_as_the_original(data: st.DataObject) -> None:
    room = Room("r")
    for identity, sdk in (("alice", "python"), ("bob", "js"), ("carol", "python")):
        room.connect(identity, sdk=sdk, permission=_GRANT)
    cut = data.draw(st.sampled_from(["alice", "bob"]))
    for _ in range(data.draw(st.integers(0, 6))):
        _apply(room, data.draw(mutations(room, families=_FAMILIES)))
    if cut in room.clients and cut not in room.reconnecting:
        # one interruption at least, of either kind, resumed later or left to run out
        _apply(
            room,
            M.Interrupt(
                identity=cut,
                kind=data.draw(st.sampled_from(list(InterruptKind))),
                resume_after=data.draw(st.sampled_from([None, 0.5, 3.0, 19.0])),
            ),
        )
    for _ in range(data.draw(st.integers(0, 8))):  # what happens while it is away
        _apply(room, data.draw(mutations(room, families=_FAMILIES)))
    snap = room.snapshot()
    fork = Room.from_snapshot(snap)
    assert fork.snapshot() == snap
    assert fork.reconnecting == room.reconnecting
    assert _drains(fork) == _drains(room)
    check_invariants(fork)
    for _ in range(data.draw(st.integers(1, 12))):
        m = data.draw(mutations(room, families=_FAMILIES))
        if data.draw(st.integers(0, 3)) == 0:
            m = M.Advance(dt=data.draw(st.sampled_from([0.4, 3.0, 20.0, 45.0])))
        assert _apply(room, m) == _apply(fork, m)
        assert _drains(fork) == _drains(room)
        if data.draw(st.integers(0, 5)) == 0:  # a fork of the fork, mid-way
            fork = Room.from_snapshot(fork.snapshot())
    assert room.snapshot() == fork.snapshot()
    check_invariants(fork)


def test_a_fork_taken_mid_cut_resumes_with_what_the_client_missed() -> None:
    # faults §10: the fork's client emits, at its resume, what it missed before the fork and
    # after it, in order, as the original does
    room = Room("r")
    alice, bob = room.connect("alice"), room.connect("bob", permission=_GRANT)
    alice.drain()
    room.interrupt("alice", kind=InterruptKind.NETWORK, resume_after=4.0)
    bob.set_metadata("before the fork")
    bob.send_data(b"reliable")
    fork = Room.from_snapshot(room.snapshot())
    assert fork.clients["alice"].remote_participants["bob"].metadata == ""  # still at the cut
    for r in (room, fork):
        r.clients["bob"].set_metadata("after the fork")
        r.advance(4.0)
    events = fork.clients["alice"].drain()
    assert events == alice.drain()
    assert [e.name for e in events if e.name != "connection_quality_changed"] == [
        "connection_state_changed",
        "reconnecting",
        "participant_metadata_changed",
        "data_received",
        "participant_metadata_changed",
        "token_refreshed",
        "connection_state_changed",
        "reconnected",
    ]
    assert fork.clients["alice"].remote_participants["bob"].metadata == "after the fork"
