"""Replaying a scenario into a room, checking its recorded events, and dumping a room
(with the events its clients would receive, found by a replay)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from typing import Any, final

import attrs

from roomsim._format import format_value
from roomsim.client import Client
from roomsim.clock import ManualClock
from roomsim.errors import IllegalState, InternalError, InvalidArgument, InvalidType, RoomsimError
from roomsim.events import Event
from roomsim.model import ConnectionState
from roomsim.mutations import MoveParticipant
from roomsim.room import Room
from roomsim.scenario._codec import (
    PathOrFile,
    _Bad,
)
from roomsim.scenario._file import (
    Delivery,
    Scenario,
    _lines_of,
    _start_of,
    _writer,
    load,
)

# --------------------------------------------------------------------------------------------
# replaying


def dump(room: Room, target: PathOrFile, *, events_of: Iterable[str] = ()) -> None:
    """Write ``room``'s history to ``target`` (a path or a text file) as a scenario.

    ``events_of`` names clients (by identity) whose events are written too, each after the
    mutation that caused it, so that ``check``/``roomsim run`` can compare a replay with them.
    A room made with ``keep_log=False`` has no history to write (``IllegalState``).
    """
    if not isinstance(room, Room):
        raise InvalidType(f"dump() takes a Room, got {room!r} (type {type(room).__name__})")
    if isinstance(events_of, str) or not isinstance(events_of, Iterable):
        raise InvalidType(
            f"dump(events_of=...) takes identities, e.g. ('alice',), got {events_of!r} "
            f"(type {type(events_of).__name__})"
        )
    watched = tuple(dict.fromkeys(events_of))
    for identity in watched:
        if not isinstance(identity, str):
            raise InvalidType(
                f"dump(events_of=...) holds {identity!r} (type {type(identity).__name__}); "
                "pass identities (str)"
            )
    if not room.keep_log:
        raise IllegalState(
            f"can't dump room {room.name!r}: it was made with keep_log=False and keeps no "
            "mutation log; make it with Room(..., keep_log=True) (the default) to dump it"
        )
    if any(type(m) is MoveParticipant for m in room.log):
        raise IllegalState(
            f"can't dump room {room.name!r}: its log holds a move (MoveParticipant), which "
            "involves two rooms, and a scenario file holds one room (faults §10); dump a room "
            "no participant was moved out of or into"
        )
    sc = Scenario(
        room=room.name,
        config=room.config,
        start=_start_of(room),
        mutations=tuple(room.log),
    )
    if watched:
        sc = _with_events(room, sc, watched)
    try:
        text = "".join(_lines_of(sc))
    except _Bad as e:
        raise InvalidArgument(f"can't dump room {room.name!r}: {e}") from None
    with _writer(target) as f:
        f.write(text)


#: the states of a client that is reconnecting
_AWAY = (ConnectionState.RECONNECTING, ConnectionState.SIGNAL_RECONNECTING)


def _with_events(room: Room, sc: Scenario, watched: tuple[str, ...]) -> Scenario:
    """``sc`` with the events of ``watched``, each attributed to the mutation that caused it.

    The attribution comes from a replay; the replayed streams must equal the room's own.
    """
    own: dict[str, list[tuple[int, Sequence[Event]]]] = {}  # per session: dropped, kept
    unkept: set[str] = set()  # identities with a session that keeps no history
    for c in room.all_clients:
        try:
            own.setdefault(c.identity, []).append((c.events_dropped, tuple(c.events)))
        except IllegalState:  # connected with keep_events=False
            own.setdefault(c.identity, [])
            unkept.add(c.identity)
    unknown = [i for i in watched if i not in own]
    if unknown:
        raise InvalidArgument(
            f"dump(events_of=...) names {', '.join(map(repr, unknown))}, who never connected to "
            f"room {room.name!r}; clients: {', '.join(map(repr, own)) or 'none'}"
        )
    sc = attrs.evolve(sc, events_of=watched)
    try:
        pb = play(sc)
    except InvalidArgument as e:
        raise InternalError(
            f"room {room.name!r} can't be replayed from its own log ({e}); this is a roomsim "
            "bug: please report it"
        ) from e
    expected = pb.watched()
    for identity in watched:
        if identity in unkept:
            continue
        replayed = [d.event for d in expected if d.recipient == identity]
        if not _same_stream(replayed, own[identity]):
            raise InternalError(
                f"replaying room {room.name!r} from its log does not give {identity!r} the "
                "events it received; this is a roomsim bug: please report it"
            )
    return attrs.evolve(sc, expected=expected)


def _same_stream(replayed: Sequence[Event], sessions: list[tuple[int, Sequence[Event]]]) -> bool:
    """Whether ``replayed`` is the sessions' events in order, each session's first
    ``dropped`` (by ``RoomConfig.keep_events``) unseen."""
    at = 0
    for dropped, kept in sessions:
        at += dropped
        if list(replayed[at : at + len(kept)]) != list(kept):
            return False
        at += len(kept)
    return at == len(replayed)


def _scenario(source: Scenario | PathOrFile) -> Scenario:
    return source if isinstance(source, Scenario) else load(source)


def _new_room(sc: Scenario) -> Room:
    try:
        return Room(sc.room, config=sc.config, clock=ManualClock(sc.start))
    except RoomsimError as e:
        raise InvalidArgument(f"line {sc.header_line}: the room can't be made: {e}") from None


def _apply(room: Room, sc: Scenario, step: int) -> Any:
    m = sc.mutations[step]
    try:
        return room.apply(m)
    except RoomsimError as e:
        raise InvalidArgument(
            f"line {sc.line(step)}: {type(m).__name__} is refused on replay "
            f"({type(e).__name__}: {e}); a recorded mutation never fails, so the file was "
            "edited or belongs to another roomsim version"
        ) from None


def replay(source: Scenario | PathOrFile) -> Room:
    """A new room with the scenario's history applied; its clients are in ``room.clients``.

    No handlers run: the mutations handlers made are in the file.  The room's snapshot equals
    the recorded room's, except for what the recording test read (``next_event()``,
    ``drain()``) and the handlers it registered.
    """
    sc = _scenario(source)
    room = _new_room(sc)
    for step in range(len(sc.mutations)):
        _apply(room, sc, step)
    return room


class EventsMismatch(AssertionError):
    """The replayed events differ from the ones the scenario recorded; ``diff`` shows how."""

    def __init__(self, diff: Sequence[str]) -> None:
        self.diff: tuple[str, ...] = tuple(diff)
        super().__init__("the replayed events differ from the recorded ones:\n" + "\n".join(diff))


@final
@attrs.frozen(kw_only=True, eq=False)
class Playback:
    """A replay watched client by client: every event, with the mutation that caused it."""

    scenario: Scenario
    #: the room after the last mutation; its clients have been read
    room: Room
    #: every event every client received, by step, then by client in connection order
    deliveries: tuple[Delivery, ...]
    #: the room's virtual time after each step
    times: tuple[float, ...]

    def watched(self) -> tuple[Delivery, ...]:
        """The deliveries to the scenario's ``events_of``, ordered as ``Scenario.expected``."""
        order = {identity: i for i, identity in enumerate(self.scenario.events_of)}
        got = [d for d in self.deliveries if d.recipient in order]
        got.sort(key=lambda d: (d.step, order[d.recipient]))
        return tuple(got)

    def differences(self) -> tuple[str, ...]:
        """A unified diff of the recorded events against the replayed ones; () if they match."""
        sc = self.scenario
        got = self.watched()
        if got == sc.expected:
            return ()
        return tuple(
            difflib.unified_diff(
                [self._format(d) for d in sc.expected],
                [self._format(d) for d in got],
                "recorded",
                "replayed",
                lineterm="",
            )
        )

    def _format(self, d: Delivery) -> str:
        e = d.event
        fields = " ".join(
            f"{a.name}={format_value(getattr(e, a.name))}" for a in attrs.fields(type(e))
        )
        head = f"line {self.scenario.line(d.step)} {type(self.scenario.mutations[d.step]).__name__}"
        return f"{head}: {d.recipient} {e.name} {fields}".rstrip()


