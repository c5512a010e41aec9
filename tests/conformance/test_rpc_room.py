"""RPC and data streams wired into the room: transcripts (rpc-and-streams §1-§9).

Each test cites the page's section and the SDK source it follows.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from roomsim import Client, Permission, Room, scenario
from roomsim.errors import IllegalState, InvalidArgument, LimitExceeded
from roomsim.rpc import DEFER, RpcError, RpcInvocation
from roomsim.scenario import mutation_from_json, mutation_to_json
from roomsim.streams import StreamError


def _pair() -> tuple[Room, Client, Client]:
    room = Room("r")
    return room, room.connect("agent"), room.connect("user")


def test_round_trip_takes_no_time_and_reaches_no_data_received() -> None:
    """§2, §6 (PY participant.py L746-748, room.py L1112-1135): the handler gets the
    invocation, the caller its answer, at once; no data_received anywhere."""
    room, agent, user = _pair()
    seen: list[RpcInvocation] = []

    @agent.register_rpc_method("ping")
    def ping(inv: RpcInvocation) -> str:
        seen.append(inv)
        return "pong"

    assert user.perform_rpc("agent", "ping", "hi") == "pong"
    assert room.now == 0.0
    (inv,) = seen
    assert (inv.caller_identity, inv.payload, inv.method) == ("user", "hi", "ping")
    assert inv.response_timeout == 8.0  # PY caller defaults: 15 - 7 (§4, RS client.rs L81-84)
    for c in (agent, user):
        assert not [e for e in c.drain() if e.name == "data_received"]


def test_unsupported_method_and_application_error() -> None:
    """§3, §6 (RS server.rs L277; PY participant.py L627-632): 1400 with no handler; a
    handler raising ValueError gives 1500, data ""; an RpcError passes through."""
    room, agent, user = _pair()
    with pytest.raises(RpcError) as info:
        user.perform_rpc("agent", "nope")
    assert (info.value.code, info.value.message) == (1400, "Method not supported at destination")
    agent.register_rpc_method("boom", lambda inv: int("x"))
    with pytest.raises(RpcError) as info:
        user.perform_rpc("agent", "boom")
    assert (info.value.code, info.value.message) == (1500, "Application error in method handler")

    def refuse(inv: RpcInvocation) -> str:
        raise RpcError(4001, "nope", "d")

    agent.register_rpc_method("refuse", refuse)
    with pytest.raises(RpcError) as info:
        user.perform_rpc("agent", "refuse")
    assert (info.value.code, info.value.message, info.value.data) == (4001, "nope", "d")
    assert room.now == 0.0


@pytest.mark.parametrize("case", ["absent", "itself", "caller_no_data", "callee_no_data"])
def test_connection_timeout_at_seven_seconds(case: str) -> None:
    """§1, §4 (SV room.go L2117-2178; RS client.rs L129-136): a request nobody acks fails
    1501 at t = 7 on the virtual clock; LiveKit refuses none of these up front."""
    room = Room("r")
    no_data = Permission(can_publish_data=False)
    user = room.connect("user", permission=no_data if case == "caller_no_data" else None)
    agent = room.connect("agent", permission=no_data if case == "callee_no_data" else None)
    agent.register_rpc_method("m", lambda inv: "ok")
    dest = {"absent": "ghost", "itself": "user"}.get(case, "agent")
    call = user.start_rpc(dest, "m")
    room.advance(6.9)
    assert not call.done
    with pytest.raises(RpcError) as info:
        call.wait()
    assert info.value.code == 1501
    assert call.settled_at == 7.0


def test_deferred_answer_and_the_python_callee_deadline() -> None:
    """§4 (PY participant.py L711-724): DEFER, then respond_rpc later; a Python callee that
    never answers answers 1502 itself at its deadline (8 s); a late respond_rpc is refused."""
    room, agent, user = _pair()
    agent.register_rpc_method("slow", lambda inv: DEFER)
    call = user.start_rpc("agent", "slow")
    room.advance(3)
    agent.respond_rpc(call.request_id, "late")
    assert (call.result(), call.settled_at) == ("late", 3.0)
    call = user.start_rpc("agent", "slow")
    with pytest.raises(RpcError) as info:
        call.wait()
    assert info.value.code == 1502
    assert call.settled_at == 3.0 + 8.0
    before = room.snapshot()
    with pytest.raises(IllegalState):
        agent.respond_rpc(call.request_id, "too late")
    assert room.snapshot() == before


def test_payload_limit_only_for_a_legacy_callee() -> None:
    """§5 (RS client.rs L74-76): 1402 at once for > 15 360 bytes to a protocol-0 callee,
    nothing sent; a current (protocol 2) callee takes any size."""
    room = Room("r")
    old = room.connect("old", client_protocol=0)
    new = room.connect("new")
    user = room.connect("user")
    for c in (old, new):
        c.register_rpc_method("echo", lambda inv: "ok")
    before = room.snapshot()
    with pytest.raises(RpcError) as info:
        user.perform_rpc("old", "echo", "x" * 15_361)
    assert info.value.code == 1402
    assert room.snapshot() == before
    assert user.perform_rpc("old", "echo", "x" * 15_360) == "ok"
    assert user.perform_rpc("new", "echo", "x" * 100_000) == "ok"


def test_hidden_caller_is_anonymous_and_times_out() -> None:
    """§1 (SV participant.go L2629-2635): the callee's handler sees caller ""; its ack goes to
    nobody, so the call fails 1501 at t = 7."""
    room = Room("r")
    agent = room.connect("agent")
    ghost = room.connect("ghost", permission=Permission(hidden=True))
    callers: list[str] = []

    def m(inv: RpcInvocation) -> str:
        callers.append(inv.caller_identity)
        return "ok"

    agent.register_rpc_method("m", m)
    with pytest.raises(RpcError) as info:
        ghost.perform_rpc("agent", "m")
    assert (info.value.code, callers, room.now) == (1501, [""], 7.0)


def test_caller_leaving_ends_its_call_and_replay_matches() -> None:
    """§4: the caller's session ending fails its calls 1503; the log replays (the method
    names are recorded, so a replay decides 1400 vs handler as the room did)."""
    room, agent, user = _pair()
    agent.register_rpc_method("slow", lambda inv: DEFER)
    call = user.start_rpc("agent", "slow")
    user.disconnect()
    with pytest.raises(RpcError) as info:
        call.result()
    assert info.value.code == 1503
    for m in room.log:
        assert mutation_from_json(mutation_to_json(m)) == m


def test_refused_calls_change_nothing() -> None:
    """design §1: bad timeouts, unknown request ids, a waiting call inside a handler."""
    room, agent, user = _pair()
    before = room.snapshot()
    with pytest.raises(InvalidArgument):
        user.perform_rpc("agent", "m", response_timeout=-1)
    with pytest.raises(IllegalState):
        agent.respond_rpc("RPC_99", "x")
    assert room.snapshot() == before


def test_text_stream_chunked_with_attributes_to_destinations() -> None:
    """§7, §8, §9 (PY participant.py L862-898; RS utf8_chunk.rs L28-56): the handler of each
    destination gets a reader at the header; 40 000 bytes arrive as 15 000/15 000/10 000;
    the sender gets the same info; no data_received."""
    room = Room("r")
    agent, a, b = room.connect("agent"), room.connect("a"), room.connect("b")
    got: dict[str, list[Any]] = {"a": [], "b": []}
    a.register_text_stream_handler("lk.transcription", lambda r, who: got["a"].append((r, who)))
    b.register_text_stream_handler("lk.transcription", lambda r, who: got["b"].append((r, who)))
    text = "x" * 40_000
    info = agent.send_text(
        text, topic="lk.transcription", destination_identities=["a"], attributes={"k": "v"}
    )
    assert got["b"] == []
    ((reader, who),) = got["a"]
    assert who == "agent"
    assert reader.info == info
    assert info.size == 40_000 and dict(info.attributes) == {"k": "v"}
    assert [len(c) for c in reader] == [15_000, 15_000, 10_000]
    assert not [e for e in a.drain() if e.name == "data_received"]


def test_streamed_writer_and_sender_leaving() -> None:
    """§9 (RS incoming/manager.rs L508-522): chunks arrive write by write; the sender leaving
    mid-stream ends the reader with StreamError; no handler for a topic drops the stream."""
    room = Room("r")
    agent, user = room.connect("agent"), room.connect("user")
    readers: list[Any] = []
    user.register_text_stream_handler("lk.transcription", lambda r, who: readers.append(r))
    with agent.stream_text(topic="lk.transcription") as w:
        w.write("Hel")
        w.write("lo")
    assert readers[0].read_all() == "Hello"
    w = agent.stream_text(topic="lk.transcription")
    w.write("par")
    agent.disconnect()
    with pytest.raises(StreamError, match="unexpectedly disconnected"):
        readers[1].read_all()
    other = room.connect("other")
    other.send_text("ignored", topic="lk.chat")  # user has no lk.chat handler: dropped
    assert len(readers) == 2


def test_stream_refusals_change_nothing() -> None:
    """§7 (RS enforce_header_size L395-402): a header over 15 000 bytes is refused whole;
    a second handler for a topic raises the SDK's ValueError."""
    room, agent, user = _pair()
    user.register_byte_stream_handler("files", lambda r, who: None)
    before = room.snapshot()
    with pytest.raises(LimitExceeded):
        agent.send_text("x", attributes={"k": "v" * 16_000})
    with pytest.raises(InvalidArgument, match="already set"):
        user.register_byte_stream_handler("files", lambda r, who: None)
    assert room.snapshot() == before
    assert agent.send_bytes(b"\x00" * 10, topic="files", name="f.bin").name == "f.bin"


