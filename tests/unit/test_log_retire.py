"""What a leave costs the fact log (issue 21: a leave in a room of 10,000 must cost what it
changes): the bound on ended readers (``FactLog.retire``) drops the earliest joined reader
that pins nothing, looking only at readers whose session ended; an ended reader's backlog
shares the log's list instead of copying it, and stays whole when the log trims."""

from __future__ import annotations

import random

import pytest

from roomsim import _facts as facts
from roomsim._log import FactLog


class _Reader:
    """A reader that pins its cursor until told it needs nothing; counts ``pinned`` calls."""

    calls = 0

    def __init__(self, order: int) -> None:
        self.order = order
        self.cursor = 0
        self.free = False

    def deliver(self, fact: object, failures: object) -> None:
        raise AssertionError("not dispatched to")

    def catch_up(self, upto: int) -> None:
        self.cursor = upto

    def pinned(self) -> int | None:
        _Reader.calls += 1
        return None if self.free else self.cursor


def _reference_retire(readers: list[_Reader], retired: list[int], keep: int) -> None:
    """The rule as first written: scan every reader in join order for one that pins nothing."""
    retired[0] += 1
    if keep and retired[0] > keep:
        for i, r in enumerate(readers):
            if r.pinned() is None:
                del readers[i]
                retired[0] -= 1
                return


@pytest.mark.parametrize("seed", range(20))
def test_retire_drops_what_the_full_scan_drops(seed: int) -> None:
    rng = random.Random(seed)
    keep = rng.randint(0, 4)
    log, model, retired = FactLog(), list[_Reader](), [0]
    live: list[_Reader] = []
    ended: list[_Reader] = []  # ended, still pinning (a session whose end is not yet folded)
    order = 0
    for _ in range(300):
        step = rng.random()
        if step < 0.4 or not live:
            order += 1
            r = _Reader(order)
            log.add_reader(r)
            model.append(r)
            live.append(r)
        elif step < 0.8:
            r = live.pop(rng.randrange(len(live)))
            r.free = rng.random() < 0.7  # most pin nothing from the start
            if not r.free:
                ended.append(r)
            log.retire(keep, r)
            _reference_retire(model, retired, keep)
        elif ended:
            ended.pop(rng.randrange(len(ended))).free = True
        assert log.readers == model


def test_a_leave_does_not_ask_the_live_readers() -> None:
    log = FactLog()
    readers = [_Reader(i) for i in range(1, 2001)]
    for r in readers:
        log.add_reader(r)
    _Reader.calls = 0
    for r in readers[::100]:  # 20 leave, spread over the join order
        r.free = True
        log.retire(2, r)
    assert _Reader.calls <= 20 * 3
    # the two latest joined of the 20 are kept, every live reader stays
    assert [r for r in readers if r.free and r in log.readers] == [readers[1800], readers[1900]]
    assert len(log.readers) == 2000 - 18


def _log_of(n: int) -> tuple[FactLog, _Reader]:
    """A log of ``n`` dispatched facts (room metadata "0", "1", ...) and its one reader."""
    log = FactLog()
    reader = _Reader(1)
    log.add_reader(reader)
    for i in range(n):
        log.append(facts.RoomMetadata("", str(i), 0.0))
    log.dispatch()
    return log, reader


def test_a_backlog_outlives_a_trim_and_ends_where_it_was_cut() -> None:
    log, reader = _log_of(5000)
    backlog = log.backlog(2000, 4500)
    log.append(facts.RoomMetadata("", "after", 0.0))
    reader.catch_up(4000)
    log.maybe_trim()
    assert log.kept == 1001  # trimmed: the backlog did not pin the log
    held = backlog.between(2000, log.end)
    assert [f.new for f in held] == [str(i) for i in range(2000, 4500)]  # type: ignore[attr-defined]
    assert backlog.at(2000) is held[0]
    assert log.at(4000).new == "4000"  # type: ignore[attr-defined]


def test_a_trim_gives_a_small_backlog_its_own_slice_and_leaves_a_large_one_shared() -> None:
    """A kept backlog holds at most twice what it needs once the log has trimmed: a backlog
    of at most half the old list copies its slice out of it (so an old list is not kept
    whole by each ended client, the soak's memory); a larger one keeps sharing it."""
    log, reader = _log_of(5000)
    old = log._facts
    small = log.backlog(4000, 4100)
    large = log.backlog(1000, 4900)
    reader.catch_up(4950)
    log.maybe_trim()
    assert log._facts is not old  # the log started a new list
    assert small._facts is not old and len(small._facts) == 100
    assert large._facts is old
    for backlog, (start, stop) in ((small, (4000, 4100)), (large, (1000, 4900))):
        held = backlog.between(start, log.end)
        assert [f.new for f in held] == [str(i) for i in range(start, stop)]  # type: ignore[attr-defined]
        assert backlog.at(start) is held[0]
    assert log._shared == []  # nothing held for the next trim
