"""Long runs stay flat: a tiny smoke run of ``benchmarks/soak.py`` (the soak itself is a
benchmark, not a test), and what keeps the fact log from being trimmed."""

from __future__ import annotations

import pytest

from benchmarks.soak import Soak, run
from roomsim import Client, Permission, Room, RoomConfig
from roomsim.testing import check_invariants


def test_the_soak_runs(capsys: pytest.CaptureFixture[str]) -> None:
    run(mutations=600, clients=20, drain_every=100, windows=3, churn=True)
    out = capsys.readouterr().out
    assert "mutations" in out and "RSS MiB" in out


def test_the_soak_mix_keeps_the_invariants() -> None:
    soak = Soak(12, churn=True, seed=3)
    for i in range(400):
        soak.step(i)
        if i % 50 == 0:
            soak.drain()
            check_invariants(soak.room)


def _facts_after(updates: int, room: Room) -> int:
    a = room.clients["a"]
    for i in range(updates):
        a.set_attributes({"k": str(i & 7)})
        if i % 500 == 0:
            a.drain()
    a.drain()
    return room.statistics().facts_kept


def test_the_fact_log_is_trimmed_when_every_client_reads() -> None:
    room = Room("r", keep_log=False)
    room.connect("a", permission=Permission(can_update_metadata=True), keep_events=False)
    assert _facts_after(10_000, room) < 9_000


def test_a_departed_client_nobody_reads_does_not_pin_the_fact_log() -> None:
    room = Room("r", keep_log=False)
    room.connect("a", permission=Permission(can_update_metadata=True), keep_events=False)
    room.connect("b", keep_events=False).disconnect()
    assert _facts_after(10_000, room) < 9_000


def _backlog_script(room: Room, *, read_every_step: bool) -> list[Client]:
    """Twenty listeners join, see 5,000 updates and leave; ``read_every_step`` reads them."""
    a = room.connect("a", permission=Permission(can_update_metadata=True), keep_events=False)
    listeners = [room.connect(f"l{i}") for i in range(20)]
    for i in range(5_000):
        a.set_attributes({"k": str(i)})
        a.drain()
        if read_every_step:
            for c in listeners:
                c.drain()
    for c in listeners:
        c.disconnect()
    return listeners


def test_a_departed_clients_backlog_is_never_caught_up_inside_another_apply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 25: the trim made every departed, never-read client fold its whole backlog inside
    whichever ``apply`` triggered it.  Now each ``apply`` projects only what its own readers
    need; the backlog is folded when (if ever) the departed client is read."""
    import roomsim.client

    room = Room("r", keep_log=False)
    unread = _backlog_script(room, read_every_step=False)
    projected = 0
    project = vars(roomsim.client)["project"]

    def counting(view: object, fact: object) -> object:
        nonlocal projected
        projected += 1
        return project(view, fact)

    monkeypatch.setattr(roomsim.client, "project", counting)
    a = room.clients["a"]
    worst = 0
    for i in range(2 * 4096):  # at least one trim
        projected = 0
        a.set_attributes({"k": f"x{i}"})
        worst = max(worst, projected)
        a.drain()
    assert room.statistics().facts_kept < 4 * 4096  # the log was trimmed past the backlog
    assert worst <= 2  # a's own fact, and no departed client's backlog
    # read later, the backlog gives the events a client read all along gives
    projected = 0
    monkeypatch.setattr(roomsim.client, "project", project)
    twin = Room("r", keep_log=False)
    read = _backlog_script(twin, read_every_step=True)
    for c, d in zip(unread, read, strict=True):
        assert list(c.events) == list(d.events)
    check_invariants(room)


def test_departed_and_webhooks_keep_the_newest() -> None:
    config = RoomConfig(keep_departed=3, keep_webhooks=5)
    room = Room("r", config=config)
    room.connect("stay")
    for i in range(10):
        room.connect(f"p{i}").disconnect()
    assert [p.identity for p in room.departed] == ["p7", "p8", "p9"]
    assert [p.identity for p in room.departed[1:]] == ["p8", "p9"]
    assert len(room.webhooks) == 5
    assert room.webhooks[-1].participant is not None
    assert room.webhooks[-1].participant.identity == "p9"
    fork = Room.from_snapshot(room.snapshot())
    assert list(fork.departed) == list(room.departed)
    assert list(fork.webhooks) == list(room.webhooks)
    fork.connect("q").disconnect()
    assert [p.identity for p in fork.departed] == ["p8", "p9", "q"]
    check_invariants(fork)


def test_ended_clients_keep_the_latest_joined() -> None:
    room = Room("r", config=RoomConfig(keep_ended_clients=2))
    stay = room.connect("stay")
    ended = [room.connect(f"p{i}") for i in range(10)]
    for c in ended:
        c.disconnect()
    assert [c.identity for c in room.all_clients] == ["stay", "p8", "p9"]
    assert room.statistics().clients == 3
    # a dropped client you still hold reads its whole session
    assert ended[0].events[-1].name == "disconnected"
    assert Room.from_snapshot(room.snapshot()).snapshot() == room.snapshot()
    assert stay.drain()
    check_invariants(room)


def test_zero_keeps_everything() -> None:
    config = RoomConfig(keep_departed=0, keep_webhooks=0, keep_ended_clients=0)
    room = Room("r", config=config)
    for i in range(30):
        room.connect(f"p{i}").disconnect()
    assert len(room.departed) == 30
    assert len(room.all_clients) == 30
    assert len(room.webhooks) > 30
