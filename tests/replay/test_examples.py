"""The scenario library in ``examples/``: each file replays, checks and keeps the invariants."""

from __future__ import annotations

import os

import pytest

from roomsim import scenario
from roomsim.testing import check_invariants
from tests.replay._examples import BUILDERS, EXAMPLES, render

NAMES = sorted(BUILDERS)


def test_every_example_file_has_a_builder() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.jsonl")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_an_example_replays_with_the_events_it_records(name: str) -> None:
    pb = scenario.check(EXAMPLES / name)
    assert pb.scenario.events_of and pb.scenario.expected
    check_invariants(pb.room)
    room, _, _ = BUILDERS[name]()
    assert scenario.replay(EXAMPLES / name).snapshot() == room.snapshot()


@pytest.mark.parametrize("name", NAMES)
def test_an_example_is_the_dump_of_its_builder(name: str) -> None:
    text = render(name)
    if os.environ.get("ROOMSIM_REGEN_EXAMPLES"):
        (EXAMPLES / name).write_text(text, encoding="utf-8")
    assert text == (EXAMPLES / name).read_text(encoding="utf-8"), (
        f"examples/{name} is not what tests/replay/_examples.py makes; if the change is "
        "intended, rerun with ROOMSIM_REGEN_EXAMPLES=1 and review the diff"
    )
