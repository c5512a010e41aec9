"""``roomsim.timeline``: the facts a timeline draws agree with the room's own history, and the
figure has the lanes and marks of those facts."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from roomsim import (
    ConnectionQuality,
    InvalidArgument,
    Permission,
    Room,
    TrackKind,
    TrackSource,
)
from roomsim import mutations as M
from roomsim._demo import run as demo
from roomsim.events import ConnectionQualityChanged, Event
from roomsim.timeline import Moment, TimelineData, save, timeline, timeline_data


def _moments(room: Room) -> list[Moment]:
    """Each mutation's moment computed from the log alone: the clock before it runs."""
    t, out = room.created_at, []
    for i, m in enumerate(room.log):
        out.append(Moment(t, i))
        if isinstance(m, M.Advance):
            t += m.dt
    return out


def _demo_room() -> Room:
    return demo(lambda line: None)


def test_lanes_and_sessions_are_the_servers() -> None:
    room = _demo_room()
    data = timeline_data(room)
    connects = [m.identity for m in room.log if isinstance(m, M.Connect)]
    assert [lane.identity for lane in data.lanes] == list(dict.fromkeys(connects))
    everyone = [*room.departed, *room.participants.values()]
    sessions = Counter(p.identity for p in everyone)
    for lane in data.lanes:
        assert len(lane.sessions) == sessions[lane.identity]
        sids = {p.sid for p in everyone if p.identity == lane.identity}
        assert {s.sid for s in lane.sessions} == sids
        for s in lane.sessions:
            snap = next(p for p in everyone if p.sid == s.sid)
            assert s.joined.time == snap.joined_at
            left = [w for w in room.webhooks if w.participant_sid == s.sid]
            assert s.left is not None and s.left.time == left[-1].created_at
            assert s.active is not None and s.joined <= s.active <= s.left
    hidden = {lane.identity for lane in data.lanes if lane.hidden}
    assert hidden == {p.identity for p in everyone if p.permission.hidden}


def test_marks_tracks_mutes_and_data_are_at_the_mutations_that_made_them() -> None:
    room = _demo_room()
    data = timeline_data(room)
    lanes = {lane.identity: lane for lane in data.lanes}
    at = _moments(room)
    expected: Counter[tuple[str, str, Moment]] = Counter()
    for i, m in enumerate(room.log):
        if isinstance(m, M.SetAttributes):
            expected["attributes", m.identity, at[i]] += 1
        elif isinstance(m, M.SetMetadata):
            expected["metadata", m.identity, at[i]] += 1
        elif isinstance(m, M.UpdateParticipant) and m.name is not None:
            expected["name", m.identity, at[i]] += 1
        elif isinstance(m, M.UpdateParticipant) and m.permission is not None:
            expected["permissions", m.identity, at[i]] += 1
    got = Counter((mk.kind, who, mk.at) for who, lane in lanes.items() for mk in lane.marks)
    assert got == expected
    # tracks: one per track_published webhook; mutes at the SetTrackMuted mutation
    published = Counter(
        w.participant_identity for w in room.webhooks if w.event == "track_published"
    )
    assert Counter({who: len(lane.tracks) for who, lane in lanes.items() if lane.tracks}) == (
        published
    )
    mutes = [(i, m) for i, m in enumerate(room.log) if isinstance(m, M.SetTrackMuted)]
    assert mutes
    for i, m in mutes:
        (track,) = [t for t in lanes[m.identity].tracks if t.sid == m.track_sid]
        assert track.muted[0][0] == at[i]
        assert track.muted[0][1] == track.unpublished
    # data: one arrow per SendData, from the sender to everyone who received it
    sends = [(i, m) for i, m in enumerate(room.log) if isinstance(m, M.SendData)]
    assert [(a.at, a.sender) for a in data.arrows] == [(at[i], m.sender) for i, m in sends]
    room_marks = [(mk.kind, mk.at) for mk in data.room_marks]
    metadata = [at[i] for i, m in enumerate(room.log) if isinstance(m, M.UpdateRoomMetadata)]
    assert [a for k, a in room_marks if k == "room metadata"] == metadata
    closed = [w.created_at for w in room.webhooks if w.event == "room_finished"]
    assert [a.time for k, a in room_marks if k == "room closed"] == closed


def test_speaking_and_quality_are_stamped_when_the_original_room_delivered_them() -> None:
    room = Room("call")
    alice = room.connect("alice")
    seen: list[tuple[float, Event]] = []
    watcher = room.connect("watcher", permission=Permission(hidden=True), sdk="js")
    for name in ("is_speaking_changed", "connection_quality_changed"):
        watcher.on(name, lambda e: seen.append((room.now, e)))
    alice.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE, name="mic")
    room.set_audio_levels({"alice": 0.7})
    room.advance(1.3)
    room.set_audio_levels({"alice": 0.0})
    room.set_connection_quality("alice", ConnectionQuality.POOR)
    room.advance(6.1)
    (lane,) = [lane for lane in timeline_data(room).lanes if lane.identity == "alice"]
    speaking = [t for t, e in seen if e.name == "is_speaking_changed"]
    assert [(a.time, b.time if b else None) for a, b in lane.speaking] == [tuple(speaking)]
    quality = [
        (t, e.quality.name)
        for t, e in seen
        if isinstance(e, ConnectionQualityChanged) and e.participant == "alice"
    ]
    assert [(m.time, q) for m, q in lane.quality] == quality


