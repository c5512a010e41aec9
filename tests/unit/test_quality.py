"""The quality book (``roomsim._quality``): a quality update costs what changed, and every
update still held reads the qualities as they were when it was sent."""

from __future__ import annotations

import gc

from roomsim import _quality
from roomsim._quality import QualityBook
from roomsim.model import ConnectionQuality

EXCELLENT, GOOD, POOR = ConnectionQuality.EXCELLENT, ConnectionQuality.GOOD, ConnectionQuality.POOR


def test_an_update_is_sent_only_for_a_new_or_changed_participant() -> None:
    book = QualityBook()
    assert book.tick() is None  # nobody ACTIVE
    book.set("a", 1, EXCELLENT)
    first = book.tick()
    assert first is not None and dict(first) == {"a": EXCELLENT}
    assert book.tick() is None  # nothing changed
    book.remove("a")
    assert book.tick() is None  # a departure alone sends nothing (server §8)
    book.set("b", 2, GOOD)
    book.set("b", 2, EXCELLENT)
    second = book.tick()
    assert second is not None and dict(second) == {"b": EXCELLENT}


def test_a_change_undone_before_the_tick_sends_nothing() -> None:
    book = QualityBook()
    book.set("a", 1, EXCELLENT)
    assert book.tick() is not None
    book.set("a", 1, POOR)
    book.set("a", 1, EXCELLENT)
    assert book.tick() is None


def test_each_update_reads_its_own_version_in_join_order() -> None:
    book = QualityBook()
    book.set("b", 2, GOOD)
    book.set("a", 1, EXCELLENT)
    first = book.tick()
    book.set("a", 1, POOR)
    book.remove("b")
    book.set("c", 3, GOOD)
    second = book.tick()
    assert first is not None and second is not None
    assert list(first.items()) == [("a", EXCELLENT), ("b", GOOD)]
    assert list(second.items()) == [("a", POOR), ("c", GOOD)]
    assert len(first) == 2 and "c" not in first and first.get("c") is None
    assert sorted(["b", "a"], key=first.order().__getitem__) == ["a", "b"]
    assert book.sent() == (("a", POOR), ("c", GOOD))


def test_pruning_keeps_what_live_updates_read_and_drops_the_rest() -> None:
    book = QualityBook()
    held = []
    for round_ in range(3000):
        quality = POOR if round_ % 2 else GOOD
        book.set(f"p{round_}", round_, quality)  # a new participant each round
        if round_:
            book.remove(f"p{round_ - 1}")
        update = book.tick()
        assert update is not None
        if round_ in (5, 2999):
            held.append(update)
    gc.collect()
    book.tick()  # nothing due; the history is bounded by what the held updates pin
    assert dict(held[0]) == {"p5": POOR}
    assert dict(held[1]) == {"p2999": POOR}
    assert book._entries <= 2 * _quality.PRUNE_AT + 4 * 3000
    del held[:], update  # nothing pins the history now
    gc.collect()
    for round_ in range(3000, 6000):
        book.set(f"p{round_}", round_, GOOD)
        book.remove(f"p{round_ - 1}")
        book.tick()
    assert book._entries <= 2 * _quality.PRUNE_AT + 2
    assert len(book._history) <= _quality.PRUNE_AT + 2


def test_a_restored_book_reports_the_sent_qualities_as_given() -> None:
    book = QualityBook()
    sent = (("gone", POOR), ("a", GOOD))
    book.restore({"a": (1, EXCELLENT)}, sent)
    assert book.sent() == sent
    update = book.tick()  # "a" changed since the last update: it is due
    assert update is not None and dict(update) == {"a": EXCELLENT}
    assert book.sent() == (("a", EXCELLENT),)
