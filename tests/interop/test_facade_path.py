"""The facade's per-event path: the batched hand-off to the SDK's queue and the kept attributes.

Both are there to make an event cheaper; neither may change what ``livekit.rtc`` observes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip("livekit.rtc")

from livekit import rtc
from livekit.rtc._ffi_client import FfiQueue
from livekit.rtc._utils import Queue

from roomsim import HandlerError, InternalError, Permission, Room
from roomsim.livekit import LiveKitServer, bridge_of, rtc_room
from roomsim.livekit._ffi_handoff import Handoff
from tests.interop._serving import join, run


class _Logged(Queue[Any]):
    """A subscriber queue that writes each put_nowait to a shared log."""

    def __init__(self, name: str, log: list[Any]) -> None:
        super().__init__()
        self.name = name
        self.log = log

    def put_nowait(self, item: Any) -> None:
        self.log.append((self.name, item))


def _puts(put: Any, queue: FfiQueue[Any], log: list[Any]) -> list[Any]:
    """Subscribers a (everything) and b (no "skip"); puts with work scheduled in between."""

    async def body() -> None:
        loop = asyncio.get_running_loop()
        queue._subscribers.append((_Logged("a", log), loop, None))
        queue._subscribers.append((_Logged("b", log), loop, lambda e: e != "skip"))
        put("one")
        put("skip")
        put("two")
        loop.call_soon(log.append, "between")
        put("three")
        put("four")
        await asyncio.sleep(0)

    asyncio.run(body())
    return log


def test_the_handoff_makes_the_put_nowait_calls_of_ffiqueue_put_in_the_same_order() -> None:
    stock: FfiQueue[Any] = FfiQueue()
    batched: FfiQueue[Any] = FfiQueue()
    expected = _puts(stock.put, stock, [])
    assert _puts(Handoff(batched).put, batched, []) == expected
    assert expected == [
        ("a", "one"),
        ("b", "one"),
        ("a", "skip"),
        ("a", "two"),
        ("b", "two"),
        "between",
        ("a", "three"),
        ("b", "three"),
        ("a", "four"),
        ("b", "four"),
    ]


def test_the_handoff_schedules_one_loop_handle_per_run_of_events() -> None:
    async def body() -> None:
        loop: Any = asyncio.get_running_loop()
        queue: FfiQueue[Any] = FfiQueue()
        got = queue.subscribe(loop)
        handoff = Handoff(queue)
        before = len(loop._ready)
        for i in range(5):
            handoff.put(i)
        assert len(loop._ready) == before + 1
        await asyncio.sleep(0)
        assert [got.get_nowait() for _ in range(5)] == [0, 1, 2, 3, 4]

    asyncio.run(body())


def test_the_handoff_to_a_loop_that_is_not_running_is_ffiqueue_put() -> None:
    loop = asyncio.new_event_loop()
    try:
        queue: FfiQueue[Any] = FfiQueue()
        got = queue.subscribe(loop)
        Handoff(queue).put("event")  # no loop runs here: the SDK's call_soon_threadsafe
        assert got.empty()
        loop.run_until_complete(asyncio.sleep(0))
        assert got.get_nowait() == "event"
    finally:
        loop.close()


def test_a_run_of_attribute_updates_reaches_the_sdk_as_roomsim_holds_them() -> None:
    updates = [{"a": "1", "b": "2"}, {"a": "3"}, {"c": "4"}, {"b": ""}, {"b": "5", "a": ""}]

    async def body(lk: LiveKitServer) -> None:
        sdk = await join(lk, "agent")
        seen: list[dict[str, str]] = []
        sdk.on("participant_attributes_changed", lambda changed, p: seen.append(changed))
        actor = lk.room("r").connect("actor", permission=Permission(can_update_metadata=True))
        await lk.settle()
        for update in updates:
            actor.set_attributes(update)
        await lk.settle()
        held = lk.room("r").participants["actor"].attributes
        # (the SDK keeps them in a protobuf map, whose order is its own)
        assert sdk.remote_participants["actor"].attributes == held == {"c": "4", "b": "5"}
        assert seen == updates

    run(body)


def test_kept_attributes_that_differ_from_the_clients_view_fail_loudly_when_verified() -> None:
    room = Room("r")
    bob = room.connect("bob")
    alice = room.connect("alice", permission=Permission(can_update_metadata=True))
    sdk: rtc.Room = rtc_room(bob)
    alice.set_attributes({"x": "1"})
    bridge_of(sdk)._encoder._attributes["alice"]["x"] = "stale"
    with pytest.raises(HandlerError) as info:
        alice.set_attributes({"y": "2"})
    failure = info.value.failures[0].exception
    assert isinstance(failure, InternalError)
    assert "attributes of 'alice'" in str(failure)


def test_the_facade_benchmark_runs_its_three_passes(capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m benchmarks.facade`` end to end, tiny (timings are never asserted)."""
    from benchmarks import facade

    assert facade.main(["--updates", "3", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    for row in ("through serve() (total)", "livekit.rtc's receive path", "sum of the parts"):
        assert row in out


def test_encode_gives_the_field_the_ffi_event_carries() -> None:
    room = Room("r")
    bob = room.connect("bob")
    alice = room.connect("alice", permission=Permission(can_update_metadata=True))
    encoder = bridge_of(rtc_room(bob))._encoder
    alice.set_metadata("m")
    (event,) = [e for e in bob.events if e.name == "participant_metadata_changed"]
    (field, message), *_ = encoder.encode(event).items()
    assert field == "participant_metadata_changed"
    assert message == encoder.ffi_event(event, 7).room_event.participant_metadata_changed
    assert (message.participant_identity, message.metadata) == ("alice", "m")
