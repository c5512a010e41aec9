"""Async tests with roomsim: the ``testing`` extra brings AnyIO, whose pytest plugin runs tests
marked ``@pytest.mark.anyio``; the recipe is docs/examples/test_async_greeter.py."""

from __future__ import annotations

import re
from importlib.metadata import distribution, entry_points

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")


def test_the_testing_extra_brings_a_registered_async_plugin() -> None:
    requires = distribution("roomsim").requires or []
    testing = [r for r in requires if re.search(r"""extra\s*==\s*["']testing["']""", r)]
    assert any(r.startswith("anyio") for r in testing), testing
    assert "anyio" in {ep.name for ep in entry_points(group="pytest11")}


def test_async_tests_run_with_the_fixtures_and_no_configuration(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import asyncio
        import pytest
        from roomsim import HandlerError

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        @pytest.mark.anyio
        async def test_a_handler_schedules_work_the_test_awaits(room, clock):
            agent = room.connect("agent")
            done = []

            async def note(who):
                await asyncio.sleep(0)
                done.append(who)

            tasks = []

            def on_joined(event):
                tasks.append(asyncio.create_task(note(event.participant)))

            agent.on("participant_connected", on_joined)
            room.connect("ann")
            room.connect("bob")
            assert done == []
            await asyncio.gather(*tasks)
            assert done == ["ann", "bob"]
            room.advance(1.0)
            assert clock.now == 1.0

        def test_scheduling_outside_a_loop_fails_loudly(room):
            agent = room.connect("agent")

            def on_joined(event):
                asyncio.get_running_loop().create_task(asyncio.sleep(0))  # as create_task does

            agent.on("participant_connected", on_joined)
            with pytest.raises(HandlerError, match="no running event loop"):
                room.connect("ann")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=2)
