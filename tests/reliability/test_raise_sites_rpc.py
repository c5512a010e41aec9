"""RPC and stream raise sites tested on their own (``roomsim._raise_sites_rpc``), and what
LiveKit accepts silently, which roomsim accepts too (rpc-and-streams §1, §12)."""

from __future__ import annotations

import pytest

from roomsim import IllegalState, Permission, Room
from roomsim.events import Event
from roomsim.rpc import RpcError
from tests.reliability._world import assert_error, still_usable, world


def test_perform_rpc_inside_a_handler_makes_no_call() -> None:
    """``perform_rpc.in_handler``: refused in dispatch before any call is made."""
    w = world()
    w.alice.register_rpc_method("m", lambda inv: "ok")
    seen: list[tuple[BaseException, bool]] = []

    def call(e: Event) -> None:
        before = w.room.snapshot()
        try:
            w.bob.perform_rpc("alice", "m")
        except IllegalState as exc:
            seen.append((exc, w.room.snapshot() == before))

    w.bob.on("room_metadata_changed", call)
    w.room.update_room_metadata("new")
    [(exc, unchanged)] = seen
    assert_error(exc, IllegalState, "failed_precondition")
    assert "use start_rpc()" in str(exc)
    assert unchanged
    assert w.room.snapshot().next_request_number == 1
    still_usable(w.room)


def test_a_request_too_large_for_a_legacy_callee_is_1402() -> None:
    """``perform_rpc.payload``: the SDK's RpcError, before anything is sent."""
    room = Room("r")
    alice = room.connect("alice")
    room.connect("old", client_protocol=0)
    before = room.snapshot()
    with pytest.raises(RpcError) as info:
        alice.start_rpc("old", "m", "x" * (15 * 1024 + 1))
    assert info.value.code == 1402
    assert room.snapshot() == before
    alice.start_rpc("old", "m", "x" * 15 * 1024)  # at the limit: sent


@pytest.mark.parametrize("destination", ["nobody", "alice"])
def test_a_call_nobody_can_answer_is_not_refused(destination: str) -> None:
    """Absent, or the caller itself: no raise, 1501 at the ack timeout (§4)."""
    w = world()
    pending = w.alice.start_rpc(destination, "m")
    assert not pending.done
    with pytest.raises(RpcError) as info:
        pending.wait()
    assert info.value.code == 1501
    assert pending.settled_at == 7.0


def test_no_can_publish_data_is_not_refused() -> None:
    """The server drops what a sender without ``can_publish_data`` sends (§1)."""
    room = Room("r")
    mute = room.connect("mute", permission=Permission(can_publish_data=False))
    bob = room.connect("bob")
    got: list[object] = []
    bob.register_text_stream_handler("t", lambda r, who: got.append(r))
    bob.register_rpc_method("m", lambda inv: "ok")
    mute.send_text("x", topic="t")
    assert got == []
    with pytest.raises(RpcError) as info:
        mute.perform_rpc("bob", "m")
    assert info.value.code == 1501


def test_huge_ints_and_unreadable_mappings_are_refused_not_escaped() -> None:
    """Found by the fuzz at 5,000 examples: an int beyond a float as a timeout or a timestamp
    (``OverflowError``) and stream attributes whose reads raise (the mapping's own error)
    escaped; both are ``InvalidArgument`` now, and nothing changes."""
    from roomsim import InvalidArgument
    from roomsim import mutations as M
    from roomsim.streams import text_header
    from tests.reliability.test_fuzz import _Broken

    w = world()
    before = w.room.snapshot()
    with pytest.raises(InvalidArgument, match="finite number of seconds"):
        w.room.apply(
            M.PerformRpc(
                caller="alice", destination="bob", method="m", max_round_trip_latency=10**400
            )
        )
    with pytest.raises(InvalidArgument, match="could not be read as a mapping"):
        w.alice.send_text("hi", topic="t", attributes=_Broken())
    with pytest.raises(InvalidArgument, match="finite number of seconds"):
        text_header(stream_id="S", topic="t", timestamp=10**400)
    assert w.room.snapshot() == before
    still_usable(w.room)
