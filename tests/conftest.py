from __future__ import annotations

import os

from hypothesis import HealthCheck, Verbosity, settings

# the README's test command and .ci/run both select "ci" through pytest's addopts
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.register_profile("debug", max_examples=20, deadline=None, verbosity=Verbosity.verbose)
settings.register_profile("soak", max_examples=5000, deadline=None)
if os.environ.get("ROOMSIM_HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["ROOMSIM_HYPOTHESIS_PROFILE"])
