"""``RoomStateMachine``: a Hypothesis state machine over a room, to subclass (needs ``hypothesis``).

Each run builds a fresh room (:meth:`RoomStateMachine.make_room`), connects a few participants
(:meth:`~RoomStateMachine.populate`), then applies a random sequence of steps: the rules of
your subclass, and roomsim's one rule ``mutate``, which applies a valid mutation of one of the
run's mutation families, an *invalid* mutation that must raise and change nothing
(``Refusal``), or an action of a client whose session ended, which it must refuse
(:class:`EndedClientAction`).  After every step the
invariant :meth:`RoomStateMachine.roomsim_invariants` runs
:func:`roomsim.testing.check_invariants`.

Subclass it to test your application: connect your app's handlers in :meth:`on_connect` (or
build them in ``__init__``), and add your own ``@rule``\\ s and ``@invariant``\\ s; every rule and
invariant of this class is inherited.  Handlers raise (``handler_errors="raise"``), so an
exception in your handler fails the run with a ``HandlerError`` naming the client and event.

The machine is built to find bugs fast and report them small (see
``docs/howto/property-testing.md``): every rule runs in every run, and roomsim has one, so your
own rules get at least half the steps; each run enables a random half of the mutation families
(swarm testing, one ``swarm`` number per run); every step's choices are rule arguments that
shrink towards the simplest (the first participant, the first family, a plain join); and the
reported history starts with just the participants it needs.

>>> from hypothesis import settings
>>> from hypothesis.stateful import invariant, run_state_machine_as_test
>>> from roomsim.stateful import RoomStateMachine
>>> class CountingBot(RoomStateMachine):
...     def __init__(self):
...         super().__init__()
...         self.bot, self.joins = None, 0
...     def on_connect(self, client):
...         if self.bot is None:   # the first client runs the bot
...             def count(event):
...                 self.joins += 1
...             self.bot = client
...             client.on("participant_connected", count)
...     @invariant()
...     def bot_saw_no_more_joins_than_sessions(self):
...         assert self.joins <= len(self.room.participants) + len(self.room.departed)
>>> run_state_machine_as_test(CountingBot, settings=settings(max_examples=5, deadline=None))

Use it from pytest as ``TestCountingBot = CountingBot.TestCase``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any, ClassVar, Final

import attrs
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from roomsim import mutations as M
from roomsim.client import Client
from roomsim.config import RoomConfig
from roomsim.errors import ClientDisconnected, RoomsimError
from roomsim.model import Permission, TrackKind, TrackSource
from roomsim.room import Room
from roomsim.strategies import DEFAULT_IDENTITIES, Refusal, families
from roomsim.strategies._invalid import draw_refusal, refusal_possible
from roomsim.strategies._profiles import register_profiles
from roomsim.strategies._scene import Scene, pick, read_scene
from roomsim.strategies._valid import VALID, possible
from roomsim.testing import check_invariants

__all__ = [
    "EndedClientAction",
    "RoomStateMachine",
    "participants",
    "register_profiles",
    "rule_name",
]

_GRANT: Final = Permission(can_update_metadata=True)

register_profiles()


def rule_name(cls: type[M.Mutation]) -> str:
    """A family's name in a run's ``families``: ``SetAttributes`` -> ``set_attributes``."""
    return "".join("_" + c.lower() if c.isupper() else c for c in cls.__name__).lstrip("_")


#: the machine whose step is being drawn: rule arguments are drawn for its room's state (one
#: machine runs at a time in a thread; each run's ``__init__`` sets it)
_RUNNING: ContextVar[RoomStateMachine] = ContextVar("roomsim_running_machine")


@attrs.frozen
class EndedClientAction:
    """A step of ``mutate``: the ``action`` of an ended client, which it must refuse (design §2).

    ``client`` indexes the machine's ``clients`` (connect order)."""

    client: int
    action: str


#: what one ``mutate`` step does: a valid mutation, a refusal, an ended client's action, or
#: nothing (``None``: nothing of the run's could apply)
Step = M.Mutation | Refusal | EndedClientAction | None


def _extra_possible(machine: RoomStateMachine, name: str, scene: Scene) -> bool:
    if name == _ENDED:
        return bool(machine._ended_clients())
    return refusal_possible(scene, machine._allowed)


