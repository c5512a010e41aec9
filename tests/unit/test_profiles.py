"""SDK profiles: ``Room.connect(sdk=...)``, kept by snapshots, forks and scenario files.

Spec: docs/design.md "python vs js" (each client is one SDK), client §1 (the JS-only events),
client §6 (speaker lists), client §7 (quality), client §16.8 (data topic).
"""

from __future__ import annotations

import io
import json

import pytest

from roomsim import InvalidArgument, Room, StreamState, TrackKind, TrackSource, scenario
from roomsim import events as ev
from roomsim._profiles import PROFILES, SDKS

AUDIO, VIDEO = TrackKind.AUDIO, TrackKind.VIDEO
MIC, CAM = TrackSource.MICROPHONE, TrackSource.CAMERA


def test_the_default_profile_is_python_and_js_is_on_request() -> None:
    room = Room("r")
    assert room.connect("alice").sdk == "python"
    assert room.connect("bob", sdk="js").sdk == "js"
    assert SDKS == ("python", "js") and set(PROFILES) == set(SDKS)


@pytest.mark.parametrize("bad", ["go", "Python", "", None, 1, ("python",)])
def test_any_other_sdk_is_refused_and_changes_nothing(bad: object) -> None:
    room = Room("r")
    room.connect("alice")
    before = room.snapshot()
    with pytest.raises(InvalidArgument, match=r"connect\(sdk=...\) must be one of 'python', 'js'"):
        room.connect("bob", sdk=bad)  # type: ignore[arg-type]
    assert room.snapshot() == before
    assert "bob" not in room.clients


def test_every_event_declares_the_sdks_that_have_it() -> None:
    js_only = {cls.name for cls in ev.ALL_EVENTS if cls.sdks == ("js",)}
    assert js_only == {
        "is_speaking_changed",
        "track_stream_state_changed",
        "track_subscription_permission_changed",
        "signal_reconnecting",  # faults §2.3
    }
    # JS has no public event for a refreshed token (faults §7)
    assert {cls.name for cls in ev.ALL_EVENTS if cls.sdks == ("python",)} == {
        "token_refreshed",
        "local_track_republished",  # faults §3.3: JS unpublishes and publishes again
        "room_updated",  # faults §5: JS has no RoomInfo event
    }
    assert all(set(cls.sdks) <= set(SDKS) and cls.sdks for cls in ev.ALL_EVENTS)


def _busy_room() -> Room:
    """A room that produces every JS-only event for a JS client."""
    room = Room("r")
    alice = room.connect("alice")
    room.connect("py")
    room.connect("js", sdk="js")
    alice.publish_track(AUDIO, MIC)
    cam = alice.publish_track(VIDEO, CAM)
    room.set_audio_levels({"alice": 0.5})
    room.advance(1.0)
    for who in ("py", "js"):
        room.set_stream_state(who, cam, StreamState.PAUSED)
    alice.set_track_subscription_permissions(all_participants=False)
    alice.send_data(b"x")
    return room


def test_a_python_client_never_receives_a_js_only_event() -> None:
    room = _busy_room()
    py, js = room.clients["py"], room.clients["js"]
    assert all("python" in e.sdks for e in py.events)
    names = {e.name for e in js.events}
    assert {
        "is_speaking_changed",
        "track_stream_state_changed",
        "track_subscription_permission_changed",
    } <= names
    # client §16.8: Python reads an unset topic as "", JS as undefined
    assert [e.topic for e in py.events if isinstance(e, ev.DataReceived)] == [""]
    assert [e.topic for e in js.events if isinstance(e, ev.DataReceived)] == [None]


def test_snapshots_and_forks_keep_each_clients_profile() -> None:
    room = _busy_room()
    snap = room.snapshot()
    assert {c.identity: c.sdk for c in snap.clients} == {
        "alice": "python",
        "py": "python",
        "js": "js",
    }
    again = Room.from_snapshot(snap)
    assert {i: c.sdk for i, c in again.clients.items()} == {
        "alice": "python",
        "py": "python",
        "js": "js",
    }
    assert again.snapshot() == snap
    # the restored js client keeps emitting JS events
    again.set_audio_levels({"alice": 0.0})
    again.advance(1.0)
    assert any(e.name == "is_speaking_changed" for e in again.clients["js"].drain())
    assert not any(e.name == "is_speaking_changed" for e in again.clients["py"].drain())


def test_scenario_files_keep_the_profile_and_old_files_load_as_python() -> None:
    room = _busy_room()
    buf = io.StringIO()
    scenario.dump(room, buf, events_of=["js", "py"])
    text = buf.getvalue()
    assert '"sdk": "js"' in text and '"sdk": "python"' not in text  # defaults are left out
    again = scenario.replay(io.StringIO(text))
    assert {i: c.sdk for i, c in again.clients.items()} == {
        "alice": "python",
        "py": "python",
        "js": "js",
    }
    assert again.snapshot() == room.snapshot()
    # a file written before profiles existed has no "sdk": its clients are python
    old = "\n".join(
        json.dumps({k: v for k, v in json.loads(line).items() if k != "sdk"})
        for line in text.splitlines()
    )
    assert '"sdk"' not in old
    assert all(c.sdk == "python" for c in scenario.replay(io.StringIO(old)).clients.values())
