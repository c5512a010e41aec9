"""Long runs stay flat: a tiny smoke run of ``benchmarks/soak.py`` (the soak itself is a
benchmark, not a test), and what keeps the fact log from being trimmed."""

from __future__ import annotations

import pytest

from benchmarks.soak import Soak, run
from roomsim import Permission, Room
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
