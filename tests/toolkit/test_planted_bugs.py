"""Every planted bug of ``benchmarks/planted_bugs.py`` is found by ``RoomStateMachine`` within
the default example budget (100), and each correct app passes.

The search only (no shrinking: ``python -m benchmarks.planted_bugs`` measures the time to the
shrunk report), with the ``roomsim-ci`` profile (derandomized, so CI is reproducible).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from benchmarks.planted_bugs import BUGS, HandQueue, HandQueueMachine, hunt
from roomsim import HandlerError
from roomsim.stateful import RoomStateMachine

#: the ``roomsim-ci`` profile's settings, as keyword arguments for ``hunt``
_CI: dict[str, Any] = {
    k: getattr(settings.get_profile("roomsim-ci"), k)
    for k in ("max_examples", "stateful_step_count", "phases", "derandomize")
}

SEARCH = settings(
    settings.get_profile("roomsim-ci"),
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("bug", list(BUGS))
def test_the_planted_bug_is_found_within_the_default_budget(bug: str) -> None:
    machine, _what = BUGS[bug]
    with pytest.raises((AssertionError, HandlerError)):
        run_state_machine_as_test(machine, settings=SEARCH)


def test_the_profiles_are_registered() -> None:
    assert RoomStateMachine is not None  # importing roomsim.stateful registered them
    ci = settings.get_profile("roomsim-ci")
    assert ci.derandomize and ci.database is None and Phase.explain not in ci.phases
    assert settings.get_profile("roomsim-dev").max_examples == ci.max_examples


def test_the_correct_app_passes() -> None:
    class Correct(HandQueueMachine):
        app = HandQueue

    run_state_machine_as_test(Correct, settings=settings(SEARCH, max_examples=30))


def test_the_benchmark_measures_a_run() -> None:
    found: dict[str, Any] = hunt(
        "events_only_mirror", phases=[Phase.generate], derandomize=True, max_examples=20
    )
    assert found["found"] is True
    assert found["steps"] >= 1
    assert found["history"][0].startswith("state.populate(")
    assert found["first_failure_s"] <= found["report_s"]


@pytest.mark.parametrize(("bug", "most"), [("duplicate_identity", 2), ("host_in_own_queue", 2)])
def test_a_planted_bug_is_reported_shrunk_to_the_steps_it_needs(bug: str, most: int) -> None:
    """With shrinking (the ``roomsim-ci`` profile, derandomized): the history is as short as
    the bug allows, and Hypothesis warns of no slow shrink."""
    found: dict[str, Any] = hunt(bug, **{**_CI, "derandomize": True})
    assert found["found"] is True
    assert 1 <= found["steps"] <= most, found["history"]
    assert found["history"][0].startswith("state.populate(participants=2")
    assert not found["shrink_warning"]
