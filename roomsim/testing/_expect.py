"""Expect-style assertions over a client's events: ``expect(client).next(...)`` and friends.

``expect(client)`` takes the client's events with ``drain()`` and matches them one at a time.
The same ``Expectation`` is returned for the same client each time, so
``expect(bob).next(...)`` on one line and ``expect(bob).next(...)`` on the next continue where
the first stopped.  A failure raises ``ExpectationFailed`` (an ``AssertionError``) whose message
shows the events around the point of failure: the last ones matched and the ones still waiting.
"""

from __future__ import annotations

import weakref
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, TypeAlias, TypeVar, final, overload

import attrs

from roomsim import InvalidArgument
from roomsim.events import EVENTS_BY_NAME, Event

if TYPE_CHECKING:
    from roomsim import Client

__all__ = ["EventPattern", "Expectation", "ExpectationFailed", "assert_events", "event", "expect"]

_CONTEXT: Final = 5


class ExpectationFailed(AssertionError):
    """An expectation about a client's events did not hold; the message shows the events."""

    # tracebacks name it where users import it from
    __module__ = "roomsim.testing"


@final
@attrs.frozen(repr=False)
class EventPattern:
    """An event class and some of its fields; matches any event of that class with those values.

    Build one with :func:`event`: ``event("track_published", participant="alice")``.
    """

    __module__ = "roomsim.testing"

    cls: type[Event]
    fields: Mapping[str, Any] = attrs.field(factory=dict, hash=False)

    def matches(self, e: Event) -> bool:
        if type(e) is not self.cls:
            return False
        return all(getattr(e, k) == v for k, v in self.fields.items())

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.fields.items())
        every = set(attrs.fields_dict(self.cls))
        more = ", ..." if set(self.fields) != every else ""
        if not shown:
            more = "..." if every else ""
        return f"{self.cls.__name__}({shown}{more})"


EventSpec: TypeAlias = "Event | EventPattern | type[Event] | str"
_E = TypeVar("_E", bound=Event)


def _event_class(kind: Any) -> type[Event]:
    if isinstance(kind, str):
        cls = EVENTS_BY_NAME.get(kind)
        if cls is None:
            raise InvalidArgument(
                f"unknown event name {kind!r}; known names: {', '.join(sorted(EVENTS_BY_NAME))}"
            )
        return cls
    if isinstance(kind, type) and issubclass(kind, Event) and hasattr(kind, "name"):
        return kind
    raise InvalidArgument(
        f"expected an event class (roomsim.events.TrackMuted) or name ('track_muted'), got {kind!r}"
    )


def event(kind: type[Event] | str, /, **fields: Any) -> EventPattern:
    """A pattern: an event of this class (or SDK name) whose given fields equal these values.

    >>> from roomsim.testing import event
    >>> event("track_muted", participant="alice")
    TrackMuted(participant='alice', ...)
    """
    cls = _event_class(kind)
    known = attrs.fields_dict(cls)
    unknown = [k for k in fields if k not in known]
    if unknown:
        raise InvalidArgument(
            f"{cls.__name__} has no field {unknown[0]!r}; its fields: {', '.join(known) or 'none'}"
        )
    return EventPattern(cls, dict(fields))


def _pattern(spec: Any, fields: Mapping[str, Any] | None = None) -> EventPattern | Event:
    if isinstance(spec, Event):
        if fields:
            raise InvalidArgument("give either an event value or a class with fields, not both")
        return spec
    if isinstance(spec, EventPattern):
        if fields:
            return EventPattern(spec.cls, {**spec.fields, **fields})
        return spec
    return event(spec, **(fields or {}))


def _matches(p: EventPattern | Event, e: Event) -> bool:
    if isinstance(p, EventPattern):
        return p.matches(e)
    return p == e


