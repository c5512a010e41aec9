"""Bridge consistency on generated histories: every client bridged, checked after every step.

Histories come from the property tests' drawer (``tests/property/_actions.py``), plus time
passing and, once the room simulates them, audio levels and connection qualities.  After each
step every live client's SDK Room must equal its roomsim snapshot (``_harness``).
"""

from __future__ import annotations

import contextlib
import logging

import pytest

pytest.importorskip("livekit.rtc")

from hypothesis import given
from hypothesis import strategies as st

from roomsim import (
    Client,
    ClientDisconnected,
    ConnectionQuality,
    HandlerError,
    Room,
    RoomsimError,
)
from roomsim import mutations as M
from tests.interop._harness import Harness
from tests.property._actions import mutation

QUALITIES = [q for q in ConnectionQuality if q is not ConnectionQuality.UNKNOWN]


def _media(data: st.DataObject, room: Room) -> M.Mutation | None:
    """A time, audio-level or quality step, when the room simulates it."""
    present = list(room.participants)
    choice = data.draw(st.integers(0, 2))
    if choice == 0:
        return M.Advance(dt=data.draw(st.sampled_from([0.4, 1.0, 5.0])))
    if not present or not hasattr(room, "set_audio_levels"):
        return None
    who = data.draw(st.sampled_from(present))
    if choice == 1:
        level = data.draw(st.sampled_from([0.0, 0.3, 0.9]))
        return M.SetAudioLevels(levels={who: level})
    return M.SetConnectionQuality(identity=who, quality=data.draw(st.sampled_from(QUALITIES)))


@given(st.data())
def test_every_bridged_client_matches_its_snapshot_after_every_step(data: st.DataObject) -> None:
    records = _Records()
    logger = logging.getLogger("livekit")
    logger.addHandler(records)
    try:
        _run(data, records)
    finally:
        logger.removeHandler(records)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _run(data: st.DataObject, records: _Records) -> None:
    room = Room("r")
    harness = Harness()
    for _ in range(data.draw(st.integers(1, 30))):
        m = mutation(data, room) if data.draw(st.integers(0, 4)) else _media(data, room)
        if m is None:
            continue
        try:
            result = room.apply(m)
        except HandlerError:
            raise
        except RoomsimError:
            continue
        if isinstance(result, Client):
            with contextlib.suppress(ClientDisconnected):
                harness.attach(result)
        harness.check(records.records)
