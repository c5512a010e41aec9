"""Tools for testing with roomsim (no test framework needed).

- :func:`check_invariants`: everything roomsim promises about a room, checked in O(size);
  a breach raises ``InternalError`` naming the invariant and the values seen.
- :func:`expect`: assertions over a client's events, in order (``next``, ``skip_to``,
  ``sequence``, ``in_order``, ``no_more``), whose failures show the surrounding events;
  :func:`assert_events` for the common "exactly these, then nothing" case; :func:`event` for
  a pattern that fixes some fields of an event.
- :func:`checked_room`: a fresh room set up as the pytest ``room`` fixture sets it up, checked
  when the ``with`` block ends; for a Hypothesis ``@given`` test, one per example.

>>> from roomsim import Room
>>> from roomsim.testing import assert_events, check_invariants
>>> room = Room("t")
>>> alice = room.connect("alice")
>>> _ = room.connect("bob")
>>> assert_events(alice, "participant_connected", "participant_active")
>>> check_invariants(room)
"""

from __future__ import annotations

from roomsim.testing._expect import EventPattern as EventPattern
from roomsim.testing._expect import Expectation as Expectation
from roomsim.testing._expect import ExpectationFailed as ExpectationFailed
from roomsim.testing._expect import assert_events as assert_events
from roomsim.testing._expect import event as event
from roomsim.testing._expect import expect as expect
from roomsim.testing._invariants import check_invariants as check_invariants
from roomsim.testing._rooms import checked_room as checked_room

__all__ = [
    "check_invariants",
    "checked_room",
    "expect",
    "assert_events",
    "event",
    "Expectation",
    "EventPattern",
    "ExpectationFailed",
]
