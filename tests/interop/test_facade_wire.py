"""The attribute event joined from wire-format fragments (``_rtc_wire``) is the message the
field-by-field filler builds: the same fields, values, presence and entry order."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("livekit.rtc")

from hypothesis import given, settings
from hypothesis import strategies as st
from livekit.rtc._proto import ffi_pb2 as _ff

from roomsim import Permission, Room, RoomConfig
from roomsim import events as E
from roomsim.livekit import _rtc_wire as wire
from roomsim.livekit import bridge_of, rtc_room
from roomsim.livekit._rtc_events import Encoder

#: any string protobuf takes (no lone surrogates), short and past one length byte
_text = st.one_of(st.text(max_size=8), st.text(min_size=120, max_size=200))


def _encoder() -> Encoder:
    room = Room("r")
    bob = room.connect("bob")
    return bridge_of(rtc_room(bob))._encoder


def _filled(encoder: Encoder, event: E.Event, handle: int) -> _ff.FfiEvent:
    """The reference: the event written field by field."""
    ffi_event = _ff.FfiEvent()
    ffi_event.room_event.room_handle = handle
    encoder.fill(event, ffi_event.room_event)
    return ffi_event


_keys = st.sampled_from(["a", "b", "é", "k" * 130])
_updates = st.lists(
    st.dictionaries(_keys, st.one_of(st.just(""), _text), min_size=1, max_size=3), max_size=6
)


@settings(max_examples=60, deadline=None)
@given(updates=_updates)
def test_attribute_events_carry_the_map_and_the_changes_in_the_fillers_order(
    updates: list[dict[str, str]],
) -> None:
    room = Room("r")
    bob = room.connect("bob")
    encoder = bridge_of(rtc_room(bob))._encoder
    alice = room.connect("alice", permission=Permission(can_update_metadata=True))
    checked: list[Any] = []

    def check(event: E.ParticipantAttributesChanged) -> None:
        # registered after the bridge: the view is the one right after the event
        for handle in (9, 2**64 - 1):  # the handle's fragment of one byte, and of ten
            got, expected = encoder.ffi_event(event, handle), _filled(encoder, event, handle)
            assert got == expected
            assert got.SerializeToString(deterministic=True) == expected.SerializeToString(
                deterministic=True
            )
        got = encoder.ffi_event(event, 9)
        checked.append(got.room_event.participant_attributes_changed)

    bob.on("participant_attributes_changed", check)
    for update in updates:
        alice.set_attributes(update)
    assert len(checked) == len(
        [e for e in bob.events if e.name == "participant_attributes_changed"]
    )
    for message in checked[-1:]:
        assert [(e.key, e.value) for e in message.attributes] == list(
            bob.remote_participants["alice"].attributes.items()
        )


def test_a_string_protobuf_refuses_falls_back_to_the_filler_and_its_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Encoder, "verify_mirror", False)  # the view never holds this value
    room = Room("r")
    bob = room.connect("bob")
    room.connect("alice")
    encoder = bridge_of(rtc_room(bob))._encoder
    event = E.ParticipantAttributesChanged(participant="alice", changed_attributes={"x": "\udc80"})
    with pytest.raises(UnicodeEncodeError):
        encoder._writers[type(event)](event, 1)
    with pytest.raises(UnicodeEncodeError):
        _filled(encoder, event, 1)
    with pytest.raises(UnicodeEncodeError):
        encoder.ffi_event(event, 1)


def test_an_event_without_a_writer_is_filled() -> None:
    encoder = _encoder()
    event = E.RoomMetadataChanged(old_metadata="", new_metadata="m")
    assert type(event) not in encoder._writers
    assert encoder.ffi_event(event, 3) == _filled(encoder, event, 3)
    speakers = E.ActiveSpeakersChanged(speakers=())
    assert encoder.ffi_event(speakers, 3).room_event.HasField("active_speakers_changed")


def test_each_fragment_is_a_whole_event_protobuf_serialized() -> None:
    # the pieces are protobuf's own output (nothing encoded by hand), each parsing alone
    one = _ff.FfiEvent.FromString(wire._current_fragment("k", "v"))
    entries = one.room_event.participant_attributes_changed.attributes
    assert [(a.key, a.value) for a in entries] == [("k", "v")]
    assert _ff.FfiEvent.FromString(wire._handle_fragment(300)).room_event.room_handle == 300


def test_edge_strings_and_handles_give_the_fillers_message_to_facade_and_bridge() -> None:
    """An empty key, NUL characters, astral and multibyte text, values whose length takes a
    three-byte varint, and the handles 0 (the bridge's) to 2**64 - 1."""
    room = Room("r", config=RoomConfig(max_attributes_size=0))
    bob = room.connect("bob")
    encoder = bridge_of(rtc_room(bob))._encoder
    alice = room.connect("a\x00lice", permission=Permission(can_update_metadata=True))
    checked: list[str] = []

    def check(event: E.ParticipantAttributesChanged) -> None:
        for handle in (0, 1, 2**63, 2**64 - 1):
            got, expected = encoder.ffi_event(event, handle), _filled(encoder, event, handle)
            assert got == expected
            assert got.SerializeToString(deterministic=True) == expected.SerializeToString(
                deterministic=True
            )
            assert got.room_event.HasField("room_handle")
        bridged, filled = encoder.room_event(event, 0), _filled(encoder, event, 0).room_event
        assert bridged.ListFields() == filled.ListFields()
        checked.append(event.participant)

    bob.on("participant_attributes_changed", check)
    alice.set_attributes({"": "x", "k": "\x00"})
    alice.set_attributes({"big": "v" * 20000, "日本": "語" * 5000})
    alice.set_attributes({"": "", "big": ""})
    alice.set_attributes({"🎉": "🎉"})
    assert checked == ["a\x00lice"] * 4


def test_long_entries_are_not_cached_and_the_caches_are_bounded() -> None:
    wire._current_cache.clear()
    wire._changed_cache.clear()
    big = "v" * (wire._SMALL + 1)
    event = wire.attributes_changed(1, "alice", {"k": big, "s": "1"}, {"k": big})
    entries = event.room_event.participant_attributes_changed
    assert [(a.key, a.value) for a in entries.attributes] == [("k", big), ("s", "1")]
    assert [(a.key, a.value) for a in entries.changed_attributes] == [("k", big)]
    assert list(wire._current_cache) == [("s", "1")] and not wire._changed_cache
    for i in range(wire._CACHED + 5):
        wire.attributes_changed(1, "alice", {"n": str(i)}, {"n": str(i)})
    assert len(wire._current_cache) <= wire._CACHED and len(wire._changed_cache) <= wire._CACHED
    again = wire.attributes_changed(1, "alice", {"s": "1"}, {})
    kept = again.room_event.participant_attributes_changed.attributes
    assert [(a.key, a.value) for a in kept] == [("s", "1")]