@final
class Expectation:
    """Assertions over one client's events, consumed in order.  Made by :func:`expect`."""

    __module__ = "roomsim.testing"
    __slots__ = ("_client", "_pending", "_taken", "_who")

    def __init__(self, client: Client) -> None:
        self._client = client
        self._who = f"{client.identity!r} ({client.sid})"
        self._taken: list[Event] = []
        self._pending: deque[Event] = deque()

    def _fill(self) -> None:
        self._pending.extend(self._client.drain())

    def _take(self) -> Event:
        e = self._pending.popleft()
        self._taken.append(e)
        return e

    def _fail(self, message: str, *, at: int | None = 0) -> ExpectationFailed:
        """The message, then the events around the point of failure (``at``: index in pending)."""
        lines = [f"{self._who}: {message}", "its events around there:"]
        before = self._taken[-_CONTEXT:]
        skipped = len(self._taken) - len(before)
        if skipped:
            lines.append(f"       ... {skipped} earlier event(s) matched")
        lines.extend(f"    ok {e!r}" for e in before)
        pending = list(self._pending)
        window = pending[: 2 * _CONTEXT]
        for i, e in enumerate(window):
            mark = " >> " if i == at else "    "
            lines.append(f"{mark}   {e!r}")
        if len(pending) > len(window):
            lines.append(f"       ... {len(pending) - len(window)} more event(s)")
        if not pending:
            lines.append(" >>    (no more events)")
        return ExpectationFailed("\n".join(lines))

    @overload
    def next(self, spec: type[_E] | _E, /, **fields: Any) -> _E: ...
    @overload
    def next(self, spec: EventPattern | str, /, **fields: Any) -> Event: ...
    def next(self, spec: EventSpec, /, **fields: Any) -> Event:
        """The next event is ``spec`` (an event value, or a class or name with these fields).

        Returns the event, typed as its class when ``spec`` is a class:
        ``expect(bob).next(events.TrackPublished, participant="alice").track_sid``.
        """
        __tracebackhide__ = True  # pytest shows the test's line, not these
        want = _pattern(spec, fields)
        self._fill()
        if not self._pending:
            raise self._fail(f"expected the next event to be {want!r}, but there are no more")
        if not _matches(want, self._pending[0]):
            raise self._fail(f"expected the next event to be {want!r}, got {self._pending[0]!r}")
        return self._take()

    @overload
    def skip_to(self, spec: type[_E] | _E, /, **fields: Any) -> _E: ...
    @overload
    def skip_to(self, spec: EventPattern | str, /, **fields: Any) -> Event: ...
    def skip_to(self, spec: EventSpec, /, **fields: Any) -> Event:
        """Skip events until one matches; it is returned (typed as ``spec`` if that is a class)
        and taken.  Fails if none does."""
        __tracebackhide__ = True  # pytest shows the test's line, not these
        want = _pattern(spec, fields)
        self._fill()
        for i, e in enumerate(self._pending):
            if _matches(want, e):
                for _ in range(i):
                    self._take()
                return self._take()
        raise self._fail(f"expected an event {want!r} later on, but none matches", at=None)

    def sequence(self, *specs: EventSpec) -> tuple[Event, ...]:
        """The next events are exactly these, in this order, with nothing between them."""
        __tracebackhide__ = True  # pytest shows the test's line, not these
        wants = [_pattern(s) for s in specs]
        self._fill()
        pending = list(self._pending)
        for i, want in enumerate(wants):
            if i >= len(pending):
                raise self._fail(
                    f"expected {len(wants)} events in sequence; event {i + 1} should be "
                    f"{want!r}, but there are no more",
                    at=i,
                )
            if not _matches(want, pending[i]):
                raise self._fail(
                    f"expected {len(wants)} events in sequence; event {i + 1} should be "
                    f"{want!r}, got {pending[i]!r}",
                    at=i,
                )
        return tuple(self._take() for _ in wants)

    def in_order(self, *specs: EventSpec) -> tuple[Event, ...]:
        """These events come in this order, possibly with others between them (skipped)."""
        __tracebackhide__ = True  # pytest shows the test's line, not these
        wants = [_pattern(s) for s in specs]
        self._fill()
        pending = list(self._pending)
        found: list[int] = []
        pos = 0
        for want in wants:
            while pos < len(pending) and not _matches(want, pending[pos]):
                pos += 1
            if pos == len(pending):
                done = ", ".join(repr(w) for w in wants[: len(found)]) or "none"
                raise self._fail(
                    f"expected these events in order: {', '.join(map(repr, wants))}; found "
                    f"{len(found)} of them ({done}), then no {want!r}",
                    at=found[-1] if found else None,
                )
            found.append(pos)
            pos += 1
        out = []
        for _ in range(pos):
            e = self._take()
            if any(_matches(w, e) for w in wants):
                out.append(e)
        return tuple(out)

    def no_more(self) -> None:
        """There are no events left to match."""
        __tracebackhide__ = True  # pytest shows the test's line, not these
        self._fill()
        if self._pending:
            raise self._fail(
                f"expected no more events, but {len(self._pending)} are left; the first is "
                f"{self._pending[0]!r}"
            )

    @property
    def pending(self) -> tuple[Event, ...]:
        """The events not matched yet (read without taking them)."""
        self._fill()
        return tuple(self._pending)

    def __repr__(self) -> str:
        return f"<Expectation over {self._who}: {len(self._taken)} matched>"


_EXPECTATIONS: weakref.WeakKeyDictionary[Client, Expectation] = weakref.WeakKeyDictionary()


def expect(client: Client) -> Expectation:
    """Assertions over ``client``'s events, in order; the same object for the same client.

    It takes the events with ``client.drain()``: don't mix it with ``drain()`` or
    ``next_event()`` on the same client.

    >>> from roomsim import Room
    >>> from roomsim.testing import expect
    >>> room = Room("standup")
    >>> alice = room.connect("alice")
    >>> bob = room.connect("bob")
    >>> room.update_participant("bob", metadata="m")
    ParticipantSnapshot(...)
    >>> expect(alice).next("participant_connected", participant="bob")
    ParticipantConnected(participant='bob')
    >>> expect(alice).skip_to("participant_metadata_changed").new_metadata
    'm'
    >>> expect(alice).no_more()
    """
    found = _EXPECTATIONS.get(client)
    if found is None:
        found = _EXPECTATIONS[client] = Expectation(client)
    return found


def assert_events(client: Client, *specs: EventSpec) -> None:
    """The client's next events are exactly these, and then there are no more."""
    __tracebackhide__ = True  # pytest shows the test's line, not these
    x = expect(client)
    x.sequence(*specs)
    x.no_more()
