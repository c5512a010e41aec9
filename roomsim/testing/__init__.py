"""Tools for testing with roomsim (no test framework needed): ``check_invariants``.

>>> from roomsim import Room
>>> from roomsim.testing import check_invariants
>>> room = Room("t")
>>> _ = room.connect("alice")
>>> check_invariants(room)
"""

from __future__ import annotations

from roomsim.testing._invariants import check_invariants as check_invariants

__all__ = ["check_invariants"]
