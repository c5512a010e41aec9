"""The pytest plugin, used the way a user uses it: from a separate test project (pytester).

The plugin is found through its ``pytest11`` entry point, so the inner projects have no
conftest and no ``-p`` option: installing roomsim is enough.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")


def test_the_fixtures_in_a_plain_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from roomsim import ManualClock, Room
        from roomsim.testing import assert_events, expect

        def test_room(room):
            assert isinstance(room, Room)
            assert room.name == "room"
            alice = room.connect("alice")
            room.connect("bob")
            assert_events(alice, "participant_connected", "participant_active")

        def test_factory_shares_the_clock(room_factory, clock):
            a = room_factory("a", max_participants=2)
            b = room_factory("b")
            assert isinstance(clock, ManualClock)
            assert a.clock is b.clock is clock
            assert a.config.max_participants == 2
            assert a.config.handler_errors == "raise"
            clock_before = clock.now
            a.advance(1.5)
            assert b.now == clock_before + 1.5

        def test_expect_failure_shows_events(room):
            alice = room.connect("alice")
            room.connect("bob")
            expect(alice).next("track_published")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ExpectationFailed: 'alice' (PA_1): expected the next event to be TrackPublished(*",
            "* >>    ParticipantConnected(participant='bob')",
            "*ParticipantActive(participant='bob')",
        ]
    )


def test_a_raising_handler_fails_the_test_naming_client_and_event(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        def test_handler(room):
            alice = room.connect("alice")

            def on_join(event):
                raise KeyError(event.participant)

            alice.on("participant_connected", on_join)
            room.connect("bob")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*KeyError: 'bob'",  # the handler's own traceback, chained
            "*HandlerError: 1 handler(s) raised*",
            "*client 'alice' handling participant_connected*KeyError*",
        ]
    )


def test_the_marker_configures_the_room(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from roomsim import RoomFull

        @pytest.mark.roomsim(max_participants=1)
        def test_full(room):
            room.connect("alice")
            with pytest.raises(RoomFull):
                room.connect("bob")

        @pytest.mark.roomsim(handler_errors="log")
        def test_log(room):
            assert room.config.handler_errors == "log"

        @pytest.mark.roomsim("oops")
        def test_bad(room):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*takes RoomConfig fields as keywords*"])


def test_invariants_are_checked_at_teardown_and_can_be_turned_off(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        from roomsim._records import evolve

        def test_corrupt(room):
            room.connect("alice")
            rec = room._server.records["alice"]
            room._server.records["alice"] = evolve(rec, sid="PA_99")  # break it on purpose
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*InternalError: roomsim invariant broken*"])
    pytester.makeini("[pytest]\nroomsim_check_invariants = false\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_state_machine_from_a_user_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from hypothesis import settings
        from hypothesis.stateful import invariant
        from roomsim.stateful import RoomStateMachine

        class Counting(RoomStateMachine):
            @invariant()
            def sessions_are_accounted_for(self):
                assert len(self.clients) == len(self.room.participants) + len(self.room.departed)

        TestCounting = Counting.TestCase
        TestCounting.settings = settings(max_examples=5, stateful_step_count=10, deadline=None)
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_plugin_imports_nothing_heavy(pytester: pytest.Pytester) -> None:
    """The plugin, and the fixtures, leave hypothesis and roomsim's strategies unimported."""
    pytester.makepyfile(
        """
        import sys

        def test_collected_and_used(room):
            room.connect("alice")
            for name in ("hypothesis", "roomsim.strategies", "roomsim.stateful"):
                assert name not in sys.modules, name
        """
    )
    # a subprocess: the outer run has hypothesis imported already; its own plugin is disabled
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=1)


def test_the_fixtures_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(6))
        def test_rooms_are_per_test(room, clock, n):
            assert clock.now == 0.0
            assert list(room.participants) == []
            room.connect(f"p{n}")
            room.advance(n)
        """
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-n", "2"
    )
    result.assert_outcomes(passed=6)
