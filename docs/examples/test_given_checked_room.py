"""A Hypothesis ``@given`` test: a fresh room per example, with ``checked_room``."""

# --8<-- [start:imports]
from __future__ import annotations

import pytest
from hypothesis import given, settings

from roomsim import LimitExceeded
from roomsim.strategies import attribute_maps_of_size
from roomsim.testing import checked_room

# --8<-- [end:imports]


# --8<-- [start:given]
@settings(max_examples=20)
@given(attribute_maps_of_size(64), attribute_maps_of_size(65))
def test_the_attribute_limit_is_inclusive(at: dict[str, str], over: dict[str, str]) -> None:
    with checked_room(max_attributes_size=64) as room:
        room.connect("a", attributes=at)
        with pytest.raises(LimitExceeded):
            room.connect("b", attributes=over)


# --8<-- [end:given]