class _Watcher:
    """Reads each client's new events after every step, in connection order."""

    def __init__(self, room: Room, watch: Iterable[str] | None = None) -> None:
        self._room = room
        #: the identities to read (None: every client); reading only these keeps a replay
        #: linear in the file's size however many others join
        self._watch = None if watch is None else tuple(dict.fromkeys(watch))
        self._clients: list[Client] = []
        self._known: set[int] = set()
        self._seen: dict[int, int] = {}
        self._kept: dict[int, bool] = {}

    def _add(self, c: Client) -> None:
        if id(c) not in self._known:
            self._known.add(id(c))
            self._clients.append(c)
            self._seen[id(c)] = 0
            try:
                c.events  # noqa: B018 (a client with keep_events=False refuses this)
                self._kept[id(c)] = True
            except IllegalState:
                self._kept[id(c)] = False

    def collect(self, step: int, result: Any, out: list[Delivery]) -> None:
        clients = self._room.clients
        if self._watch is None:
            if isinstance(result, Client):
                self._add(result)
            for c in clients.values():
                self._add(c)
        else:
            if isinstance(result, Client) and result.identity in self._watch:
                self._add(result)
            for identity in self._watch:
                found = clients.get(identity)
                if found is not None:
                    self._add(found)
        current = self._room.clients
        keep: list[Client] = []
        for c in self._clients:
            key = id(c)
            if self._kept[key]:
                # positions count every event received: RoomConfig.keep_events drops the oldest
                evs, dropped = c.events, c.events_dropped
                new: Sequence[Event] = evs[max(0, self._seen[key] - dropped) :]
                self._seen[key] = dropped + len(evs)
            else:
                new = c.drain()
            out.extend(Delivery(step=step, recipient=c.identity, event=e) for e in new)
            # a client still reconnecting after the server closed its session may yet give
            # up or join again (faults §4.3): it is read until it does
            if current.get(c.identity) is c or c.connection_state in _AWAY:
                keep.append(c)
            else:  # the session ended and its last events are read: nothing more will come
                self._known.discard(key)
        self._clients = keep