def test_a_room_with_rpc_and_streams_replays_from_its_log() -> None:
    """design §1: every RPC and stream step is a logged mutation; the handlers' answers are
    nested mutations, the timeouts consequences of the clock, so a replay (no handlers)
    reaches the same calls' outcomes and the same events."""
    room, agent, user = _pair()
    agent.register_rpc_method("now", lambda inv: "at once")
    agent.register_rpc_method("later", lambda inv: DEFER)
    user.register_text_stream_handler("lk.chat", lambda r, who: None)
    assert user.perform_rpc("agent", "now") == "at once"
    call = user.start_rpc("agent", "later")
    room.advance(1)
    agent.respond_rpc(call.request_id, "done")
    with pytest.raises(RpcError):
        user.perform_rpc("agent", "later")  # 1502 at the callee's deadline
    agent.send_text("hello", topic="lk.chat")
    buf = io.StringIO()
    scenario.dump(room, buf)
    buf.seek(0)
    sc = scenario.load(buf)
    scenario.check(sc)
    again = scenario.replay(sc)
    assert again.now == room.now
    assert [type(m) for m in again.log] == [type(m) for m in room.log]


def test_js_profile_rules() -> None:
    """§4, §6 (JS RpcServerManager.ts L45-52, RpcClientManager.ts L120-123, L254-268): a JS
    client refuses a second registration; a JS caller's response timer runs from the call
    (1502 at t = 2 with response_timeout=2 although acked); its callee leaving fails it 1503
    at once."""
    room = Room("r")
    agent = room.connect("agent", sdk="js")
    user = room.connect("user", sdk="js")
    agent.register_rpc_method("m", lambda inv: DEFER)
    with pytest.raises(IllegalState, match="already registered"):
        agent.register_rpc_method("m", lambda inv: "x")
    call = user.start_rpc("agent", "m", response_timeout=2)
    with pytest.raises(RpcError) as info:
        call.wait()
    assert (info.value.code, call.settled_at) == (1502, 2.0)
    call = user.start_rpc("agent", "m")
    agent.disconnect()
    with pytest.raises(RpcError) as info:
        call.result()
    assert (info.value.code, call.settled_at) == (1503, 2.0)
