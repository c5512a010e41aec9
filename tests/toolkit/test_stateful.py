"""``roomsim.stateful.RoomStateMachine``: its rules and invariants, subclassing it for an app,
and that it catches a buggy app (through its invariant, or through a handler's exception)."""

from __future__ import annotations

import contextvars
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import invariant, rule, run_state_machine_as_test

from roomsim import Client, HandlerError, RoomConfig
from roomsim import events as E
from roomsim import mutations as M
from roomsim.stateful import RoomStateMachine, participants, rule_name
from roomsim.strategies import Refusal

STEPS = settings(stateful_step_count=20)


class Mirror:
    """An app's copy of the other participants' attributes, kept from one client's events."""

    def __init__(self, client: Client, *, only_events: bool = False) -> None:
        self.client = client
        # those already in the room are state, not events (client §13); the classic bug
        # is to build the copy from participant_connected events only
        self.attributes: dict[str, dict[str, str]] = {}
        if not only_events:
            self.attributes = {i: dict(p.attributes) for i, p in client.remote_participants.items()}
        client.on("participant_connected", self.joined)
        client.on("participant_disconnected", self.left)
        client.on("participant_attributes_changed", self.changed)

    def joined(self, e: E.ParticipantConnected) -> None:
        self.attributes[e.participant] = dict(
            self.client.remote_participants[e.participant].attributes
        )

    def left(self, e: E.ParticipantDisconnected) -> None:
        self.attributes.pop(e.participant, None)

    def changed(self, e: E.ParticipantAttributesChanged) -> None:
        if e.participant == self.client.identity:
            return  # our own attributes
        mine = self.attributes.setdefault(e.participant, {})
        for k, v in e.changed_attributes.items():
            if v == "":
                mine.pop(k, None)  # a removed key arrives as "" (client §2)
            else:
                mine[k] = v


class MirrorMachine(RoomStateMachine):
    """Every client runs the app; after every step each live app agrees with its client."""

    only_events: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__()
        self.mirrors: list[Mirror] = []

    def on_connect(self, client: Client) -> None:
        self.mirrors.append(Mirror(client, only_events=self.only_events))

    @invariant()
    def mirrors_agree_with_their_clients(self) -> None:
        live = set(map(id, self.room.clients.values()))
        for m in self.mirrors:
            if id(m.client) in live:
                expected = {i: dict(p.attributes) for i, p in m.client.remote_participants.items()}
                assert m.attributes == expected, m.client


class SmallRoomMachine(RoomStateMachine):
    """Small limits, a participant cap, and every family, room deletion included."""

    families = None
    config: ClassVar[RoomConfig] = RoomConfig(
        max_participants=3,
        max_identity_length=12,
        max_name_length=8,
        max_metadata_size=16,
        max_attributes_size=16,
        handler_errors="raise",
    )


TestRoomStateMachine = RoomStateMachine.TestCase
TestRoomStateMachine.settings = STEPS
TestSmallRoomMachine = SmallRoomMachine.TestCase
TestSmallRoomMachine.settings = STEPS
TestMirrorMachine = MirrorMachine.TestCase
TestMirrorMachine.settings = STEPS


def test_the_rules_are_few_and_the_families_are_the_runs_swarm() -> None:
    """One rule applies every family and the checks (so an app's own rules get a good share
    of the steps); ``populate`` names the run's families, by their rule names."""
    state = RoomStateMachine.setup_state()
    assert {r.function.__name__ for r in state.rules} == {"mutate"}
    assert [r.function.__name__ for r in state.initializers] == ["populate"]
    assert rule_name(M.SetTrackSubscriptionPermissions) == "set_track_subscription_permissions"
    assert [i.function.__name__ for i in state.invariants] == ["roomsim_invariants"]
    # a subclass keeps them all and adds its own
    assert len(MirrorMachine.setup_state().rules) == len(state.rules)
    assert len(MirrorMachine.setup_state().invariants) == 2


class SwarmWatch(RoomStateMachine):
    """Records, per run, the families its swarm enabled and those it applied."""

    families = None
    runs: ClassVar[list[tuple[set[str], set[str]]]] = []
    applied: ClassVar[set[type[M.Mutation]]] = set()

    def __init__(self) -> None:
        super().__init__()
        self.used: set[str] = set()

    def apply(self, mutation: M.Mutation) -> Any:
        self.used.add(rule_name(type(mutation)))
        SwarmWatch.applied.add(type(mutation))
        return super().apply(mutation)

    def teardown(self) -> None:
        SwarmWatch.runs.append(({rule_name(c) for c in self.run_families}, self.used))


