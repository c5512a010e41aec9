"""Fuzzing the RPC and data-stream verbs (design §1 Atomic, §4 Errors; rpc-and-streams §12):
arbitrary, also ill-typed and hostile, arguments to ``RegisterRpcMethod``, ``PerformRpc``,
``RespondRpc``, ``SendStreamPackets`` and to the client verbs over them, thrown at rooms with
calls in flight and streams open.

Each either applies, with ``check_invariants`` passing, or raises a ``RoomsimError`` (or the
SDK's ``RpcError`` 1402 for a request too large for a legacy callee) with ``room.snapshot()``
unchanged: RPC state (calls, method names, stream ids) is in the snapshot.  Any other exception
fails the test.  Run at 5,000 examples with ``--hypothesis-profile=soak``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from hypothesis import given, note
from hypothesis import strategies as st

from roomsim import Client, HandlerError, Room, RoomsimError
from roomsim import mutations as M
from roomsim.rpc import DEFER, RpcError, RpcInvocation
from roomsim.streams import StreamChunk, StreamTrailer, byte_header, text_header
from roomsim.testing import check_invariants
from tests.reliability.test_fuzz import junk, texts

NAMES = ("alice", "bob", "js", "old", "ghost", "")
METHODS = st.sampled_from(["m", "slow", "boom", "", "é" * 3])


def _answer(inv: RpcInvocation) -> object:
    if inv.method == "slow":
        return DEFER
    if inv.method == "boom":
        raise ValueError("handler broke")
    return inv.payload


def rpc_room(data: st.DataObject) -> Room:
    """alice (python), bob (python, deferred ``slow``), js (JS), old (legacy protocol 0), with
    calls in flight and a stream open, after a random number of seconds."""
    room = Room("rpc")
    alice = room.connect("alice")
    bob = room.connect("bob")
    js = room.connect("js", sdk="js")
    room.connect("old", client_protocol=0)
    for c in (bob, js):
        for method in ("m", "slow", "boom"):
            c.register_rpc_method(method, _answer)
    bob.register_text_stream_handler("t", lambda r, who: None)
    alice.start_rpc("bob", "slow", "x")
    alice.start_rpc("js", "slow", "y")
    room.apply(M.RegisterRpcMethod(identity="old", method="m"))  # a name without a function
    alice.start_rpc("old", "m")
    alice.stream_text(topic="t", stream_id="OPEN").write("abc")
    room.advance(data.draw(st.sampled_from([0.0, 1.0, 7.5, 8.5, 20.0])))
    return room


def _request_ids(room: Room) -> st.SearchStrategy[str]:
    live = [r for c in room.clients.values() for r in c.awaiting_answer]
    return st.sampled_from([*live, "RPC_1", "RPC_2", "RPC_3", "RPC_99", ""])


def _or_junk(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, strategy, junk)


_STREAM_IDS = st.sampled_from(["OPEN", "NEW", "ST_1", "", "é"])
_SECONDS = st.sampled_from([None, 0.0, 0.5, 10.0, -1.0, float("nan"), float("inf"), 1e308])


@st.composite
def packets(draw: st.DrawFn) -> Any:
    """A run of stream packets: headers, chunks, trailers (valid or not for the state), or junk."""
    if draw(st.integers(0, 5)) == 0:
        return draw(st.one_of(junk, st.lists(junk, max_size=2)))
    out: list[Any] = []
    for _ in range(draw(st.integers(1, 3))):
        sid = draw(_STREAM_IDS)
        kind = draw(st.integers(0, 3))
        if kind == 0:
            header = text_header(
                stream_id=sid,
                topic=draw(st.sampled_from(["t", "", "x" * 15_001])),
                timestamp=0.0,
                attributes=draw(st.dictionaries(texts, texts, max_size=2)),
            )
            out.append(header)
        elif kind == 1:
            out.append(byte_header(stream_id=sid, topic="t", timestamp=0.0, name="f"))
        elif kind == 2:
            idx = draw(st.integers(0, 3))
            out.append(
                StreamChunk(stream_id=sid, chunk_index=idx, content=draw(st.binary(max_size=4)))
            )
        else:
            out.append(StreamTrailer(stream_id=sid, reason=draw(st.sampled_from(["", "gone"]))))
    return tuple(out)


@st.composite
def rpc_mutations(draw: st.DrawFn, room: Room) -> M.Mutation:
    who = _or_junk(st.sampled_from(NAMES))
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return M.RegisterRpcMethod(
            identity=draw(who),
            method=draw(_or_junk(METHODS)),
            registered=draw(_or_junk(st.booleans())),
        )
    if kind == 1:
        return M.PerformRpc(
            caller=draw(who),
            destination=draw(who),
            method=draw(_or_junk(METHODS)),
            payload=draw(_or_junk(st.sampled_from(["", "p", "é" * 8000, "x" * 16_000]))),
            response_timeout=draw(_or_junk(_SECONDS)),
            max_round_trip_latency=draw(_or_junk(_SECONDS)),
        )
    if kind == 2:
        error = draw(st.booleans())
        return M.RespondRpc(
            identity=draw(who),
            request_id=draw(_or_junk(_request_ids(room))),
            payload=draw(_or_junk(st.none() | texts)) if not error or draw(st.booleans()) else None,
            error_code=draw(_or_junk(st.sampled_from([1500, 2000, 0, -1, 2**32])))
            if error
            else None,
            error_message=draw(_or_junk(texts)),
            error_data=draw(_or_junk(st.none() | texts)),
        )
    return M.SendStreamPackets(
        sender=draw(who),
        packets=draw(packets()),
        destination_identities=draw(
            _or_junk(st.lists(st.sampled_from(NAMES), max_size=2).map(tuple))
        ),
    )


def _checked(room: Room, what: object, act: Callable[[], object]) -> None:
    before = room.snapshot()
    try:
        act()
    except HandlerError:
        raise
    except RoomsimError:
        refused = True
    except RpcError as e:
        refused = e.code == 1402  # the SDK's own refusal, before anything is sent
        if not refused:
            raise
    else:
        refused = False
    if refused:
        assert room.snapshot() == before, f"{what!r} was refused but changed the room"
    check_invariants(room)


@given(st.data())
def test_rpc_and_stream_mutations_apply_cleanly_or_change_nothing(data: st.DataObject) -> None:
    room = rpc_room(data)
    for _ in range(data.draw(st.integers(1, 6))):
        m = data.draw(rpc_mutations(room), label="mutation")
        _checked(room, m, lambda: room.apply(m))  # noqa: B023
        if data.draw(st.integers(0, 3)) == 0:
            room.advance(data.draw(st.sampled_from([0.5, 7.0, 30.0])))
            check_invariants(room)


def _verb_calls(client: Client, room: Room) -> dict[str, st.SearchStrategy[Callable[[], object]]]:
    j = _or_junk
    return {
        "register_rpc_method": st.builds(
            lambda m, h: lambda: client.register_rpc_method(m, h), j(METHODS), j(st.just(_answer))
        ),
        "unregister_rpc_method": st.builds(
            lambda m: lambda: client.unregister_rpc_method(m), j(METHODS)
        ),
        "start_rpc": st.builds(
            lambda d, m, p, t: lambda: client.start_rpc(d, m, p, response_timeout=t),
            j(st.sampled_from(NAMES)),
            j(METHODS),
            j(st.sampled_from(["", "p", "é" * 8000])),
            j(_SECONDS),
        ),
        "respond_rpc": st.builds(
            lambda r, p, e: lambda: client.respond_rpc(r, p, error=e),
            j(_request_ids(room)),
            j(st.none() | texts),
            j(st.none() | st.just(RpcError(2000, "app"))),
        ),
        "register_text_stream_handler": st.builds(
            lambda t, h: lambda: client.register_text_stream_handler(t, h),
            j(st.sampled_from(["t", "u"])),
            j(st.just(lambda r, who: None)),
        ),
        "send_text": st.builds(
            lambda x, t, d, a, s: (
                lambda: client.send_text(
                    x, topic=t, destination_identities=d, attributes=a, stream_id=s
                )
            ),
            j(texts),
            j(st.sampled_from(["t", ""])),
            j(st.lists(st.sampled_from(NAMES), max_size=2)),
            j(st.none() | st.dictionaries(texts, texts, max_size=2)),
            j(st.none() | _STREAM_IDS),
        ),
        "send_bytes": st.builds(
            lambda x, n, m: lambda: client.send_bytes(x, name=n, mime_type=m),
            j(st.binary(max_size=8)),
            j(st.none() | texts),
            j(st.none() | texts),
        ),
        "stream_text": st.builds(
            lambda t, s, chunks, close: (
                lambda: _write(client.stream_text(topic=t, total_size=s), chunks, close)
            ),
            j(st.sampled_from(["t", ""])),
            j(st.none() | st.sampled_from([0, 3, -1])),
            st.lists(j(texts), max_size=3),
            st.booleans(),
        ),
    }


def _write(writer: Any, chunks: list[Any], close: bool) -> None:
    for c in chunks:
        writer.write(c)
    if close:
        writer.close()


@given(st.data())
def test_rpc_and_stream_verbs_take_hostile_arguments(data: st.DataObject) -> None:
    """A verb refused leaves the room as it was; a writer's earlier writes stay sent (each
    write is its own mutation), so a stream_text step is checked write by write."""
    room = rpc_room(data)
    for _ in range(data.draw(st.integers(1, 5))):
        clients = list(room.clients.values())
        client = data.draw(st.sampled_from(clients))
        verbs = _verb_calls(client, room)
        name = data.draw(st.sampled_from(sorted(verbs)))
        act = data.draw(verbs[name])
        note(f"{client.identity}.{name}")
        if name == "stream_text":
            with contextlib.suppress(RoomsimError):
                act()
            check_invariants(room)
            continue
        _checked(room, name, act)
