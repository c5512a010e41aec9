"""Invalid mutations, each with the error ``room.apply`` must raise for it."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from typing import Final

import attrs
from hypothesis import strategies as st

from roomsim import mutations as M
from roomsim.errors import (
    IllegalState,
    InvalidArgument,
    InvalidType,
    LimitExceeded,
    PermissionDenied,
    RoomFull,
    RoomsimError,
    UnknownParticipant,
    UnknownTrack,
)
from roomsim.model import ConnectionQuality, Permission, StreamState, TrackKind, TrackSource
from roomsim.raise_sites import RAISE_SITES, SITES_BY_ID, RaiseSite
from roomsim.room import Room
from roomsim.snapshot import RoomSnapshot
from roomsim.strategies._rpc import RPC_REFUSALS, RPC_SITE_OF
from roomsim.strategies._scene import (
    Scene,
    Track,
    always,
    anyone,
    counted,
    granted,
    pick,
    read_scene,
    someone,
)
from roomsim.strategies._text import texts_of_size
from roomsim.strategies._valid import DEFAULT_IDENTITIES, VALID, Check, check_families, check_pool
from roomsim.strategies._values import attribute_maps_of_size

__all__ = ["Refusal", "invalid_mutations"]


@attrs.frozen
class Refusal:
    """An invalid mutation and the error ``room.apply`` must raise for it (or a subclass)."""

    mutation: M.Mutation
    error: type[RoomsimError]


def _remote_unmute(track: Track) -> M.Mutation:
    return M.MutePublishedTrack(identity=track.owner, track_sid=track.sid, muted=False)


def _absent(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> str:
    present = {p.identity for p in sc.people}
    return pick(draw, [i for i in (*pool, "nobody") if i not in present])


def _over(draw: st.DrawFn, limit: int) -> str:
    return draw(texts_of_size(limit + 1))


def _ungranted(sc: Scene) -> list[str]:
    return [p.identity for p in sc.people if not p.permission.can_update_metadata]


def _denied_sources(sc: Scene) -> list[tuple[str, TrackSource]]:
    return [
        (p.identity, s)
        for p in sc.people
        for s in TrackSource
        if not p.permission.can_publish_source(s)
    ]


def _full(sc: Scene, pool: tuple[str, ...]) -> list[str]:
    cap = sc.config.max_participants
    present = {p.identity for p in sc.people}
    return [i for i in (*pool, "nobody") if i not in present and cap and counted(sc, i) >= cap]


def _unsubscribed_video(sc: Scene) -> list[tuple[str, str]]:
    return [
        (p.identity, t.sid)
        for p in sc.people
        for t in sc.tracks
        if t.kind is TrackKind.VIDEO and (p.identity, t.sid) not in sc.subscribed
    ]


def _audio(sc: Scene) -> list[Track]:
    return [t for t in sc.tracks if t.kind is TrackKind.AUDIO]


_Make = Callable[[st.DrawFn, Scene, tuple[str, ...]], M.Mutation]
_Case = tuple[str, type[M.Mutation], Check, type[RoomsimError], _Make]
_X: Final = "x"

# (what is wrong, when it applies, the error, the mutation): one fault per mutation
_REFUSALS: Final[tuple[_Case, ...]] = (
    (
        "empty identity",
        M.Connect,
        always,
        InvalidArgument,
        lambda d, sc, p: M.Connect(identity=""),
    ),
    ("identity not a str", M.Connect, always, InvalidType, lambda d, sc, p: M.Connect(identity=1)),  # type: ignore[arg-type]
    (
        "room metadata not a str",
        M.UpdateRoomMetadata,
        always,
        InvalidType,
        lambda d, sc, p: M.UpdateRoomMetadata(metadata=None),  # type: ignore[arg-type]
    ),
    ("negative dt", M.Advance, always, InvalidArgument, lambda d, sc, p: M.Advance(dt=-1.0)),
    ("NaN dt", M.Advance, always, InvalidArgument, lambda d, sc, p: M.Advance(dt=math.nan)),
    ("dt not a number", M.Advance, always, InvalidType, lambda d, sc, p: M.Advance(dt="1")),  # type: ignore[arg-type]
    (
        "levels not a mapping",
        M.SetAudioLevels,
        always,
        InvalidType,
        lambda d, sc, p: M.SetAudioLevels(levels=[0.5]),  # type: ignore[arg-type]
    ),
    (
        "identity over the limit",
        M.Connect,
        lambda sc: bool(sc.config.max_identity_length),
        LimitExceeded,
        lambda d, sc, p: M.Connect(identity=_over(d, sc.config.max_identity_length)),
    ),
    (
        "name claim over the limit",
        M.Connect,
        lambda sc: bool(sc.config.max_name_length),
        LimitExceeded,
        lambda d, sc, p: M.Connect(identity=_X, name=_over(d, sc.config.max_name_length)),
    ),
    (
        "metadata claim over the limit",
        M.Connect,
        lambda sc: bool(sc.config.max_metadata_size),
        LimitExceeded,
        lambda d, sc, p: M.Connect(identity=_X, metadata=_over(d, sc.config.max_metadata_size)),
    ),
    (
        "attribute claims over the limit",
        M.Connect,
        lambda sc: bool(sc.config.max_attributes_size),
        LimitExceeded,
        lambda d, sc, p: M.Connect(
            identity=_X, attributes=d(attribute_maps_of_size(sc.config.max_attributes_size + 1))
        ),
    ),
    (
        "room metadata over the limit",
        M.UpdateRoomMetadata,
        lambda sc: bool(sc.config.max_metadata_size),
        LimitExceeded,
        lambda d, sc, p: M.UpdateRoomMetadata(metadata=_over(d, sc.config.max_metadata_size)),
    ),
    (
        # the server API checks limits before the lookup (server §1): even for nobody
        "server update over the limit, for nobody",
        M.UpdateParticipant,
        lambda sc: bool(sc.config.max_metadata_size),
        LimitExceeded,
        lambda d, sc, p: M.UpdateParticipant(
            identity=_absent(d, sc, p), metadata=_over(d, sc.config.max_metadata_size)
        ),
    ),
    (
        "the room is full",
        M.Connect,
        lambda sc: bool(_full(sc, DEFAULT_IDENTITIES)),
        RoomFull,
        lambda d, sc, p: M.Connect(identity=pick(d, _full(sc, DEFAULT_IDENTITIES))),
    ),
    (
        "remote unmute is off",
        M.MutePublishedTrack,
        # the server looks the participant and track up first (client §16.13)
        lambda sc: not sc.config.enable_remote_unmute and bool(sc.tracks),
        IllegalState,
        lambda d, sc, p: _remote_unmute(pick(d, sc.tracks)),
    ),
    (
        "activate nobody",
        M.Activate,
        always,
        UnknownParticipant,
        lambda d, sc, p: M.Activate(identity=_absent(d, sc, p)),
    ),
    (
        "disconnect nobody",
        M.Disconnect,
        always,
        UnknownParticipant,
        lambda d, sc, p: M.Disconnect(identity=_absent(d, sc, p)),
    ),
    (
        "remove nobody",
        M.RemoveParticipant,
        always,
        UnknownParticipant,
        lambda d, sc, p: M.RemoveParticipant(identity=_absent(d, sc, p)),
    ),
    (
        "metadata of nobody",
        M.SetMetadata,
        always,
        UnknownParticipant,
        lambda d, sc, p: M.SetMetadata(identity=_absent(d, sc, p), metadata="m"),
    ),
    (
        "server update of nobody",
        M.UpdateParticipant,
        always,
        UnknownParticipant,
        lambda d, sc, p: M.UpdateParticipant(identity=_absent(d, sc, p), name="n"),
    ),
    (
        "nobody publishes",
        M.PublishTrack,
        always,
        UnknownParticipant,
        lambda d, sc, p: M.PublishTrack(
            identity=_absent(d, sc, p), kind=TrackKind.AUDIO, source=TrackSource.MICROPHONE
        ),
    ),
    (
        "nobody sends data",
        M.SendData,
        always,
        UnknownParticipant,
        lambda d, sc, p: M.SendData(sender=_absent(d, sc, p), data=b"x"),
    ),
    (
        "audio level of nobody",
        M.SetAudioLevels,
        always,
        UnknownParticipant,
        lambda d, sc, p: M.SetAudioLevels(levels={_absent(d, sc, p): 0.5}),
    ),
    (
        "quality of nobody",
        M.SetConnectionQuality,
        always,
        UnknownParticipant,
        lambda d, sc, p: M.SetConnectionQuality(
            identity=_absent(d, sc, p), quality=ConnectionQuality.POOR
        ),
    ),
    (
        "attribute value not a str",
        M.SetAttributes,
        someone,
        InvalidType,
        lambda d, sc, p: M.SetAttributes(identity=anyone(d, sc), attributes={"k": 1}),  # type: ignore[dict-item]
    ),
    (
        "track kind not a TrackKind",
        M.PublishTrack,
        someone,
        InvalidType,
        lambda d, sc, p: M.PublishTrack(
            identity=anyone(d, sc),
            kind="audio",  # type: ignore[arg-type]
            source=TrackSource.CAMERA,
        ),
    ),
    (
        "data not bytes",
        M.SendData,
        someone,
        InvalidType,
        lambda d, sc, p: M.SendData(sender=anyone(d, sc), data="text"),  # type: ignore[arg-type]
    ),
    (
        "quality UNKNOWN",
        M.SetConnectionQuality,
        someone,
        InvalidArgument,
        lambda d, sc, p: M.SetConnectionQuality(
            identity=anyone(d, sc), quality=ConnectionQuality.UNKNOWN
        ),
    ),
    (
        "audio level out of [0, 1]",
        M.SetAudioLevels,
        someone,
        InvalidArgument,
        lambda d, sc, p: M.SetAudioLevels(levels={anyone(d, sc): pick(d, [1.5, -0.1, math.nan])}),
    ),
    (
        "stream state UNKNOWN",
        M.SetStreamState,
        someone,
        InvalidArgument,
        lambda d, sc, p: M.SetStreamState(
            identity=anyone(d, sc), track_sid="TR_1", state=StreamState.UNKNOWN
        ),
    ),
    (
        "unpublish an unknown track",
        M.UnpublishTrack,
        someone,
        UnknownTrack,
        lambda d, sc, p: M.UnpublishTrack(identity=anyone(d, sc), track_sid="TR_999"),
    ),
    (
        "mute an unknown track",
        M.SetTrackMuted,
        someone,
        UnknownTrack,
        lambda d, sc, p: M.SetTrackMuted(identity=anyone(d, sc), track_sid="TR_999", muted=True),
    ),
    (
        "subscribe to an unknown track",
        M.UpdateSubscriptions,
        someone,
        UnknownTrack,
        lambda d, sc, p: M.UpdateSubscriptions(
            identity=anyone(d, sc), track_sids=("TR_999",), subscribe=True
        ),
    ),
    (
        "stream state of an unknown track",
        M.SetStreamState,
        someone,
        UnknownTrack,
        lambda d, sc, p: M.SetStreamState(
            identity=anyone(d, sc), track_sid="TR_999", state=StreamState.PAUSED
        ),
    ),
    (
        "subscribe to nobody's track",
        M.SetSubscribed,
        someone,
        UnknownParticipant,
        lambda d, sc, p: M.SetSubscribed(
            identity=anyone(d, sc), publisher=_absent(d, sc, p), track_sid="TR_1", subscribed=True
        ),
    ),
    (
        "rename without the grant",
        M.SetName,
        lambda sc: bool(_ungranted(sc)),
        PermissionDenied,
        lambda d, sc, p: M.SetName(identity=pick(d, _ungranted(sc)), name="n"),
    ),
    (
        "metadata without the grant",
        M.SetMetadata,
        lambda sc: bool(_ungranted(sc)),
        PermissionDenied,
        lambda d, sc, p: M.SetMetadata(identity=pick(d, _ungranted(sc)), metadata="m"),
    ),
    (
        "attributes without the grant",
        M.SetAttributes,
        lambda sc: bool(_ungranted(sc)),
        PermissionDenied,
        lambda d, sc, p: M.SetAttributes(identity=pick(d, _ungranted(sc)), attributes={"k": "v"}),
    ),
    (
        "own name over the limit",
        M.SetName,
        lambda sc: bool(granted(sc)) and bool(sc.config.max_name_length),
        LimitExceeded,
        lambda d, sc, p: M.SetName(
            identity=pick(d, granted(sc)), name=_over(d, sc.config.max_name_length)
        ),
    ),
    (
        "own attributes over the limit",
        M.SetAttributes,
        lambda sc: bool(granted(sc)) and bool(sc.config.max_attributes_size),
        LimitExceeded,
        lambda d, sc, p: M.SetAttributes(
            identity=pick(d, granted(sc)),
            attributes=d(attribute_maps_of_size(sc.config.max_attributes_size + 1)),
        ),
    ),
    (
        "publish a source not granted",
        M.PublishTrack,
        lambda sc: bool(_denied_sources(sc)),
        PermissionDenied,
        lambda d, sc, p: (
            lambda o: M.PublishTrack(identity=o[0], kind=TrackKind.VIDEO, source=o[1])
        )(pick(d, _denied_sources(sc))),
    ),
    (
        "toggle hidden",
        M.UpdateParticipant,
        someone,
        IllegalState,
        lambda d, sc, p: (
            lambda q: M.UpdateParticipant(
                identity=q.identity, permission=Permission(hidden=not q.permission.hidden)
            )
        )(pick(d, sc.people)),
    ),
    (
        "subscribe to itself",
        M.SetSubscribed,
        lambda sc: any(not q.permission.hidden for q in sc.people),
        InvalidArgument,
        lambda d, sc, p: (
            lambda i: M.SetSubscribed(identity=i, publisher=i, track_sid="TR_1", subscribed=True)
        )(pick(d, [q.identity for q in sc.people if not q.permission.hidden])),
    ),
    (
        "subscribe to a hidden publisher",
        M.SetSubscribed,
        lambda sc: any(q.permission.hidden for q in sc.people),
        UnknownParticipant,
        lambda d, sc, p: M.SetSubscribed(
            identity=anyone(d, sc),
            publisher=pick(d, [q.identity for q in sc.people if q.permission.hidden]),
            track_sid="TR_1",
            subscribed=True,
        ),
    ),
    (
        "server-subscribe to its own track",
        M.UpdateSubscriptions,
        lambda sc: bool(sc.tracks),
        InvalidArgument,
        lambda d, sc, p: (
            lambda t: M.UpdateSubscriptions(identity=t.owner, track_sids=(t.sid,), subscribe=True)
        )(pick(d, sc.tracks)),
    ),
    (
        "stream state of an audio track",
        M.SetStreamState,
        lambda sc: bool(_audio(sc)),
        InvalidArgument,
        lambda d, sc, p: M.SetStreamState(
            identity=anyone(d, sc), track_sid=pick(d, _audio(sc)).sid, state=StreamState.PAUSED
        ),
    ),
    (
        "stream state of a video track not subscribed",
        M.SetStreamState,
        lambda sc: bool(_unsubscribed_video(sc)),
        IllegalState,
        lambda d, sc, p: (
            lambda o: M.SetStreamState(identity=o[0], track_sid=o[1], state=StreamState.PAUSED)
        )(pick(d, _unsubscribed_video(sc))),
    ),
    *RPC_REFUSALS,
)


#: the raise site (``roomsim.raise_sites``, docs/reference/errors.md) each refusal reaches
_SITE_OF: Final[dict[str, str]] = {
    "server update over the limit, for nobody": "update_participant.limit",
    "the room is full": "connect.full",
    "empty identity": "connect.identity",
    "identity not a str": "connect.identity",
    "room metadata not a str": "update_room_metadata.type",
    "negative dt": "advance.range",
    "NaN dt": "advance.range",
    "dt not a number": "advance.type",
    "levels not a mapping": "set_audio_levels.type",
    "identity over the limit": "connect.limit",
    "name claim over the limit": "connect.limit",
    "metadata claim over the limit": "connect.limit",
    "attribute claims over the limit": "connect.limit",
    "room metadata over the limit": "update_room_metadata.limit",
    "remote unmute is off": "mute_published_track.unmute",
    "activate nobody": "identity.unknown",
    "disconnect nobody": "identity.unknown",
    "remove nobody": "identity.unknown",
    "metadata of nobody": "identity.unknown",
    "server update of nobody": "identity.unknown",
    "nobody publishes": "identity.unknown",
    "nobody sends data": "identity.unknown",
    "audio level of nobody": "identity.unknown",
    "quality of nobody": "identity.unknown",
    "attribute value not a str": "set_attributes.type",
    "track kind not a TrackKind": "publish_track.type",
    "data not bytes": "send_data.type",
    "quality UNKNOWN": "set_connection_quality.unknown",
    "audio level out of [0, 1]": "set_audio_levels.range",
    "stream state UNKNOWN": "set_stream_state.state",
    "unpublish an unknown track": "unpublish_track.unknown",
    "mute an unknown track": "set_track_muted.unknown",
    "subscribe to an unknown track": "update_subscriptions.track",
    "stream state of an unknown track": "set_stream_state.track",
    "subscribe to nobody's track": "set_subscribed.publisher",
    "rename without the grant": "set_name.permission",
    "metadata without the grant": "set_metadata.permission",
    "attributes without the grant": "set_attributes.permission",
    "own name over the limit": "set_name.limit",
    "own attributes over the limit": "set_attributes.limit",
    "publish a source not granted": "publish_track.source",
    "toggle hidden": "update_participant.hidden",
    "subscribe to itself": "set_subscribed.own",
    "subscribe to a hidden publisher": "set_subscribed.publisher",
    "server-subscribe to its own track": "update_subscriptions.own",
    "stream state of an audio track": "set_stream_state.audio",
    "stream state of a video track not subscribed": "set_stream_state.not_subscribed",
    **RPC_SITE_OF,
}


def _by_site() -> tuple[tuple[RaiseSite, _Case], ...]:
    """The refusals in the order of the raise-site table, each with its documented site; a
    refusal the table lacks, or whose error the table does not list, is a bug here."""
    out = []
    for site in RAISE_SITES:
        for case in _REFUSALS:
            if _SITE_OF[case[0]] == site.id:
                if case[3] not in site.errors:
                    raise AssertionError(f"{case[0]!r} raises {case[3]}, not what {site.id} says")
                out.append((site, case))
    if len(out) != len(_REFUSALS):
        raise AssertionError("a refusal reaches no documented raise site")
    return tuple(out)


#: what invalid_mutations draws from: the documented raise sites it can reach
_DRAWN: Final = _by_site()
_CLOSED: Final = SITES_BY_ID["apply.closed"].errors[0]


def refusal_possible(sc: Scene, chosen: tuple[type[M.Mutation], ...]) -> bool:
    """Whether :func:`draw_refusal` can draw a refusal for this scene."""
    if sc.closed:
        opened = attrs.evolve(sc, closed=False)
        return any(c is not M.Advance and VALID[c][0](opened) for c in chosen)
    return any(case[1] in chosen and case[2](sc) for _site, case in _DRAWN)


def draw_refusal(
    draw: st.DrawFn, sc: Scene, chosen: tuple[type[M.Mutation], ...], pool: tuple[str, ...]
) -> Refusal:
    """One refusal for the scene (``refusal_possible`` must hold, or the draw is rejected)."""
    if sc.closed:
        # a closed room refuses everything but time (design §2)
        opened = attrs.evolve(sc, closed=False)
        options = [c for c in chosen if c is not M.Advance and VALID[c][0](opened)]
        if not options:
            return draw(st.nothing())
        cls = pick(draw, options)
        return Refusal(mutation=VALID[cls][1](draw, opened, pool), error=_CLOSED)
    cases = [case for _site, case in _DRAWN if case[1] in chosen and case[2](sc)]
    if not cases:
        return draw(st.nothing())
    _what, _cls, _when, error, make = pick(draw, cases)
    return Refusal(mutation=make(draw, sc, pool), error=error)


@st.composite
def _refusal(
    draw: st.DrawFn,
    room: Room | RoomSnapshot,
    chosen: tuple[type[M.Mutation], ...],
    pool: tuple[str, ...],
) -> Refusal:
    return draw_refusal(draw, read_scene(room), chosen, pool)


def invalid_mutations(
    room: Room | RoomSnapshot,
    *,
    families: Collection[type[M.Mutation]] | None = None,
    identities: Sequence[str] = DEFAULT_IDENTITIES,
) -> st.SearchStrategy[Refusal]:
    """Invalid mutations for the room's state at draw time, each as a :class:`Refusal`.

    Each mutation has exactly one thing wrong with it (a wrong type, a size one byte over a
    limit, an unknown identity or sid, a missing grant, a wrong state), so ``room.apply`` must
    raise ``refusal.error`` (or a subclass) and change nothing (design §1 atomicity).
    ``families`` limits the mutation classes drawn, as for :func:`mutations`.

    >>> import pytest
    >>> from hypothesis import given, strategies as st
    >>> from roomsim import Room
    >>> from roomsim.strategies import invalid_mutations
    >>> @given(st.data())
    ... def test_refusals_change_nothing(data):
    ...     room = Room("r")
    ...     room.connect("alice")
    ...     refusal = data.draw(invalid_mutations(room))
    ...     before = room.snapshot()
    ...     with pytest.raises(refusal.error):
    ...         room.apply(refusal.mutation)
    ...     assert room.snapshot() == before
    >>> test_refusals_change_nothing()
    """
    return _refusal(room, check_families(families), check_pool(identities))
