"""Hypothesis strategies for roomsim values and for mutations of a room (needs ``hypothesis``).

Install the extra with ``pip install 'roomsim[testing]'``.  The value strategies follow
Hypothesis' own style: keyword-only arguments, checked when the strategy is built, and values
that shrink towards the simplest case (``""``, ``{}``, ``Permission()``).

- :func:`identities`, :func:`utf8_texts`, :func:`texts_of_size`: strings measured the way
  LiveKit measures them, in UTF-8 bytes (server §1), with sizes at and just over a limit;
- :func:`attribute_maps`, :func:`attribute_maps_of_size`: attribute maps, with empty values
  (which delete a key), non-ASCII text, and exact sizes for limit tests;
- :func:`permissions`: complete permission sets;
- :func:`mutations` and :func:`invalid_mutations`: mutations drawn for the current state of a
  room (a ``Room`` or a ``RoomSnapshot``): valid ones, which ``room.apply`` accepts, and invalid
  ones, each with the error ``room.apply`` must raise.

The package is layered like the values it draws: ``_text`` (UTF-8 sized strings), ``_values``
(attribute maps, permissions), ``_scene`` (a room's state read through its public API),
``_valid`` (valid mutations, per family) and ``_invalid`` (refusals); ``_profiles`` holds the
Hypothesis settings profiles (see :mod:`roomsim.stateful`).

>>> from hypothesis import given, strategies as st
>>> from roomsim import Room
>>> from roomsim.strategies import mutations
>>> @given(st.data())
... def test_valid_mutations_apply(data):
...     room = Room("r")
...     for _ in range(5):
...         room.apply(data.draw(mutations(room)))
>>> test_valid_mutations_apply()
"""

from roomsim.strategies import (
    _faults,  # noqa: F401  (registers the fault family)
    _move,  # noqa: F401  (lists the move, never drawn)
)
from roomsim.strategies._invalid import Refusal, invalid_mutations
from roomsim.strategies._text import identities, texts_of_size, utf8_texts
from roomsim.strategies._valid import DEFAULT_IDENTITIES, families, mutations
from roomsim.strategies._values import attribute_maps, attribute_maps_of_size, permissions

__all__ = [
    "DEFAULT_IDENTITIES",
    "identities",
    "utf8_texts",
    "texts_of_size",
    "attribute_maps",
    "attribute_maps_of_size",
    "permissions",
    "mutations",
    "invalid_mutations",
    "families",
    "Refusal",
]


def _check_exports(_public: set[str]) -> None:
    # as hypothesis.strategies does: every public name is exported, and nothing else
    assert set(__all__) == _public, (set(__all__) - _public, _public - set(__all__))


_check_exports({n for n in dir() if n[0] not in "_@"})
del _check_exports
