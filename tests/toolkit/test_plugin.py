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


def test_a_misspelt_marker_argument_names_the_closest_field_and_all_of_them(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.roomsim(max_participant=1)
        def test_typo(room):
            pass

        @pytest.mark.roomsim(colour="blue")
        def test_nothing_close(room):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.roomsim on test_*::test_typo: 'max_participant' is not a RoomConfig "
            "field (did you mean 'max_participants'?); the fields are: max_participants, "
            "empty_timeout, *handler_errors*",
            "*@pytest.mark.roomsim on test_*::test_nothing_close: 'colour' is not a RoomConfig "
            "field; the fields are: max_participants*",
        ]
    )
    result.stdout.no_fnmatch_line("*TypeError*")


def test_the_factory_checks_field_names_too(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from roomsim import InvalidArgument

        def test_factory(room_factory):
            with pytest.raises(InvalidArgument, match="did you mean 'join_timeout'"):
                room_factory("r", join_timeuot=3)
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_failures_show_the_test_line_and_the_public_exception_name(
    pytester: pytest.Pytester,
) -> None:
    """The assertion helpers hide their own frames; the exception reads roomsim.testing.*."""
    pytester.makepyfile(
        """
        from roomsim.testing import assert_events, expect

        def test_next(room):
            alice = room.connect("alice")
            room.connect("bob")
            expect(alice).next("track_published")

        def test_assert_events(room):
            alice = room.connect("alice")
            assert_events(alice, "participant_connected")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--tb=long")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            '>       expect(alice).next("track_published")',
            "E       roomsim.testing.ExpectationFailed: 'alice' (PA_1): expected the next *",
            '>       assert_events(alice, "participant_connected")',
            "E       roomsim.testing.ExpectationFailed: 'alice' (PA_1): expected 1 events *",
        ]
    )
    result.stdout.no_fnmatch_line("*_expect.py*")
    result.stdout.no_fnmatch_line("*testing._expect*")


def test_a_given_test_taking_the_fixtures_is_refused_with_the_recipe(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        from hypothesis import given, strategies as st

        @given(st.integers())
        def test_shared(room, n):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_shared is a Hypothesis @given test: roomsim's fixtures (`room`, "
            "`room_factory`, `clock`) are made once per test function*checked_room(*",
        ]
    )


def test_the_given_recipe_makes_a_fresh_checked_room_per_example(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest
        from hypothesis import given, settings, strategies as st
        from roomsim import RoomFull
        from roomsim.testing import checked_room

        seen = []

        @settings(max_examples=25, database=None)
        @given(st.integers(min_value=1, max_value=4))
        def test_a_room_per_example(n):
            with checked_room(max_participants=n) as room:
                seen.append(room)
                assert room.now == 0.0 and not room.participants
                for i in range(n):
                    room.connect(f"p{i}")
                with pytest.raises(RoomFull):
                    room.connect("one-too-many")
                room.advance(1.0)

        def test_every_example_had_its_own_room():
            assert len(seen) > 1
            assert len({id(r) for r in seen}) == len(seen)
            assert len({id(r.clock) for r in seen}) == len(seen)
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
