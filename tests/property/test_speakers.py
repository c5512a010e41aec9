"""Active speakers under any history (server §7, client §6, design §2-§3).

Any sequence of levels, mutes, subscriptions, microphone publishes/unpublishes, joins, leaves and
clock advances keeps every live client's ``active_speakers`` sorted loudest first, consistent with
its snapshots' ``is_speaking``/``audio_level``, limited to what it may hear (itself or a publisher
it subscribes to), free of departed participants, and equal to the server's truth filtered to what
the client hears; and roomsim's own invariants hold.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from roomsim import Client, ParticipantSnapshot, Room, TrackKind, TrackSource
from roomsim.testing import check_invariants

IDENTITIES = ("alice", "bob", "carol", "dave")
THRESHOLD = 10 ** (-35 / 20)
LEVELS = st.one_of(
    st.sampled_from([0.0, THRESHOLD * 0.99, THRESHOLD, 0.125, 0.3, 0.5, 0.9, 1.0]),
    st.floats(0.0, 1.0),
)
SOURCES = st.sampled_from(
    [
        (TrackKind.AUDIO, TrackSource.MICROPHONE),
        (TrackKind.AUDIO, TrackSource.MICROPHONE),
        (TrackKind.AUDIO, TrackSource.SCREEN_SHARE_AUDIO),
        (TrackKind.VIDEO, TrackSource.CAMERA),
    ]
)


def _step(data: st.DataObject, room: Room) -> None:
    """Apply one action drawn for the room's current state (always a valid one)."""
    present = list(room.clients)
    tracks = [(p, sid) for p in present for sid in room.participants[p].track_publications]
    choice = data.draw(st.integers(0, 9)) if present else 0
    if choice == 0:
        room.connect(
            data.draw(st.sampled_from(IDENTITIES)),
            active=data.draw(st.integers(0, 4)) > 0,
            auto_subscribe=data.draw(st.sampled_from([None, True, False])),
        )
        return
    who = room.clients[data.draw(st.sampled_from(present))]
    if choice == 1:
        if data.draw(st.booleans()):
            who.disconnect()
        else:
            who.activate()
    elif choice == 2:
        kind, source = data.draw(SOURCES)
        who.publish_track(kind, source, muted=data.draw(st.integers(0, 4)) == 0)
    elif choice == 3 and tracks:
        owner, sid = data.draw(st.sampled_from(tracks))
        room.clients[owner].unpublish_track(sid)
    elif choice == 4 and tracks:
        owner, sid = data.draw(st.sampled_from(tracks))
        room.clients[owner].set_track_muted(sid, data.draw(st.booleans()))
    elif choice == 5 and tracks:
        owner, sid = data.draw(st.sampled_from(tracks))
        if owner != who.identity:
            who.set_subscribed(owner, sid, data.draw(st.booleans()))
    elif choice in (6, 7):
        chosen = data.draw(st.lists(st.sampled_from(present), min_size=1, unique=True))
        room.set_audio_levels({p: data.draw(LEVELS) for p in chosen})
    else:
        room.advance(data.draw(st.sampled_from([0.1, 0.2, 0.4, 0.4 + 1e-6, 0.8, 5.0])))


def _check_client(room: Room, client: Client) -> None:
    speakers = client.active_speakers
    me = client.local_participant
    remote = client.remote_participants
    known: dict[str, ParticipantSnapshot] = {me.identity: me, **remote}
    # no duplicates, nobody departed or unknown to this client
    assert len(set(speakers)) == len(speakers), speakers
    for ident in speakers:
        assert ident in known, (client.identity, ident)
        assert ident in room.participants, (client.identity, ident)
    # loudest first, by the snapshots' levels
    levels = [known[i].audio_level for i in speakers]
    assert levels == sorted(levels, reverse=True), (client.identity, speakers, levels)
    # consistent with is_speaking, and an active speaker is at least 1/8 (quantised)
    for ident, snap in known.items():
        assert snap.is_speaking == (ident in speakers), (client.identity, ident)
        if snap.is_speaking:
            assert snap.audio_level >= 0.125, (client.identity, ident, snap.audio_level)
        else:
            assert snap.audio_level == 0.0, (client.identity, ident, snap.audio_level)
    # only itself or a publisher it subscribes to (any track)
    for ident in speakers:
        if ident != client.identity:
            pubs = remote[ident].track_publications.values()
            assert any(p.subscribed for p in pubs), (client.identity, ident)
    # the server's truth, filtered to what this client hears
    expected = {
        ident: snap.audio_level
        for ident, snap in room.participants.items()
        if snap.is_speaking
        and (
            ident == client.identity
            or (
                ident in remote
                and any(p.subscribed for p in remote[ident].track_publications.values())
            )
        )
    }
    assert {i: known[i].audio_level for i in speakers} == expected, (client.identity, expected)


@given(st.data())
def test_active_speakers_stay_sorted_consistent_and_audible(data: st.DataObject) -> None:
    room = Room("r")
    for _ in range(data.draw(st.integers(1, 30))):
        _step(data, room)
        for client in room.clients.values():
            _check_client(room, client)
        check_invariants(room)
