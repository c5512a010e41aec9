"""``serve()``: RPC between two ``livekit.rtc`` Rooms through the SDK alone (issue 17;
rpc-and-streams §4, §6).  The SDK's ``perform_rpc`` / ``register_rpc_method`` /
``rpc_method_invocation_response`` requests are answered by roomsim's RPC."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip("livekit.api")

from livekit import rtc

from roomsim import mutations as M
from roomsim.livekit import LiveKitServer
from tests.interop._serving import join, run


def test_two_sdk_rooms_exchange_an_rpc() -> None:
    async def body(lk: LiveKitServer) -> None:
        agent = await join(lk, "agent")
        user = await join(lk, "user")
        seen: list[rtc.RpcInvocationData] = []

        async def greet(data: rtc.RpcInvocationData) -> str:
            seen.append(data)
            return f"hello {data.caller_identity}: {data.payload}"

        agent.local_participant.register_rpc_method("greet", greet)

        answer = await user.local_participant.perform_rpc(
            destination_identity="agent", method="greet", payload="hi"
        )
        assert answer == "hello user: hi"
        (data,) = seen
        assert (data.method, data.payload, data.response_timeout) == ("greet", "hi", 8.0)
        kinds = [type(m) for m in lk.room("r").log]
        assert M.PerformRpc in kinds and M.RespondRpc in kinds
        await agent.disconnect()
        await user.disconnect()

    run(body)


def test_sdk_errors_reach_the_sdk_caller() -> None:
    async def body(lk: LiveKitServer) -> None:
        agent = await join(lk, "agent")
        user = await join(lk, "user")

        async def refuse(data: rtc.RpcInvocationData) -> str:
            raise rtc.RpcError(4001, "nope", "d")

        async def crash(data: rtc.RpcInvocationData) -> str:
            raise ValueError("boom")

        agent.local_participant.register_rpc_method("refuse", refuse)
        agent.local_participant.register_rpc_method("crash", crash)
        errors: list[Any] = []
        for method in ("refuse", "crash", "missing"):
            try:
                await user.local_participant.perform_rpc(
                    destination_identity="agent", method=method, payload=""
                )
            except rtc.RpcError as e:
                errors.append((e.code, e.message))
        assert errors == [
            (4001, "nope"),
            (1500, "Application error in method handler"),
            (1400, "Method not supported at destination"),
        ]
        await agent.disconnect()
        await user.disconnect()

    run(body)


def test_a_call_to_nobody_times_out_on_the_virtual_clock() -> None:
    async def body(lk: LiveKitServer) -> None:
        user = await join(lk, "user")
        task = asyncio.create_task(
            user.local_participant.perform_rpc(destination_identity="ghost", method="m", payload="")
        )
        await lk.settle()
        assert not task.done()
        lk.room("r").advance(7)
        await lk.settle()
        with pytest.raises(rtc.RpcError) as info:
            await task
        assert info.value.code == 1501
        await user.disconnect()

    run(body)


def test_unregister_and_a_roomsim_client_calling_the_sdk() -> None:
    async def body(lk: LiveKitServer) -> None:
        agent = await join(lk, "agent")

        async def echo(data: rtc.RpcInvocationData) -> str:
            return data.payload

        agent.local_participant.register_rpc_method("echo", echo)
        user = lk.room("r").connect("user")  # a roomsim client calls the SDK's method
        call = user.start_rpc("agent", "echo", "ping")
        assert not call.done  # the SDK's handler runs in its event loop
        await lk.settle()
        assert call.result() == "ping"
        agent.local_participant.unregister_rpc_method("echo")
        await lk.settle()
        from roomsim.rpc import RpcError

        with pytest.raises(RpcError) as info:
            user.perform_rpc("agent", "echo")
        assert info.value.code == 1400
        await agent.disconnect()

    run(body)
