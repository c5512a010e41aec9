"""``RoomStateMachine``: a Hypothesis state machine over a room, to subclass (needs ``hypothesis``).

Each run builds a fresh room (:meth:`RoomStateMachine.make_room`), connects a few participants
(:meth:`~RoomStateMachine.populate`), then applies a random sequence of steps: valid mutations
of the run's mutation families (the rule ``mutate``), an *invalid* mutation that must raise and
change nothing (``refused_mutation``), an action of a client whose session ended, which it must
refuse (``ended_client_refuses``), and the rules of your subclass.  After every step the
invariant :meth:`RoomStateMachine.roomsim_invariants` runs
:func:`roomsim.testing.check_invariants`.

Subclass it to test your application: connect your app's handlers in :meth:`on_connect` (or
build them in ``__init__``), and add your own ``@rule``\\ s and ``@invariant``\\ s; every rule and
invariant of this class is inherited.  Handlers raise (``handler_errors="raise"``), so an
exception in your handler fails the run with a ``HandlerError`` naming the client and event.

The machine is built to find bugs fast and report them small (see
``docs/howto/property-testing.md``): each run enables a random subset of the mutation families
(swarm testing), so your own rules get a good share of the steps; every step's choices are
rule arguments that shrink towards the simplest (the first participant, the first family, a
plain join); and the reported history starts with just the participants it needs.

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

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any, ClassVar, Final

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

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

__all__ = ["RoomStateMachine", "participants", "register_profiles", "rule_name"]

_GRANT: Final = Permission(can_update_metadata=True)

register_profiles()


def rule_name(cls: type[M.Mutation]) -> str:
    """A family's name in a run's ``families``: ``SetAttributes`` -> ``set_attributes``."""
    return "".join("_" + c.lower() if c.isupper() else c for c in cls.__name__).lstrip("_")


#: the machine whose step is being drawn: rule arguments are drawn for its room's state (one
#: machine runs at a time in a thread; each run's ``__init__`` sets it)
_RUNNING: ContextVar[RoomStateMachine] = ContextVar("roomsim_running_machine")


@st.composite
def _mutation_now(draw: st.DrawFn) -> M.Mutation | None:
    """A valid mutation for the running machine's room, of one of the run's families.

    The family is drawn as an index into the run's families (fixed for the run), so deleting
    an earlier step leaves a later step's family alone; when that family can't apply now, the
    next one that can does.  ``None`` when none can (the step does nothing).
    """
    machine = _RUNNING.get()
    scene = machine._scene_now()
    order = machine.run_families
    weighted = [c for c in order for _ in range(machine.weights.get(c, 1))]
    start = order.index(pick(draw, weighted)) if weighted else 0
    for i in range(len(order)):
        cls = order[(start + i) % len(order)]
        if possible(scene, cls):
            return VALID[cls][1](draw, scene, machine.identities)
    # stuck (say, an empty or closed room and no join or time among the run's families)
    for cls in (M.Connect, M.Advance):
        if cls in machine._allowed and possible(scene, cls):
            return VALID[cls][1](draw, scene, machine.identities)
    return None


@st.composite
def _refusal_now(draw: st.DrawFn) -> Refusal | None:
    """An invalid mutation for the running machine's room, with its error (a rule argument);
    ``None`` when none can be drawn for this state."""
    machine = _RUNNING.get()
    scene = machine._scene_now()
    if not refusal_possible(scene, machine._allowed):
        return None
    return draw_refusal(draw, scene, machine._allowed, machine.identities)


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


#: the rules a run's swarm can enable besides the families' mutations
_EXTRA_RULES: Final = ("refused_mutation", "ended_client_refuses")
#: every name a run's ``families`` can list, in a fixed order
_SWARM_NAMES: Final = (*(rule_name(c) for c in families()), *_EXTRA_RULES)
_BY_NAME: Final = {rule_name(c): c for c in families()}


@st.composite
def _swarm(draw: st.DrawFn) -> list[str]:
    """A run's families (and checking rules): each one in or out with even odds.

    Even odds give runs of about half the families: enough for most interactions, few enough
    that each run stresses its own mix (swarm testing).  Each choice shrinks to "out", so a
    reported history names just the families it needs.
    """
    return [name for name in _SWARM_NAMES if draw(st.booleans())]


_ENDED_ACTIONS: Final = ("set_metadata", "publish_track", "send_data", "activate", "disconnect")


class RoomStateMachine(RuleBasedStateMachine):
    """Random histories of one room, with roomsim's invariants checked after every step.

    Class attributes to override:

    - ``config``: the room's ``RoomConfig`` (default: LiveKit's defaults, handlers raise);
    - ``identities``: the pool new participants are named from (small, so joins collide);
    - ``families``: the mutation classes the rules may apply; by default every family but
      ``DeleteRoom``, which ends the history (a closed room refuses everything but
      ``Advance``): add it, or set ``None`` for all, to test closing;
    - ``swarm``: whether each run enables only a random subset of those families and of the
      two checking rules (swarm testing, the default); ``False`` enables all in every run;
    - ``weights``: how often ``mutate`` picks a family among the run's, relative to the others
      (default 1): joins and leaves, where apps most often go wrong, weigh more by default.

    The first step, :meth:`populate`, connects the first ``participants`` identities of the
    pool (0 to 3; it shrinks towards 2, an actor and an observer, so that a reported history
    gets its cast in one step rather than in ``connect`` steps) and names the run's families
    (``families=[...]``, which shrinks to just those the history needs).

    Attributes while running: ``room``, the ``Room``; ``clients``, every ``Client`` made so far
    (sessions that ended included), in connect order; ``run_families``, the run's families.
    """

    config: ClassVar[RoomConfig] = RoomConfig(handler_errors="raise")
    identities: ClassVar[tuple[str, ...]] = DEFAULT_IDENTITIES
    families: ClassVar[frozenset[type[M.Mutation]] | None] = frozenset(
        set(M.ALL_MUTATIONS) - {M.DeleteRoom, M.ShutdownServer, M.Interrupt, M.Resume}
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
        self._allowed: tuple[type[M.Mutation], ...] = self._chosen()
        #: the mutation families this run applies (``populate`` picks them when ``swarm`` is on)
        self.run_families: tuple[type[M.Mutation], ...] = self._allowed
        self._extras: frozenset[str] = frozenset(_EXTRA_RULES)
        _RUNNING.set(self)

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
        key = (room.statistics().facts_committed, room.closed, room.now)
        if key != self._scene_key or self._scene is None:
            self._scene_key = key
            self._scene = read_scene(room)
        return self._scene

    def _chosen(self) -> tuple[type[M.Mutation], ...]:
        chosen = families()
        if self.families is not None:
            chosen = tuple(c for c in chosen if c in self.families)
        return chosen

    def _ended_clients(self) -> list[Client]:
        current = {id(c) for c in self.room.clients.values()}
        return [c for c in self.clients if id(c) not in current]

    # -------------------------------------------------------------------------------------------
    # rules

    @initialize(participants=st.sampled_from([2, 3, 1, 0]), families=_swarm())
    def populate(self, participants: int, families: list[str]) -> None:
        """Connect the pool's first ``participants`` identities (plain joins, allowed to set
        their own attributes), and enable the run's families and checking rules: those named in
        ``families`` (all allowed ones when ``swarm`` is off).  With none of them, the run
        joins, or lets time pass, when its own rules can't run."""
        if self.swarm:
            named = {_BY_NAME[n] for n in families if n in _BY_NAME}
            enabled = tuple(c for c in self._allowed if c in named)
            extras = frozenset(n for n in families if n in _EXTRA_RULES)
            self.run_families, self._extras = enabled, extras
        if M.Connect in self._allowed:
            for identity in self.identities[:participants]:
                self.apply(M.Connect(identity=identity, permission=_GRANT))

    @rule(mutation=_mutation_now())
    def mutate(self, mutation: M.Mutation | None) -> None:
        """Apply a valid mutation of one of the run's families (``None``: none could apply)."""
        if mutation is not None:
            self.apply(mutation)

    # the two checking rules have preconditions fixed for the run (its swarm), and do nothing
    # when the state offers nothing to check, so that which rules can run never depends on
    # the state: deleting a step then leaves the choice of the later steps' rules alone

    @precondition(lambda self: "refused_mutation" in self._extras)
    @rule(refusal=_refusal_now())
    def refused_mutation(self, refusal: Refusal | None) -> None:
        """An invalid mutation raises the error it must, and changes nothing (design §1)."""
        if refusal is not None:
            self.refuse(refusal)

    @precondition(lambda self: "ended_client_refuses" in self._extras)
    @rule(which=st.integers(0, 255), action=st.sampled_from(_ENDED_ACTIONS))
    def ended_client_refuses(self, which: int, action: str) -> None:
        """A client whose session ended refuses every action and changes nothing (design §2).

        ``which`` picks the ended client (modulo their number: 0 is the first that ended).
        """
        ended = self._ended_clients()
        if not ended:
            return
        client = ended[which % len(ended)]
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
