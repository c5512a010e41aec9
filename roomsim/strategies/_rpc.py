"""Valid RPC and data-stream mutations, as a family each (rpc-and-streams §1-§10).

Merged into ``_valid.VALID``.  ``RespondRpc`` needs a deferred invocation, which a scene does
not show: its family is listed but never drawn (a handler answers in the state machine).
"""

from __future__ import annotations

from typing import Final

from hypothesis import strategies as st

from roomsim import mutations as M
from roomsim.strategies._scene import Scene, anyone, someone
from roomsim.streams import text_header, text_stream_packets

__all__ = ["RPC_VALID"]

_METHODS: Final = st.sampled_from(["greet", "echo", "ü"])
_PAYLOADS: Final = st.text(max_size=8)


def _draw_register(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    return M.RegisterRpcMethod(
        identity=anyone(draw, sc), method=draw(_METHODS), registered=draw(st.booleans())
    )


def _draw_perform(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    return M.PerformRpc(
        caller=anyone(draw, sc),
        destination=draw(st.sampled_from(pool)),
        method=draw(_METHODS),
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


def _never(sc: Scene) -> bool:
    return False


def _draw_respond(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    raise AssertionError("RespondRpc is never drawn as valid: it needs a deferred invocation")


RPC_VALID: Final = {
    M.RegisterRpcMethod: (someone, _draw_register),
    M.PerformRpc: (someone, _draw_perform),
    M.RespondRpc: (_never, _draw_respond),
    M.SendStreamPackets: (someone, _draw_stream),
}
