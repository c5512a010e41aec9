"""The fused update verbs (``roomsim._hot``) and the fused join and publish (``roomsim._join``)
against the general path: two twin rooms get the same random history, one with the fused verbs
and one with them switched off (``HOT`` emptied and ``_join.FUSED`` False while it runs), and
every observable result must be the same: what each verb returns or raises
(type and message), the events every client receives (lazily and through handlers, including
handlers that raise and handlers that call verbs), the participants, the mutation log with its
frozen copies, the webhooks, and the invariants."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from roomsim import (
    Client,
    InterruptKind,
    ParticipantKind,
    Permission,
    Room,
    RoomConfig,
    RoomsimError,
    TrackKind,
    TrackSource,
    _join,
)
from roomsim import mutations as M
from roomsim.events import ALL_EVENTS, Event
from roomsim.testing import check_invariants
from tests.property._actions import mutation
from tests.unit.test_hot import general_path

IDENTITIES = ("ann", "bo", "cy", "di")
#: mostly what the fused verbs take (ASCII, within the limits), sometimes what they leave alone
UPDATES = st.dictionaries(
    st.sampled_from(("k", "m", "n", "k", "m", "é", "long-key")),
    st.sampled_from(("", "v", "w", "", "v", "w", "ü", "v" * 12)),
    max_size=3,
)
TEXTS = ("", "a", "b", "a", "b", "c", "x" * 20, "é", 7)
CONFIG = RoomConfig(max_attributes_size=24, max_metadata_size=12, max_name_length=12)
GRANT = Permission(can_update_metadata=True)
SPEAKERS_AT_ONCE = RoomConfig(
    max_attributes_size=24, max_metadata_size=12, max_name_length=12, speaker_interval=0.0
)


@contextmanager
def general_join() -> Iterator[None]:
    """``Room.connect`` and ``Client.publish_track`` through the general path while this runs."""
    saved = _join.FUSED
    _join.FUSED = False
    try:
        yield
    finally:
        _join.FUSED = saved


class Twin:
    """One of the two rooms, with what its clients' handlers saw."""

    def __init__(self, fused: bool, config: RoomConfig) -> None:
        self.fused = fused
        self.room = Room("r", config=config)
        self.seen: dict[str, list[Any]] = {}

    def run(self, f: Callable[[Room], Any]) -> tuple[str, str]:
        """Apply ``f`` to the room; its outcome as (exception type or "ok", message or repr)."""
        try:
            if self.fused:
                result = f(self.room)
            else:
                with general_path(), general_join():
                    result = f(self.room)
        except RoomsimError as e:
            return type(e).__name__, str(e)
        return "ok", repr(result) if not isinstance(result, Client) else result.sid

    def watch(self, c: Client, mode: str) -> None:
        """Handlers on ``c``: recording, raising, or calling a verb (its own metadata)."""
        log = self.seen.setdefault(c.sid, [])

        def record(e: Event) -> None:
            log.append(e)

        def boom(e: Event) -> None:
            log.append(("boom", e.name))
            raise RuntimeError(f"handler saw {e.name}")

        def nested(e: Event) -> None:
            log.append(("nested", e.name))
            c.set_metadata(f"after-{len(log)}")

        for cls in ALL_EVENTS:
            c.on(cls.name, record)
        if mode == "raise":
            c.on("participant_attributes_changed", boom)
        elif mode == "nested":
            c.on("participant_attributes_changed", nested)
            c.on("participant_name_changed", nested)

    def state(self) -> Any:
        room = self.room
        streams = [(c.identity, c.sid, c.drain()) for c in room.all_clients]
        log = [(type(m).__name__, repr(m), type(getattr(m, "attributes", None))) for m in room.log]
        return (dict(room.participants), streams, log, list(room.webhooks), self.seen, room.now)


def _verb(data: st.DataObject, drawn_for: Room) -> Callable[[Room], Any]:
    """A fused verb (mostly) or any other mutation, drawn once and applied to both twins."""
    who = data.draw(st.sampled_from(IDENTITIES))
    kind = data.draw(
        st.sampled_from(
            ("attrs", "attrs", "metadata", "name", "mute", "levels", "publish", "other")
        )
    )
    if kind == "levels":
        levels = data.draw(
            st.dictionaries(
                st.sampled_from((*IDENTITIES, "nobody")),
                st.sampled_from((0.0, 0.01, 0.5, 1, 1.5, True)),
                max_size=3,
            )
        )
        return lambda room: room.apply(M.SetAudioLevels(levels=levels))
    tracks = [
        (p, sid) for p, snap in drawn_for.participants.items() for sid in snap.track_publications
    ]
    if kind == "mute" and tracks:
        owner, sid = data.draw(st.sampled_from(tracks))
        muted = data.draw(st.booleans())
        return lambda room: room.apply(M.SetTrackMuted(identity=owner, track_sid=sid, muted=muted))
    if kind == "publish":
        source = data.draw(st.sampled_from((TrackSource.MICROPHONE, TrackSource.CAMERA)))
        track = TrackKind.AUDIO if source is TrackSource.MICROPHONE else TrackKind.VIDEO
        muted = data.draw(st.booleans())
        name = data.draw(st.sampled_from(("", "cam", "é", "", "cam")))
        by_client = data.draw(st.booleans())  # Client.publish_track: fused when it can be

        def publish(room: Room) -> Any:
            c = room.clients.get(who)
            if by_client and c is not None:
                return c.publish_track(track, source, name=name, muted=muted)
            m = M.PublishTrack(identity=who, kind=track, source=source, name=name, muted=muted)
            return room.apply(m)

        return publish
    if kind == "attrs":
        update = data.draw(UPDATES | st.sampled_from([{"k": 1}, ["k"], {1: "v"}]))
        return lambda room: room.apply(M.SetAttributes(identity=who, attributes=update))  # type: ignore[arg-type]
    if kind == "metadata":
        text = data.draw(st.sampled_from(TEXTS))
        return lambda room: room.apply(M.SetMetadata(identity=who, metadata=text))  # type: ignore[arg-type]
    if kind == "name":
        text = data.draw(st.sampled_from(TEXTS))
        return lambda room: room.apply(M.SetName(identity=who, name=text))  # type: ignore[arg-type]
    m = mutation(data, drawn_for)
    return lambda room: room.apply(copy.copy(m))


