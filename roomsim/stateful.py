"""``RoomStateMachine``: a Hypothesis state machine over a room, to subclass (needs ``hypothesis``).

Each run builds a fresh room (:meth:`RoomStateMachine.make_room`), then applies a random
sequence of mutations, one rule per mutation family (``connect``, ``set_attributes``,
``publish_track``, ... ``advance``, ``delete_room``), plus a rule that applies an *invalid*
mutation and checks that it raises and changes nothing, and a rule that checks that a client
whose session ended refuses every action.  After every step the invariant
:meth:`RoomStateMachine.roomsim_invariants` runs :func:`roomsim.testing.check_invariants`.

Subclass it to test your application: connect your app's handlers in :meth:`on_connect` (or
build them in ``__init__``), and add your own ``@rule``\\ s and ``@invariant``\\ s; every rule and
invariant of this class is inherited.  Handlers raise (``handler_errors="raise"``), so an
exception in your handler fails the run with a ``HandlerError`` naming the client and event.

>>> from hypothesis import settings
>>> from hypothesis.stateful import invariant, run_state_machine_as_test
>>> from roomsim.stateful import RoomStateMachine
>>> class CountingBot(RoomStateMachine):
...     def __init__(self):
...         super().__init__()
...         self.joins = 0
...     def on_connect(self, client):
...         def count(event):
...             self.joins += 1
...         client.on("participant_connected", count)
...     @invariant()
...     def bot_saw_no_more_joins_than_sessions(self):
...         assert self.joins <= len(self.room.participants) + len(self.room.departed)
>>> run_state_machine_as_test(CountingBot, settings=settings(max_examples=5, deadline=None))

Use it from pytest as ``TestCountingBot = CountingBot.TestCase``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from hypothesis import strategies as st
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
from roomsim.model import TrackKind, TrackSource
from roomsim.room import Room
from roomsim.strategies import (
    DEFAULT_IDENTITIES,
    Refusal,
    families,
    invalid_mutations,
    mutations,
)
from roomsim.strategies._scene import Scene, read_scene
from roomsim.strategies._valid import possible
from roomsim.testing import check_invariants

__all__ = ["RoomStateMachine", "rule_name"]


def rule_name(cls: type[M.Mutation]) -> str:
    """The name of the rule that applies a family: ``SetAttributes`` -> ``set_attributes``."""
    return "".join("_" + c.lower() if c.isupper() else c for c in cls.__name__).lstrip("_")


class RoomStateMachine(RuleBasedStateMachine):
    """Random histories of one room, with roomsim's invariants checked after every step.

    Class attributes to override:

    - ``config``: the room's ``RoomConfig`` (default: LiveKit's defaults, handlers raise);
    - ``identities``: the pool new participants are named from (small, so joins collide);
    - ``families``: the mutation classes the rules may apply; by default every family but
      ``DeleteRoom``, which ends the history (a closed room refuses everything but
      ``Advance``): add it, or set ``None`` for all, to test closing.

    Attributes while running: ``room``, the ``Room``; ``clients``, every ``Client`` made so far
    (sessions that ended included), in connect order.
    """

    config: ClassVar[RoomConfig] = RoomConfig(handler_errors="raise")
    identities: ClassVar[tuple[str, ...]] = DEFAULT_IDENTITIES
    families: ClassVar[frozenset[type[M.Mutation]] | None] = frozenset(
        set(M.ALL_MUTATIONS) - {M.DeleteRoom}
    )

    def __init__(self) -> None:
        super().__init__()
        self.room: Room = self.make_room()
        self.clients: list[Client] = []
        self._known: set[int] = set()
        self._scene_key: tuple[Any, ...] | None = None
        self._scene: Scene | None = None

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
        # every change appends to the log (nested mutations included)
        key = (len(room.log), room.closed, room.now) if room.keep_log else None
        if key is None or key != self._scene_key or self._scene is None:
            self._scene_key = key
            self._scene = read_scene(room)
        return self._scene

    def _may(self, cls: type[M.Mutation]) -> bool:
        if self.families is not None and cls not in self.families:
            return False
        return possible(self._scene_now(), cls)

    def _chosen(self) -> tuple[type[M.Mutation], ...]:
        chosen = families()
        if self.families is not None:
            chosen = tuple(c for c in chosen if c in self.families)
        return chosen

    def _ended_clients(self) -> list[Client]:
        current = {id(c) for c in self.room.clients.values()}
        return [c for c in self.clients if id(c) not in current]

    # -------------------------------------------------------------------------------------------
    # rules beyond the per-family ones (added below, one per family)

    @initialize(data=st.data())
    def populate(self, data: st.DataObject) -> None:
        """Start with one to three participants (so that no run stays in an empty room)."""
        if self.families is not None and M.Connect not in self.families:
            return
        for _ in range(data.draw(st.integers(1, 3), label="participants at the start")):
            self.apply(
                data.draw(
                    mutations(self.room, families=(M.Connect,), identities=self.identities),
                    label="Connect",
                )
            )

    @rule(data=st.data())
    def refused_mutation(self, data: st.DataObject) -> None:
        """An invalid mutation raises the error it must, and changes nothing (DESIGN §1)."""
        refusal = data.draw(
            invalid_mutations(self.room, families=self._chosen(), identities=self.identities),
            label="refusal",
        )
        self.refuse(refusal)

    @precondition(lambda self: bool(self._ended_clients()))
    @rule(data=st.data())
    def ended_client_refuses(self, data: st.DataObject) -> None:
        """A client whose session ended refuses every action and changes nothing (DESIGN §2)."""
        client = data.draw(st.sampled_from(self._ended_clients()), label="ended client")
        actions: list[Callable[[], object]] = [
            lambda: client.set_metadata("m"),
            lambda: client.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE),
            lambda: client.send_data(b"x"),
            client.activate,
            client.disconnect,
        ]
        act = data.draw(st.sampled_from(actions), label="action")
        before = self.room.snapshot()
        try:
            act()
        except ClientDisconnected:
            pass
        else:
            raise AssertionError(f"ended client {client!r} accepted an action")
        if self.room.snapshot() != before:
            raise AssertionError(f"a refused action of ended client {client!r} changed the room")

    @invariant()
    def roomsim_invariants(self) -> None:
        """roomsim's own invariants hold after every step."""
        self.check()


def _family_rule(cls: type[M.Mutation]) -> Callable[..., None]:
    def apply_family(self: RoomStateMachine, data: st.DataObject) -> None:
        m = data.draw(
            mutations(self.room, families=(cls,), identities=self.identities),
            label=cls.__name__,
        )
        self.apply(m)

    apply_family.__name__ = apply_family.__qualname__ = rule_name(cls)
    apply_family.__doc__ = f"Apply a valid {cls.__name__} (roomsim.mutations.{cls.__name__})."
    ruled = rule(data=st.data())(apply_family)
    return precondition(lambda self: self._may(cls))(ruled)


# one rule per mutation family: a family added to roomsim.strategies gets its rule here
for _cls in families():
    setattr(RoomStateMachine, rule_name(_cls), _family_rule(_cls))
del _cls
