"""Hypothesis settings profiles for testing with roomsim: one for your desk, one for CI.

:func:`register_profiles` registers them (``roomsim.stateful`` does on import); select one with
``pytest --hypothesis-profile=roomsim-dev`` (or ``roomsim-ci``), or with
``settings.load_profile("roomsim-ci")`` in a ``conftest.py``.  ``docs/howto/property-testing.md``
explains the trade-offs.
"""

from __future__ import annotations

from typing import Final

from hypothesis import HealthCheck, Phase, settings

__all__: list[str] = []

#: the profile names, for ``--hypothesis-profile``
DEV: Final = "roomsim-dev"
CI: Final = "roomsim-ci"

#: shared by both:
#: - no per-example deadline: a run's time depends on how much the app does, and a deadline
#:   flakes on a loaded machine;
#: - 20 steps per run rather than Hypothesis' 50: the planted bugs need 2 or 3 steps, a step
#:   costs about 1 ms, and a failure found in a shorter run has less to shrink (with 10, the
#:   planted "forgot on_left" bug took three times as many examples to find);
#: - no ``explain`` phase: after shrinking it replays the failing history hundreds of times
#:   to mark the steps that could vary, which took most of the time to a report (11 of 12 s
#:   of CPU for the planted duplicate-identity bug) and tells little about a room's history.
_COMMON: Final = {
    "deadline": None,
    "stateful_step_count": 20,
    "suppress_health_check": [HealthCheck.too_slow],
    "phases": [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
}


def register_profiles() -> None:
    """Register ``roomsim-dev`` and ``roomsim-ci`` (idempotent; loads neither)."""
    # at your desk: the default budget, random each run, and the example database, so that
    # a failure found once is replayed first next time (shrunk already)
    settings.register_profile(DEV, max_examples=100, **_COMMON)  # type: ignore[arg-type]
    # in CI: the same budget, derandomized (a failure reproduces on every run of the same
    # code), no database to keep, and the blob to reproduce a failure locally
    settings.register_profile(
        CI,
        max_examples=100,
        derandomize=True,
        database=None,
        print_blob=True,
        **_COMMON,  # type: ignore[arg-type]
    )
