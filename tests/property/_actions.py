"""Draw valid and invalid mutations for a room's current state (a test helper).

The public strategies come with the testing-toolkit issue; this draws enough of every family
to exercise lazy delivery, atomicity and the invariants.
"""

from __future__ import annotations

from hypothesis import strategies as st

from roomsim import (
    ParticipantKind,
    Permission,
    Room,
    StreamState,
    TrackKind,
    TrackSource,
)
from roomsim import mutations as M

IDENTITIES = ("alice", "bob", "carol", "dave", "eve")
KEYS = ("role", "mood", "hand", "é")
VALUES = ("", "host", "guest", "up", "ü" * 3)

permissions = st.builds(
    Permission,
    can_subscribe=st.booleans(),
    can_publish=st.booleans(),
    can_update_metadata=st.booleans(),
    can_publish_sources=st.sampled_from(
        [(), (TrackSource.MICROPHONE,), (TrackSource.CAMERA, TrackSource.MICROPHONE)]
    ),
)


def mutation(data: st.DataObject, room: Room) -> M.Mutation:
    """One mutation drawn for ``room``'s current state; mostly valid, sometimes not."""
    present = list(room.participants)
    tracks = [(p, sid) for p in present for sid in room.participants[p].track_publications]
    ident = data.draw(st.sampled_from(present) if present else st.sampled_from(IDENTITIES))
    other = data.draw(st.sampled_from(IDENTITIES))
    choice = data.draw(st.integers(0, 21))
    if choice in (0, 1) or not present:
        return M.Connect(
            identity=other,
            name=data.draw(st.sampled_from(["", "A", "Bé"])),
            attributes={"role": "x"} if data.draw(st.booleans()) else {},
            kind=data.draw(st.sampled_from([ParticipantKind.STANDARD, ParticipantKind.AGENT])),
            permission=data.draw(
                st.one_of(
                    st.just(Permission(can_update_metadata=True)),
                    permissions,
                    st.just(Permission(hidden=True)),
                )
            ),
            active=data.draw(st.booleans()),
            auto_subscribe=data.draw(st.sampled_from([None, True, False])),
        )
    if choice == 2:
        return M.Disconnect(identity=ident)
    if choice == 3:
        return M.SetAttributes(
            identity=ident,
            attributes=data.draw(
                st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=3)
            ),
        )
    if choice == 4:
        return M.SetMetadata(identity=ident, metadata=data.draw(st.sampled_from(["", "m1", "m2"])))
    if choice == 5:
        return M.SetName(identity=ident, name=data.draw(st.sampled_from(["", "N", "Ñ"])))
    if choice == 6:
        return M.UpdateParticipant(
            identity=ident,
            name=data.draw(st.sampled_from([None, "", "S"])),
            metadata=data.draw(st.sampled_from([None, "", "sm"])),
            attributes=data.draw(
                st.one_of(
                    st.none(),
                    st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=2),
                )
            ),
            permission=data.draw(st.one_of(st.none(), permissions)),
        )
    if choice == 7:
        return M.RemoveParticipant(identity=data.draw(st.sampled_from([ident, other])))
    if choice == 8:
        return M.UpdateRoomMetadata(metadata=data.draw(st.sampled_from(["", "r1", "r2"])))
    if choice in (9, 10):
        return M.PublishTrack(
            identity=ident,
            kind=data.draw(st.sampled_from(TrackKind)),
            source=data.draw(st.sampled_from(TrackSource)),
            muted=data.draw(st.booleans()),
        )
    if choice == 11 and tracks:
        p, sid = data.draw(st.sampled_from(tracks))
        return M.UnpublishTrack(identity=p, track_sid=sid)
    if choice == 12 and tracks:
        p, sid = data.draw(st.sampled_from(tracks))
        return M.SetTrackMuted(identity=p, track_sid=sid, muted=data.draw(st.booleans()))
    if choice == 13 and tracks:
        p, sid = data.draw(st.sampled_from(tracks))
        return M.MutePublishedTrack(identity=p, track_sid=sid, muted=data.draw(st.booleans()))
    if choice == 14 and tracks:
        p, sid = data.draw(st.sampled_from(tracks))
        return M.SetSubscribed(
            identity=ident, publisher=p, track_sid=sid, subscribed=data.draw(st.booleans())
        )
    if choice == 15 and tracks:
        sids = data.draw(st.lists(st.sampled_from([s for _, s in tracks]), max_size=2))
        return M.UpdateSubscriptions(
            identity=ident, track_sids=tuple(sids), subscribe=data.draw(st.booleans())
        )
    if choice == 16:
        allowed = data.draw(
            st.dictionaries(
                st.sampled_from(IDENTITIES),
                st.one_of(
                    st.none(),
                    st.lists(st.sampled_from([s for _, s in tracks] or ["TR_1"]), max_size=2).map(
                        tuple
                    ),
                ),
                max_size=2,
            )
        )
        return M.SetTrackSubscriptionPermissions(
            identity=ident, all_participants=data.draw(st.booleans()), allowed=allowed
        )
    if choice == 17:
        return M.SendData(
            sender=data.draw(st.sampled_from([ident, None])),
            data=b"x",
            topic=data.draw(st.sampled_from([None, "chat"])),
            destination_identities=tuple(
                data.draw(st.lists(st.sampled_from(IDENTITIES), max_size=2))
            ),
        )
    if choice == 18 and tracks:
        p, sid = data.draw(st.sampled_from(tracks))
        return M.SetStreamState(
            identity=ident,
            track_sid=sid,
            state=data.draw(st.sampled_from([StreamState.ACTIVE, StreamState.PAUSED])),
        )
    if choice == 19:
        return M.Activate(identity=ident)
    if choice == 20:
        # an invalid one: a wrong type or an unknown participant
        return data.draw(
            st.sampled_from(
                [
                    M.SetAttributes(identity=ident, attributes={"k": 1}),  # type: ignore[dict-item]
                    M.SetMetadata(identity="nobody", metadata="x"),
                    M.Connect(identity=""),
                    M.PublishTrack(identity=ident, kind="audio", source=TrackSource.CAMERA),  # type: ignore[arg-type]
                ]
            )
        )
    return M.SetAttributes(identity=ident, attributes={"hand": data.draw(st.sampled_from(VALUES))})