def test_every_family_is_applied_and_a_run_applies_only_its_swarm() -> None:
    run_state_machine_as_test(
        SwarmWatch, settings=settings(max_examples=80, stateful_step_count=20, database=None)
    )
    # most families come up in 80 runs (those that need a track or a subscription first may
    # not: tests/toolkit/test_strategies.py draws every family)
    assert {M.Connect, M.Disconnect, M.PublishTrack, M.Advance} <= SwarmWatch.applied
    assert len(SwarmWatch.applied) >= len(M.ALL_MUTATIONS) // 2, SwarmWatch.applied
    # runs differ in the families they use: about half of them each, or all (``swarm=0``)
    swarms = {frozenset(named) for named, _ in SwarmWatch.runs}
    assert len(swarms) > 10, swarms
    assert min(map(len, swarms)) < len(M.ALL_MUTATIONS) * 3 // 4 < max(map(len, swarms))
    for named, used in SwarmWatch.runs:
        # a run applies its swarm's families; a join or time passing when none of them can
        assert used <= named | {"connect", "advance"}, (named, used)


def test_families_restrict_the_rules() -> None:
    class OnlyJoins(RoomStateMachine):
        families = frozenset({M.Connect, M.Disconnect})

        def apply(self, mutation: M.Mutation) -> Any:
            assert self.families is not None and type(mutation) in self.families
            return super().apply(mutation)

    run_state_machine_as_test(OnlyJoins, settings=settings(max_examples=10, stateful_step_count=10))


# a buggy app is caught -------------------------------------------------------------------------

# short runs: each bug needs two or three steps, and shrinking long runs costs seconds
_FIND = settings(
    max_examples=200,
    stateful_step_count=6,
    derandomize=True,
    database=None,
    phases=[Phase.generate],  # found is enough here; shrinking costs seconds
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def test_an_app_that_ignores_who_was_there_is_caught_by_its_invariant() -> None:
    class EventsOnlyMirrorMachine(MirrorMachine):
        only_events = True

    with pytest.raises(AssertionError) as info:
        run_state_machine_as_test(EventsOnlyMirrorMachine, settings=_FIND)
    assert "Client" in str(info.value)


def test_a_handler_that_raises_fails_the_run_naming_client_and_event() -> None:
    class TouchyApp(RoomStateMachine):
        families = frozenset({M.Connect, M.UpdateRoomMetadata})

        def on_connect(self, client: Client) -> None:
            def boom(e: E.RoomMetadataChanged) -> None:
                raise ValueError("can't handle room metadata")

            client.on("room_metadata_changed", boom)

    with pytest.raises(HandlerError) as info:
        run_state_machine_as_test(TouchyApp, settings=_FIND)
    msg = str(info.value)
    assert "handling room_metadata_changed" in msg
    assert "ValueError: can't handle room metadata" in msg
    assert "client '" in msg
    assert isinstance(info.value.__cause__, ValueError)


def test_participants_is_a_rule_argument_of_a_running_machine() -> None:
    @given(participants())
    def outside(who: str | None) -> None:  # pragma: no cover - never called
        raise AssertionError(who)

    # a fresh context: no machine has run in it
    with pytest.raises(InvalidArgument, match="rule argument"):
        contextvars.Context().run(outside)


class RuleWatch(RoomStateMachine):
    """Records, per run, whether its own rule ran, and the checking steps ``mutate`` took."""

    runs: ClassVar[list[bool]] = []
    checks: ClassVar[set[str]] = set()
    # few families, so that leaving (and so an ended client to act on) is common in 40 runs;
    # with every family a leave is rare enough to miss now and then
    families = frozenset({M.Connect, M.Disconnect, M.SetAttributes})

    def __init__(self) -> None:
        super().__init__()
        RuleWatch.runs.append(False)

    @rule()
    def my_rule(self) -> None:
        RuleWatch.runs[-1] = True

    def refuse(self, refusal: Refusal) -> None:
        RuleWatch.checks.add("refused_mutation")
        super().refuse(refusal)

    def ended_client_refuses(self, client: Client, action: str) -> None:
        RuleWatch.checks.add("ended_client_refuses")
        super().ended_client_refuses(client, action)


def test_every_rule_runs_in_every_run_and_mutate_takes_the_checking_steps() -> None:
    """Hypothesis' own swarm over rules is off (it left an app's rule out of about half the
    runs); roomsim's checks are steps of ``mutate`` that the run's swarm enables."""
    run_state_machine_as_test(
        RuleWatch, settings=settings(max_examples=40, stateful_step_count=20, database=None)
    )
    assert len(RuleWatch.runs) >= 40
    # (a run Hypothesis cuts short may take no step of its own; with the rule swarm on,
    # about half the runs never took it)
    assert RuleWatch.runs.count(False) <= len(RuleWatch.runs) // 10, RuleWatch.runs
    assert RuleWatch.checks == {"refused_mutation", "ended_client_refuses"}