def _draw_extra(draw: st.DrawFn, machine: RoomStateMachine, name: str, scene: Scene) -> Step:
    if name == _ENDED:
        client = pick(draw, machine._ended_clients())
        return EndedClientAction(machine.clients.index(client), pick(draw, _ENDED_ACTIONS))
    return draw_refusal(draw, scene, machine._allowed, machine.identities)


@st.composite
def _step_now(draw: st.DrawFn) -> Step:
    """One step of the running machine: a valid mutation of one of the run's families, or one
    of the run's checking steps (a refusal, an ended client's action).

    What to do is drawn as an index into the machine's families and checks (fixed for the
    class), so deleting an earlier step leaves a later step's choice alone.  When that choice
    can't apply now, or the run's swarm (``populate``'s one ``swarm`` number) left it out, the
    next one that can does.  ``None`` when nothing can apply.
    """
    machine = _RUNNING.get()
    scene = machine._scene_now()
    order = machine._order
    start = order.index(pick(draw, machine._weighted))
    for i in range(len(order)):
        chosen = order[(start + i) % len(order)]
        if isinstance(chosen, str):
            if chosen not in machine._out and _extra_possible(machine, chosen, scene):
                return _draw_extra(draw, machine, chosen, scene)
        elif chosen not in machine._out and possible(scene, chosen):
            return VALID[chosen][1](draw, scene, machine.identities)
    # stuck (say, an empty or closed room and no join or time in the run's swarm)
    for cls in (M.Connect, M.Advance):
        if cls in machine._allowed and possible(scene, cls):
            return VALID[cls][1](draw, scene, machine.identities)
    return None


def _running() -> RoomStateMachine:
    try:
        return _RUNNING.get()
    except LookupError:
        raise InvalidArgument(
            "participants() is drawn as a rule argument of a running RoomStateMachine"
        ) from None


@st.composite
def _participant_now(draw: st.DrawFn) -> str | None:
    # by identity, not join order: a rejoin does not move anyone (see Scene)
    present = sorted(_running().room.participants)
    return pick(draw, present) if present else None


def participants() -> st.SearchStrategy[str | None]:
    """A rule argument: the identity of a participant of the running machine's room, or
    ``None`` when the room is empty (return early then).

    It shrinks towards the first identity in sorted order (``alice`` in the default pool), and
    a participant who rejoins keeps its place among the others.  Prefer it to a ``precondition``
    plus ``data.draw(st.sampled_from(...))``: a rule that is always valid and draws a fixed
    shape of choices keeps the rest of a history meaningful when the shrinker deletes a step::

        @rule(who=participants(), hand=st.sampled_from(["raised", ""]))
        def raise_or_lower_a_hand(self, who, hand):
            if who is not None:
                self.room.update_participant(who, attributes={"hand": hand})
    """
    return _participant_now()


#: the checking steps a run's swarm can enable besides the families' mutations
_EXTRA_RULES: Final = ("refused_mutation", "ended_client_refuses")
_ENDED: Final = "ended_client_refuses"

#: a run's swarm, drawn as one number rather than a choice per family: the families a run
#: leaves out are a pseudo-random function of it (0: none).  A choice per family made two
#: dozen choices in every history for the shrinker to try (most of the time to a report),
#: and choices drawn at a family's first use made histories whose steps could not be deleted
#: (deleting the step that drew a family's choice shifted every later choice)
_SWARMS: Final = st.integers(0, 2**16 - 1)


_ENDED_ACTIONS: Final = ("set_metadata", "publish_track", "send_data", "activate", "disconnect")


class _AllEnabled:
    """Feature flags that enable every rule (the shape Hypothesis' rule strategy reads)."""

    def is_enabled(self, name: object) -> bool:
        return True


_ALL_ENABLED: Final = st.just(_AllEnabled())


def _enable_every_rule(machine: RuleBasedStateMachine) -> None:
    """Run every rule in every run: turn off Hypothesis' swarm over a machine's rules.

    Hypothesis disables a random share of a machine's rules in each run (``FeatureFlags``); for
    a ``RoomStateMachine`` that left an app's own rule out of about half the runs, which then
    could not find the app's bug (the planted ``forgot_on_left`` took a median of 31 examples,
    at most 94, to be found; see ``docs/howto/property-testing.md``).  roomsim's swarm is the
    run's families instead.  This sets an attribute of Hypothesis' rule strategy
    (``enabled_rules_strategy``, Hypothesis 6.100 to 6.170 at least); with a Hypothesis
    without it, the machine runs with Hypothesis' own rule swarm.
    """
    strategy = getattr(machine, "_rules_strategy", None)
    if strategy is not None and hasattr(strategy, "enabled_rules_strategy"):
        strategy.enabled_rules_strategy = _ALL_ENABLED