def _connect(data: st.DataObject) -> Callable[[Room], Any]:
    """A join: mostly what the fused join takes, sometimes what it leaves to the general path
    (non-ASCII or ill-typed text, attributes) or what the applier refuses (over a limit)."""
    who = data.draw(st.sampled_from(IDENTITIES))
    perm = Permission(
        can_update_metadata=data.draw(st.booleans()),
        hidden=data.draw(st.booleans()),
        can_publish=data.draw(st.booleans()),
    )
    options: dict[str, Any] = {
        "permission": perm,
        "sdk": data.draw(st.sampled_from(("python", "js"))),
        "keep_events": data.draw(st.booleans()),
        "active": data.draw(st.sampled_from((True, True, False))),
        "auto_subscribe": data.draw(st.sampled_from((None, None, True, False))),
        "kind": data.draw(
            st.sampled_from((ParticipantKind.STANDARD,) * 3 + (ParticipantKind.AGENT,))
        ),
        "name": data.draw(st.sampled_from(TEXTS)),
        "client_protocol": data.draw(st.sampled_from((2, 2, 0))),
        "attributes": data.draw(st.sampled_from((None, None, None, {"k": "v"}))),
    }
    return lambda room: room.connect(who, **options)


def _leave(who: str) -> Callable[[Room], Any]:
    def leave(room: Room) -> None:
        c = room.clients.get(who)
        if c is not None:
            c.disconnect()

    return leave


def _fault(data: st.DataObject) -> Callable[[Room], Any]:
    """A cut (signal or network), a resume, or time passing (resumes, give-ups)."""
    who = data.draw(st.sampled_from(IDENTITIES))
    step = data.draw(st.sampled_from(("interrupt", "network", "resume", "advance")))
    if step == "interrupt":
        return lambda room: room.interrupt(who)
    if step == "network":
        return lambda room: room.interrupt(who, kind=InterruptKind.NETWORK)
    if step == "resume":
        return lambda room: room.resume(who)
    dt = data.draw(st.sampled_from((0.5, 5.0, 30.0)))
    return lambda room: room.advance(dt)


@given(st.data())
def test_fused_verbs_and_the_general_path_give_the_same_history(data: st.DataObject) -> None:
    config = data.draw(st.sampled_from((CONFIG, SPEAKERS_AT_ONCE)))
    fused, general = Twin(True, config), Twin(False, config)
    twins = (fused, general)
    for who in IDENTITIES[:3]:
        for t in twins:
            t.run(partial(Room.connect, identity=who, permission=GRANT))
    for _ in range(data.draw(st.integers(1, 40))):
        action = data.draw(
            st.sampled_from(("verb", "verb", "verb", "connect", "watch", "fault", "read", "leave"))
        )
        if action == "connect":
            f = _connect(data)
            outcomes = [t.run(f) for t in twins]
        elif action == "watch":
            who = data.draw(st.sampled_from(IDENTITIES))
            mode = data.draw(st.sampled_from(("record", "raise", "nested")))
            for t in twins:
                c = t.room.clients.get(who)
                if c is not None:
                    t.watch(c, mode)
            continue
        elif action == "fault":
            f = _fault(data)
            outcomes = [t.run(f) for t in twins]
        elif action == "read":
            who = data.draw(st.sampled_from(IDENTITIES))
            reads = [
                c.drain() if (c := t.room.clients.get(who)) is not None else None for t in twins
            ]
            assert reads[0] == reads[1]
            continue
        elif action == "leave":
            f = _leave(data.draw(st.sampled_from(IDENTITIES)))
            outcomes = [t.run(f) for t in twins]
        else:
            f = _verb(data, fused.room)
            outcomes = [t.run(f) for t in twins]
        assert outcomes[0] == outcomes[1]
        assert fused.seen == general.seen  # handlers ran at the same points
        check_invariants(fused.room)
    assert fused.state() == general.state()
