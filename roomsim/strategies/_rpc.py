"""Valid RPC and data-stream mutations, as a family each (rpc-and-streams §1-§10), and their
refusals (``roomsim._raise_sites_rpc``).

``RPC_VALID`` is merged into ``_valid.VALID``, ``RPC_REFUSALS`` into ``_invalid._REFUSALS``.
``RespondRpc`` answers an invocation awaiting its callee (``Scene.awaiting``: a callee with the
method name but no function, as a room driven by mutations has): with a payload, a built-in
error or an application's own, any number of steps after the call (a deferred answer), unless
a deadline answered it first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from hypothesis import strategies as st

from roomsim import mutations as M
from roomsim.errors import (
    IllegalState,
    InvalidArgument,
    InvalidType,
    LimitExceeded,
    RoomsimError,
    UnknownParticipant,
)
from roomsim.strategies._scene import Scene, anyone, pick, someone
from roomsim.streams import StreamChunk, text_header, text_stream_packets

__all__ = ["RPC_REFUSALS", "RPC_SITE_OF", "RPC_VALID"]

_METHODS: Final = st.sampled_from(["greet", "echo", "ü"])
_PAYLOADS: Final = st.text(max_size=8)
#: True three times in four (and the simplest draw, 0, is True)
_MOSTLY: Final = st.integers(0, 3).map(lambda i: i < 3)


def _draw_register(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    # mostly registrations (an unregistration undoes one)
    return M.RegisterRpcMethod(
        identity=anyone(draw, sc), method=draw(_METHODS), registered=draw(_MOSTLY)
    )


def _draw_perform(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    if draw(_MOSTLY) and sc.methods:  # a method someone registered: an invocation
        destination, method = pick(draw, sc.methods)
        others = [p.identity for p in sc.people if p.identity != destination]
        caller = pick(draw, others) if others else destination
    else:  # anything: 1400, or 1501 for someone absent
        destination, method = draw(st.sampled_from(pool)), draw(_METHODS)
        caller = anyone(draw, sc)
    return M.PerformRpc(
        caller=caller,
        destination=destination,
        method=method,
        payload=draw(_PAYLOADS),
        response_timeout=draw(st.none() | st.sampled_from([1.0, 10.0])),
    )


def _draw_stream(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    # a whole text stream (header, chunks, trailer) under an id no earlier step used
    step = len(sc.room.log) if sc.room is not None else 0
    stream_id = f"S{step}_{draw(st.integers(0, 10**9))}"
    text = draw(st.text(max_size=12))
    header = text_header(
        stream_id=stream_id,
        topic=draw(st.sampled_from(["lk.chat", "lk.transcription"])),
        timestamp=0.0,
        total_length=len(text.encode()),
    )
    return M.SendStreamPackets(
        sender=anyone(draw, sc),
        packets=text_stream_packets(text, header),
        destination_identities=tuple(draw(st.lists(st.sampled_from(pool), max_size=2))),
    )


def _awaiting(sc: Scene) -> bool:
    return bool(sc.awaiting)


#: built-in codes a handler answers with, and an application's own
_CODES: Final = st.sampled_from([1500, 2000, 1400, 0])


def _draw_respond(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    callee, request_id = pick(draw, sc.awaiting)
    if draw(st.booleans()):
        return M.RespondRpc(identity=callee, request_id=request_id, payload=draw(_PAYLOADS))
    return M.RespondRpc(
        identity=callee,
        request_id=request_id,
        error_code=draw(_CODES),
        error_message=draw(_PAYLOADS),
        error_data=draw(st.none() | _PAYLOADS),
    )


RPC_VALID: Final = {
    M.RegisterRpcMethod: (someone, _draw_register),
    M.PerformRpc: (someone, _draw_perform),
    M.RespondRpc: (_awaiting, _draw_respond),
    M.SendStreamPackets: (someone, _draw_stream),
}


def _not_callee(sc: Scene) -> list[tuple[str, str]]:
    return [(p.identity, r) for p in sc.people for c, r in sc.awaiting if c != p.identity]


def _absent(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> str:
    present = {p.identity for p in sc.people}
    return pick(draw, [i for i in (*pool, "nobody") if i not in present])


_Make = Callable[[st.DrawFn, Scene, tuple[str, ...]], M.Mutation]
_Case = tuple[str, type[M.Mutation], Callable[[Scene], bool], type[RoomsimError], _Make]

#: (what is wrong, the family, when it applies, the error, the mutation): one fault each
RPC_REFUSALS: Final[tuple[_Case, ...]] = (
    (
        "RPC method not a str",
        M.RegisterRpcMethod,
        someone,
        InvalidType,
        lambda d, sc, p: M.RegisterRpcMethod(identity=anyone(d, sc), method=1),  # type: ignore[arg-type]
    ),
    (
        "nobody calls",
        M.PerformRpc,
        lambda sc: True,
        UnknownParticipant,
        lambda d, sc, p: M.PerformRpc(caller=_absent(d, sc, p), destination="x", method="m"),
    ),
    (
        "negative RPC timeout",
        M.PerformRpc,
        someone,
        InvalidArgument,
        lambda d, sc, p: M.PerformRpc(
            caller=anyone(d, sc), destination=anyone(d, sc), method="m", response_timeout=-1.0
        ),
    ),
    (
        "RPC payload not a str",
        M.PerformRpc,
        someone,
        InvalidType,
        lambda d, sc, p: M.PerformRpc(
            caller=anyone(d, sc),
            destination=anyone(d, sc),
            method="m",
            payload=b"x",  # type: ignore[arg-type]
        ),
    ),
    (
        "answer a call never made",
        M.RespondRpc,
        someone,
        IllegalState,
        lambda d, sc, p: M.RespondRpc(identity=anyone(d, sc), request_id="RPC_0", payload="x"),
    ),
    (
        "answer another's call",
        M.RespondRpc,
        lambda sc: bool(_not_callee(sc)),
        IllegalState,
        lambda d, sc, p: (lambda o: M.RespondRpc(identity=o[0], request_id=o[1], payload="x"))(
            pick(d, _not_callee(sc))
        ),
    ),
    (
        "answer with a payload and an error",
        M.RespondRpc,
        _awaiting,
        InvalidArgument,
        lambda d, sc, p: (
            lambda o: M.RespondRpc(identity=o[0], request_id=o[1], payload="x", error_code=1500)
        )(pick(d, sc.awaiting)),
    ),
    (
        "answer with an error code outside uint32",
        M.RespondRpc,
        _awaiting,
        InvalidArgument,
        lambda d, sc, p: (lambda o: M.RespondRpc(identity=o[0], request_id=o[1], error_code=-1))(
            pick(d, sc.awaiting)
        ),
    ),
    (
        "a chunk of a stream never opened",
        M.SendStreamPackets,
        someone,
        IllegalState,
        lambda d, sc, p: M.SendStreamPackets(
            sender=anyone(d, sc),
            packets=(StreamChunk(stream_id="never opened", chunk_index=0, content=b"x"),),
        ),
    ),
    (
        "a stream header over 15 000 bytes",
        M.SendStreamPackets,
        someone,
        LimitExceeded,
        lambda d, sc, p: M.SendStreamPackets(
            sender=anyone(d, sc),
            packets=(
                text_header(
                    stream_id="too large", topic="t", timestamp=0.0, attributes={"k": "v" * 15_000}
                ),
            ),
        ),
    ),
)

#: the raise site each refusal reaches
RPC_SITE_OF: Final[dict[str, str]] = {
    "RPC method not a str": "register_rpc_method.type",
    "nobody calls": "identity.unknown",
    "negative RPC timeout": "perform_rpc.range",
    "RPC payload not a str": "perform_rpc.type",
    "answer a call never made": "respond_rpc.unknown",
    "answer another's call": "respond_rpc.unknown",
    "answer with a payload and an error": "respond_rpc.answer",
    "answer with an error code outside uint32": "respond_rpc.answer",
    "a chunk of a stream never opened": "send_stream.closed",
    "a stream header over 15 000 bytes": "send_stream.header_size",
}