class RoomStateMachine(RuleBasedStateMachine):
    """Random histories of one room, with roomsim's invariants checked after every step.

    Class attributes to override:

    - ``config``: the room's ``RoomConfig`` (default: LiveKit's defaults, handlers raise);
    - ``identities``: the pool new participants are named from (small, so joins collide);
    - ``families``: the mutation classes the rules may apply; by default every family but
      ``DeleteRoom``, which ends the history (a closed room refuses everything but
      ``Advance``): add it, or set ``None`` for all, to test closing;
    - ``swarm``: whether each run enables only a random half of those families and of the
      two checking steps (swarm testing, the default); ``False`` enables all in every run;
    - ``weights``: how often ``mutate`` picks a family among the run's, relative to the others
      (default 1): joins and leaves, where apps most often go wrong, weigh more by default.

    The first step, :meth:`populate`, connects the first ``participants`` identities of the
    pool (0 to 3; it shrinks towards 2, an actor and an observer, so that a reported history
    gets its cast in one step rather than in ``connect`` steps) and draws the run's swarm
    (``swarm=0``, every family, when the history needs no family left out).

    Attributes while running: ``room``, the ``Room``; ``clients``, every ``Client`` made so far
    (sessions that ended included), in connect order; ``run_families``, the run's families.
    """

    config: ClassVar[RoomConfig] = RoomConfig(handler_errors="raise")
    identities: ClassVar[tuple[str, ...]] = DEFAULT_IDENTITIES
    families: ClassVar[frozenset[type[M.Mutation]] | None] = frozenset(
        set(M.ALL_MUTATIONS) - {M.DeleteRoom, M.ShutdownServer, M.Interrupt, M.Resume, M.Reconnect}
    )
    swarm: ClassVar[bool] = True
    weights: ClassVar[Mapping[type[M.Mutation], int]] = {
        M.Connect: 3,
        M.Disconnect: 3,
        M.RemoveParticipant: 2,
    }

    def __init__(self) -> None:
        super().__init__()
        self.room: Room = self.make_room()
        self.clients: list[Client] = []
        self._known: set[int] = set()
        self._scene_key: tuple[Any, ...] | None = None
        self._scene: Scene | None = None
        #: mutations applied through ``apply`` (some commit no fact: RPC names and answers)
        self._applied = 0
        self._allowed: tuple[type[M.Mutation], ...] = self._chosen()
        #: the mutation families this run applies (``populate`` picks them when ``swarm`` is on)
        self._order: tuple[type[M.Mutation] | str, ...] = (*self._allowed, *_EXTRA_RULES)
        weights: Mapping[Any, int] = self.weights
        self._weighted = [c for c in self._order for _ in range(weights.get(c, 1))]
        #: the families and checking steps the run's swarm leaves out (``populate`` draws it)
        self._out: frozenset[type[M.Mutation] | str] = frozenset()
        _RUNNING.set(self)
        _enable_every_rule(self)

    # -------------------------------------------------------------------------------------------
    # hooks

    def make_room(self) -> Room:
        """The room of one run; override to use another name, clock or config."""
        return Room("room", config=self.config)

    def on_connect(self, client: Client) -> None:
        """Called once for every new client (including ones a handler connected); attach your
        app's handlers here.  The default does nothing."""

    def apply(self, mutation: M.Mutation) -> Any:
        """Apply a valid mutation; every rule goes through here.  Returns its result."""
        try:
            result = self.room.apply(mutation)
        finally:
            self._applied += 1
            self._discover()
        return result

    def refuse(self, refusal: Refusal) -> None:
        """Apply an invalid mutation: it must raise ``refusal.error`` and change nothing."""
        before = self.room.snapshot()
        try:
            self.room.apply(refusal.mutation)
        except refusal.error:
            pass
        except RoomsimError as e:
            raise AssertionError(
                f"{refusal.mutation!r} raised {type(e).__name__} ({e}), "
                f"expected {refusal.error.__name__}"
            ) from e
        else:
            raise AssertionError(
                f"{refusal.mutation!r} was accepted, expected {refusal.error.__name__}"
            )
        after = self.room.snapshot()
        if after != before:
            raise AssertionError(f"refused {refusal.mutation!r} changed the room")

    def check(self) -> None:
        """The per-step check; by default :func:`roomsim.testing.check_invariants`."""
        check_invariants(self.room)

    # -------------------------------------------------------------------------------------------
    # machinery

    def _discover(self) -> None:
        for client in self.room.clients.values():
            if id(client) not in self._known:
                self._known.add(id(client))
                self.clients.append(client)
                self.on_connect(client)

    def _scene_now(self) -> Scene:
        room = self.room
        # every commit appends to the fact log (nested mutations and timers included)
        key = (room.statistics().facts_committed, room.closed, room.now, self._applied)
        if key != self._scene_key or self._scene is None:
            self._scene_key = key
            self._scene = read_scene(room)
        return self._scene

    def _chosen(self) -> tuple[type[M.Mutation], ...]:
        chosen = families()
        if self.families is not None:
            chosen = tuple(c for c in chosen if c in self.families)
        return chosen

    @property
    def run_families(self) -> tuple[type[M.Mutation], ...]:
        """The families of the run's swarm, in ``families()`` order (every allowed family when
        ``swarm`` is off)."""
        return tuple(c for c in self._allowed if c not in self._out)

    def _ended_clients(self) -> list[Client]:
        current = {id(c) for c in self.room.clients.values()}
        return [c for c in self.clients if id(c) not in current]

    # -------------------------------------------------------------------------------------------
    # rules

    @initialize(participants=st.sampled_from([2, 3, 1, 0]), swarm=_SWARMS)
    def populate(self, participants: int, swarm: int) -> None:
        """Connect the pool's first ``participants`` identities (plain joins, allowed to set
        their own attributes), and pick the run's swarm: ``swarm=0`` takes every family and
        checking step in; any other value leaves a pseudo-random half of them out (each with
        even odds; ignored when ``swarm`` is off)."""
        if self.swarm and swarm:
            bits = random.Random(swarm).getrandbits(len(self._order))
            self._out = frozenset(c for i, c in enumerate(self._order) if bits >> i & 1)
        if M.Connect in self._allowed:
            for identity in self.identities[:participants]:
                self.apply(M.Connect(identity=identity, permission=_GRANT))

    @rule(mutation=_step_now())
    def mutate(self, mutation: Step) -> None:
        """One step of roomsim's own: a valid mutation of one of the run's families, or, when
        the run's swarm enabled them, an invalid mutation that must raise and change nothing
        (design §1) or an action of an ended client, which it must refuse (design §2).
        ``None``: nothing could apply."""
        if isinstance(mutation, Refusal):
            self.refuse(mutation)
        elif isinstance(mutation, EndedClientAction):
            self.ended_client_refuses(self.clients[mutation.client], mutation.action)
        elif mutation is not None:
            self.apply(mutation)

    # roomsim's checks are steps of ``mutate`` rather than rules of their own: Hypothesis picks
    # among a machine's rules evenly (and disables a random share of them in each run), so the
    # fewer rules of roomsim's, the larger your rules' share of the steps; and no rule has a
    # precondition, so the rules that can run never depend on the state, and no draw of a rule
    # is rejected

    def ended_client_refuses(self, client: Client, action: str) -> None:
        """``client``, whose session ended, refuses ``action`` and changes nothing."""
        actions: dict[str, Callable[[], object]] = {
            "set_metadata": lambda: client.set_metadata("m"),
            "publish_track": lambda: client.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE),
            "send_data": lambda: client.send_data(b"x"),
            "activate": client.activate,
            "disconnect": client.disconnect,
        }
        before = self.room.snapshot()
        try:
            actions[action]()
        except ClientDisconnected:
            pass
        else:
            raise AssertionError(f"ended client {client!r} accepted an action")
        if self.room.snapshot() != before:
            raise AssertionError(f"a refused action of ended client {client!r} changed the room")

    @invariant()
    def roomsim_invariants(self) -> None:
        """roomsim's own invariants hold after every step."""
        self._discover()  # clients an app's rule connected through the room's verbs
        self.check()
