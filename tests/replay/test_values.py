"""Mutations and events to JSON and back, for every class, driven by their annotations."""

from __future__ import annotations

import enum
import json
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roomsim import InvalidArgument, InvalidType, Permission, TrackSource
from roomsim import mutations as M
from roomsim.events import ALL_EVENTS, DataReceived, ParticipantPermissionsChanged
from roomsim.scenario import (
    event_from_json,
    event_to_json,
    mutation_from_json,
    mutation_to_json,
)
from roomsim.streams import StreamChunk, StreamHeader, StreamTrailer, byte_header, text_header

TEXT = st.text(max_size=8)


#: data-stream packets validate their fields together (rpc-and-streams §7): drawn whole
STREAM_PACKETS: dict[type, st.SearchStrategy[Any]] = {
    StreamHeader: st.builds(text_header, stream_id=TEXT, topic=TEXT, timestamp=st.floats(0, 1e6))
    | st.builds(byte_header, stream_id=TEXT, topic=TEXT, timestamp=st.floats(0, 1e6), name=TEXT),
    StreamChunk: st.builds(
        StreamChunk,
        stream_id=TEXT,
        chunk_index=st.integers(0, 1000),
        content=st.binary(max_size=8),
    ),
    StreamTrailer: st.builds(StreamTrailer, stream_id=TEXT, reason=TEXT),
}


