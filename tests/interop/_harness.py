"""Bridge every client of a room and check each SDK Room against its client's snapshot."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from livekit import rtc

from roomsim import Client, ParticipantSnapshot, TrackKind
from roomsim import events as E
from roomsim.livekit import FED_EVENTS, Bridge, bridge_of, rtc_room, to_rtc


class Bridged:
    """One bridged client and what its SDK Room emitted that the Room does not keep."""

    def __init__(self, client: Client) -> None:
        self.client = client
        #: the local info the SDK got at connect: livekit.rtc keeps it after a full reconnect
        #: (the Rust core updates its own copy without a participants_updated event, faults §3.3)
        self.first_local = client.local_participant
        self.sdk = rtc_room(client)
        self.bridge: Bridge = bridge_of(self.sdk)
        self.sdk_speakers: list[str] | None = None
        self.sdk_disconnect_reason: int | None = None
        self.roomsim_speakers: tuple[str, ...] | None = None
        #: names of the events fed to the SDK Room, and of those it emitted
        self.fed: list[str] = []
        self.emitted: list[str] = []
        for cls in FED_EVENTS:
            client.on(cls.name, self._on_fed)
            self.sdk.on(cls.name, self._emitter(cls.name))  # type: ignore[arg-type]
        self.sdk.on("active_speakers_changed", self._on_sdk_speakers)
        self.sdk.on("disconnected", self._on_sdk_disconnected)
        client.on("active_speakers_changed", self._on_speakers)

    def _on_fed(self, e: E.Event) -> None:
        self.fed.append(e.name)

    def _emitter(self, name: str) -> Callable[..., None]:
        def on_emit(*args: Any) -> None:
            self.emitted.append(name)

        return on_emit

    def _on_sdk_speakers(self, speakers: list[rtc.Participant]) -> None:
        self.sdk_speakers = [p.identity for p in speakers]

    def _on_sdk_disconnected(self, reason: int) -> None:
        self.sdk_disconnect_reason = reason

    def _on_speakers(self, e: E.ActiveSpeakersChanged) -> None:
        self.roomsim_speakers = e.speakers


class Harness:
    """Bridges clients as they appear; ``check()`` compares every SDK Room with its client."""

    def __init__(self) -> None:
        self.bridged: list[Bridged] = []
        self._ids: set[int] = set()

    def attach(self, client: Client) -> Bridged:
        b = Bridged(client)
        self.bridged.append(b)
        self._ids.add(id(client))
        return b

    def has(self, client: Client) -> bool:
        return id(client) in self._ids

    def check(self, records: Sequence[logging.LogRecord] = ()) -> None:
        for b in self.bridged:
            assert b.bridge.errors == [], (b.client, b.bridge.errors)
            # the SDK accepted every event: each one fed was emitted, in order
            assert b.emitted == b.fed, b.client
            assert_consistent(b)
        errors = [r for r in records if r.name.startswith("livekit") and r.levelno >= logging.ERROR]
        assert errors == [], [r.getMessage() for r in errors]


def _pubs(p: rtc.Participant) -> dict[str, tuple[Any, ...]]:
    out: dict[str, tuple[Any, ...]] = {}
    for sid, pub in p.track_publications.items():
        row: tuple[Any, ...] = (pub.sid, pub.name, pub.kind, pub.source, pub.muted)
        if isinstance(pub, rtc.RemoteTrackPublication):
            track = pub.track
            assert (track is not None) == pub.subscribed, (p.identity, sid)
            if track is not None:
                assert track.sid == sid and track.kind == pub.kind
            row += (pub.subscribed,)
        else:
            assert pub.track is not None and pub.track.sid == sid
        out[sid] = row
    return out


def _snap_pubs(p: ParticipantSnapshot, *, remote: bool) -> dict[str, tuple[Any, ...]]:
    out: dict[str, tuple[Any, ...]] = {}
    for sid, pub in p.track_publications.items():
        row: tuple[Any, ...] = (sid, pub.name, to_rtc(pub.kind), to_rtc(pub.source), pub.muted)
        if remote:
            row += (bool(pub.subscribed),)
        out[sid] = row
    return out


def _participant(p: rtc.Participant) -> dict[str, Any]:
    return {
        "sid": p.sid,
        "identity": p.identity,
        "name": p.name,
        "metadata": p.metadata,
        "attributes": p.attributes,
        "kind": p.kind,
        "kind_details": p.kind_details,
        "permission": p.permissions,
        "joined_at_ms": p._info.joined_at,
        "connection_quality": int(p.connection_quality),
        "publications": _pubs(p),
    }


def _snapshot(p: ParticipantSnapshot, *, remote: bool) -> dict[str, Any]:
    return {
        "sid": p.sid,
        "identity": p.identity,
        "name": p.name,
        "metadata": p.metadata,
        "attributes": dict(p.attributes),
        "kind": to_rtc(p.kind),
        "kind_details": [to_rtc(d) for d in p.kind_details],
        "permission": to_rtc(p.permission),
        "joined_at_ms": round(p.joined_at * 1000),
        "connection_quality": to_rtc(p.connection_quality),
        "publications": _snap_pubs(p, remote=remote),
    }


def assert_consistent(b: Bridged) -> None:
    """The SDK Room's state equals the client's roomsim snapshot (what the SDK can hold)."""
    client, sdk = b.client, b.sdk
    assert sdk.connection_state == to_rtc(client.connection_state)
    assert sdk.metadata == client.room_metadata
    if client.disconnect_reason is not None:
        # the SDK keeps its last view after a disconnect; roomsim clears it: compare the end
        assert b.sdk_disconnect_reason == to_rtc(client.disconnect_reason)
        assert not sdk.isconnected()
        return
    assert sdk.isconnected()
    local, want = (
        _participant(sdk.local_participant),
        _snapshot(client.local_participant, remote=False),
    )
    if local["sid"] != want["sid"]:
        # a full reconnect: the SDK still shows the first session's sid and join time
        stale = _snapshot(b.first_local, remote=False)
        assert (local["sid"], local["joined_at_ms"]) == (stale["sid"], stale["joined_at_ms"])
        want = {**want, "sid": stale["sid"], "joined_at_ms": stale["joined_at_ms"]}
    assert local == want
    remotes = client.remote_participants
    assert list(sdk.remote_participants) == list(remotes)
    for identity, rp in sdk.remote_participants.items():
        snap = remotes[identity]
        assert _participant(rp) == _snapshot(snap, remote=True), identity
        assert rp.state == to_rtc(snap.state), identity
        assert rp.disconnect_reason is None
    assert b.sdk_speakers == (None if b.roomsim_speakers is None else list(b.roomsim_speakers))
    # the SDK has no track of its own to check for TrackKind beyond audio/video
    for rp in sdk.remote_participants.values():
        for pub in rp.track_publications.values():
            assert pub.kind in (to_rtc(TrackKind.AUDIO), to_rtc(TrackKind.VIDEO))