def test_a_big_room_shows_its_busiest_participants_and_a_summary() -> None:
    room = Room("big")
    clients = [room.connect(f"p{i}") for i in range(30)]
    busy = {3, 17, 29}
    for i in busy:
        clients[i].publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE)
        room.advance(1.0)
    data = timeline_data(room, max_lanes=4)
    assert {lane.identity for lane in data.lanes} == {f"p{i}" for i in busy}
    assert len(data.others) == 27 and not set(data.others) & {f"p{i}" for i in busy}
    assert max(n for _, n in data.population) == 30


def test_an_empty_room_and_unread_or_still_joining_clients() -> None:
    assert timeline_data(Room("empty")).lanes == ()
    room = Room("r")
    quiet = room.connect("quiet", keep_events=False)
    room.connect("held", keep_events=False, active=False)
    quiet.set_track_muted(quiet.publish_track(TrackKind.AUDIO, TrackSource.MICROPHONE), True)
    room.advance(1.0)
    quiet_lane, held_lane = timeline_data(room).lanes
    ((start, end),) = quiet_lane.tracks[0].muted
    assert (start.step, end) == (3, None)
    (held,) = held_lane.sessions
    assert held.active is None and held.left is None
    assert held.sid == room.participants["held"].sid


def test_a_room_without_a_log_has_no_timeline() -> None:
    with pytest.raises(InvalidArgument, match="keep_log=False"):
        timeline_data(Room("r", keep_log=False))
    with pytest.raises(InvalidArgument, match="max_lanes"):
        timeline_data(Room("r"), max_lanes=0)


def test_import_roomsim_does_not_import_matplotlib() -> None:
    code = "import roomsim, roomsim.timeline, sys; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------------
# the figure

needs_matplotlib = pytest.mark.skipif(
    importlib.util.find_spec("matplotlib") is None, reason="the plot extra is not installed"
)


def _gids(fig: Any) -> Counter[str]:
    return Counter(a.get_gid() for a in fig.findobj() if a.get_gid() is not None)


@needs_matplotlib
@pytest.mark.parametrize("axis", ["time", "steps"])
def test_the_figure_draws_the_data(axis: str) -> None:
    room = _demo_room()
    data = timeline_data(room)
    fig = timeline(data, axis=axis)
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "room 'standup'"
    assert [label.split(" ")[0] for label in labels[1:]] == [lane.identity for lane in data.lanes]
    assert "recorder (hidden)" in labels and "agent (agent)" in labels
    gids = _gids(fig)
    for lane in data.lanes:
        for kind, n in Counter(mk.kind for mk in lane.marks).items():
            assert gids[f"mark:{lane.identity}:{kind}"] == n
        for t in lane.tracks:
            assert gids[f"track:{lane.identity}:{t.sid}"] == 1
            assert gids[f"muted:{lane.identity}:{t.sid}"] == (1 if t.muted else 0)
        assert gids[f"speaking:{lane.identity}"] == (1 if lane.speaking else 0)
        active = sum(s.active is not None for s in lane.sessions)
        assert gids[f"session:{lane.identity}"] == active
    for arrow in data.arrows:
        for r in arrow.recipients:
            assert gids[f"data:{arrow.sender or 'server'}->{r}"] == 1
    assert gids["room-mark:room closed"] == 1


@needs_matplotlib
def test_a_session_at_one_instant_is_drawn_by_steps() -> None:
    room = Room("instant")
    a = room.connect("a", permission=Permission(can_update_metadata=True))
    room.connect("b")
    a.set_attributes({"k": "v"})
    fig = timeline(room)
    (ax,) = fig.axes
    assert "mutations of room.log" in ax.get_xlabel()
    assert ax.get_xlim()[1] >= len(room.log)
    with pytest.raises(InvalidArgument, match="axis"):
        timeline(room, axis="days")


@needs_matplotlib
def test_save_writes_svg_and_png(tmp_path: Path) -> None:
    room = _demo_room()
    data: TimelineData = timeline_data(room)
    save(data, tmp_path / "t.svg")
    save(data, tmp_path / "t.png")
    assert (tmp_path / "t.svg").read_text().lstrip().startswith("<?xml")
    assert (tmp_path / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match=r"\.svg, \.png or \.pdf"):
        save(data, tmp_path / "t.txt")