def strategy_for(tp: Any) -> st.SearchStrategy[Any]:
    """Values of an annotation, as roomsim's value classes hold them."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union or origin is types.UnionType:
        return st.one_of(*(strategy_for(a) for a in args))
    if tp is type(None):
        return st.none()
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(strategy_for(args[0]), max_size=3).map(tuple)
        return st.tuples(*(strategy_for(a) for a in args))
    if origin is Mapping:
        return st.dictionaries(strategy_for(args[0]), strategy_for(args[1]), max_size=3).map(
            types.MappingProxyType
        )
    if origin is Sequence:
        return st.lists(strategy_for(args[0]), max_size=3).map(tuple)
    assert isinstance(tp, type), tp
    if tp in STREAM_PACKETS:
        return STREAM_PACKETS[tp]
    if issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp))
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers()
    if tp is float:
        return st.floats(allow_nan=False, allow_infinity=False)
    if tp is str:
        return TEXT
    if tp is bytes:
        return st.binary(max_size=8)
    if attrs.has(tp):
        return instances(tp)
    raise AssertionError(f"no strategy for {tp!r}")


def instances(cls: type) -> st.SearchStrategy[Any]:
    """Instances of an attrs class, each field at its default or drawn from its annotation."""
    hints = typing.get_type_hints(cls)

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        kwargs = {}
        for a in attrs.fields(cls):
            if not a.init or (a.default is not attrs.NOTHING and draw(st.booleans())):
                continue
            kwargs[a.alias or a.name] = draw(strategy_for(hints[a.name]))
        return cls(**kwargs)

    return build()


def through_json(obj: dict[str, Any]) -> Any:
    return json.loads(json.dumps(obj, ensure_ascii=False, allow_nan=False))


@pytest.mark.parametrize("cls", M.ALL_MUTATIONS, ids=lambda c: c.__name__)
@settings(max_examples=12)
@given(data=st.data())
def test_every_mutation_class_survives_json(cls: type[M.Mutation], data: st.DataObject) -> None:
    m = data.draw(instances(cls))
    d = through_json(mutation_to_json(m))
    assert d["mutation"] == cls.__name__
    assert mutation_from_json(d) == m


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.name)
@settings(max_examples=12)
@given(data=st.data())
def test_every_event_class_survives_json(cls: type[Any], data: st.DataObject) -> None:
    e = data.draw(instances(cls))
    d = through_json(event_to_json(e))
    assert d["event"] == cls.name
    assert event_from_json(d) == e


def test_the_forms_of_values() -> None:
    m = M.Connect(identity="a", permission=Permission(can_publish=False))
    # can_publish_data follows can_publish: it is left out with it
    assert mutation_to_json(m) == {
        "mutation": "Connect",
        "identity": "a",
        "permission": {"can_publish": False},
    }
    p = Permission(
        can_publish=False, can_publish_data=True, can_publish_sources=(TrackSource.CAMERA,)
    )
    d = mutation_to_json(M.UpdateParticipant(identity="a", permission=p))
    assert d["permission"] == {
        "can_publish": False,
        "can_publish_data": True,
        "can_publish_sources": ["CAMERA"],
    }
    assert mutation_from_json(d) == M.UpdateParticipant(identity="a", permission=p)
    assert mutation_to_json(M.SendData(sender=None, data=b"\xff\x00"))["data"] == {"b64": "/wA="}
    assert mutation_to_json(M.SendData(sender=None, data="é".encode()))["data"] == "é"
    assert mutation_from_json(
        {"mutation": "SendData", "sender": None, "data": {"b64": "/wA="}}
    ) == (M.SendData(sender=None, data=b"\xff\x00"))
    ev = DataReceived(participant=None, data=b"hi", topic=None, kind=data_kind())
    assert event_to_json(ev) == {
        "event": "data_received",
        "participant": None,
        "data": "hi",
        "topic": None,
        "kind": "RELIABLE",
    }
    perms = ParticipantPermissionsChanged(
        participant="a", old_permissions=Permission(), permissions=Permission(hidden=True)
    )
    assert event_to_json(perms)["old_permissions"] == {}
    # an int where a float is annotated is taken as a float
    assert mutation_from_json({"mutation": "Advance", "dt": 2}) == M.Advance(dt=2.0)


def data_kind() -> Any:
    from roomsim import DataPacketKind

    return DataPacketKind.RELIABLE


@pytest.mark.parametrize(
    ("obj", "words"),
    [
        ({"identity": "a"}, '"mutation"'),
        ({"mutation": "Frobnicate"}, "unknown mutation 'Frobnicate'"),
        ({"mutation": "SetName", "identity": "a"}, "lacks the field(s) 'name'"),
        ({"mutation": "SetName", "identity": "a", "name": "x", "nmae": "y"}, "no field 'nmae'"),
        ({"mutation": "SetName", "identity": 1, "name": "x"}, "SetName.identity must be a string"),
        (
            {"mutation": "SetAttributes", "identity": "a", "attributes": {"k": 1}},
            "SetAttributes.attributes['k'] must be a string, got 1 (a number)",
        ),
        (
            {"mutation": "PublishTrack", "identity": "a", "kind": "audio", "source": "CAMERA"},
            "PublishTrack.kind must be a TrackKind name (AUDIO, VIDEO)",
        ),
        (
            {"mutation": "Connect", "identity": "a", "permission": {"hidden": 1}},
            "Connect.permission.hidden must be a boolean",
        ),
        (
            {"mutation": "Connect", "identity": "a", "permission": {"admin": True}},
            "Connect.permission has no field 'admin'",
        ),
        ({"mutation": "Connect", "identity": "a", "active": None}, "must be a boolean, got null"),
        (
            {
                "mutation": "UpdateSubscriptions",
                "identity": "a",
                "track_sids": "TR_1",
                "subscribe": True,
            },
            "must be an array",
        ),
        ({"mutation": "SendData", "sender": None, "data": {"b64": "!!"}}, "invalid base64"),
        ({"mutation": "Advance", "dt": True}, "Advance.dt must be a number"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_malformed_mutations_are_refused_with_what_is_wrong(obj: Any, words: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        mutation_from_json(obj)
    assert words in str(info.value)


def test_malformed_events_are_refused() -> None:
    with pytest.raises(InvalidArgument, match="unknown event 'participant_joined'"):
        event_from_json({"event": "participant_joined", "participant": "a"})
    with pytest.raises(InvalidArgument, match="lacks the field"):
        event_from_json({"event": "participant_connected"})


def test_only_roomsim_values_are_written() -> None:
    with pytest.raises(InvalidType):
        mutation_to_json("SetName")  # type: ignore[arg-type]
    with pytest.raises(InvalidType):
        event_to_json(M.Advance(dt=1.0))  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="JSON can't hold"):
        mutation_to_json(M.Advance(dt=float("nan")))