def play(
    source: Scenario | PathOrFile,
    *,
    on_event: Callable[[float, str, Event], None] | None = None,
    watch: Iterable[str] | None = None,
) -> Playback:
    """Replay a scenario reading every client (or those named in ``watch``) after each
    mutation.

    ``on_event(time, recipient, event)`` is called for each event as the replay goes.  A
    mutation the room refuses stops the replay with ``InvalidArgument`` naming its line.
    """
    sc = _scenario(source)
    room = _new_room(sc)
    watcher = _Watcher(room, watch)
    deliveries: list[Delivery] = []
    times: list[float] = []
    for step in range(len(sc.mutations)):
        result = _apply(room, sc, step)
        start = len(deliveries)
        watcher.collect(step, result, deliveries)
        times.append(room.now)
        if on_event is not None:
            for d in deliveries[start:]:
                on_event(room.now, d.recipient, d.event)
    return Playback(scenario=sc, room=room, deliveries=tuple(deliveries), times=tuple(times))


def check(source: Scenario | PathOrFile) -> Playback:
    """Replay a scenario and check the events it records; ``EventsMismatch`` if they differ."""
    sc = _scenario(source)
    pb = play(sc, watch=sc.events_of)
    diff = pb.differences()
    if diff:
        raise EventsMismatch(diff)
    return pb
