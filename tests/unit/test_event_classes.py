"""Events keep attrs' public behaviour with the slot-descriptor ``__init__`` (issue 21):
frozen, ``==`` and hashable by value, picklable, keyword-only, with the attrs fields tools read."""

from __future__ import annotations

import pickle
from typing import Any

import attrs
import pytest

from roomsim.events import ALL_EVENTS, Event
from roomsim.model import ConnectionQuality


def _sample(cls: type[Event]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in attrs.fields(cls):
        if f.name == "changed_attributes":
            values[f.name] = {"k": "v"}
        elif f.name == "speakers":
            values[f.name] = ("a", "b")
        elif f.name == "quality":
            values[f.name] = ConnectionQuality.GOOD
        else:
            values[f.name] = f"{f.name}-1"
    return values


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.__name__)
def test_an_event_is_a_frozen_value(cls: type[Event]) -> None:
    values = _sample(cls)
    e, same = cls(**values), cls(**values)
    assert e == same and hash(e) == hash(same)
    assert {f.name: getattr(e, f.name) for f in attrs.fields(cls)} == values
    assert repr(e).startswith(f"{cls.__name__}(")
    assert pickle.loads(pickle.dumps(e)) == e
    if values:
        name = next(iter(values))
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(e, name, "other")
        assert attrs.evolve(e, **{name: "other"}) != e
        with pytest.raises(TypeError):
            cls(*values.values())  # keyword-only
        with pytest.raises(TypeError, match=name):
            cls(**{k: v for k, v in values.items() if k != name})
    assert cls.__init__.__qualname__ == f"{cls.__name__}.__init__"
