"""Valid mutations: per family, whether one can be drawn now, and a drawer.

Drawers are plain functions of ``draw`` (not strategies built per draw): a room changes at
every step, and building strategies for each state costs more than the draws themselves.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Sequence
from typing import Any, Final

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument as BadStrategyArgument

from roomsim import mutations as M
from roomsim.model import (
    ConnectionQuality,
    KindDetail,
    ParticipantKind,
    Permission,
    StreamState,
    TrackKind,
    TrackSource,
)
from roomsim.room import Room
from roomsim.snapshot import RoomSnapshot
from roomsim.strategies._scene import (
    Scene,
    Track,
    always,
    anyone,
    counted,
    granted,
    is_hidden,
    pick,
    read_scene,
    someone,
)
from roomsim.strategies._text import (
    CHARS,
    identities,
    texts_of_size,
    truncate,
    utf8_len,
)
from roomsim.strategies._values import attribute_maps, attribute_maps_of_size, permissions

__all__ = ["DEFAULT_IDENTITIES", "families", "mutations"]

#: the identities mutations draw from by default: few, so that joins collide (duplicates)
DEFAULT_IDENTITIES: Final[tuple[str, ...]] = ("alice", "bob", "carol", "dave", "eve")

Drawer = Callable[[st.DrawFn, Scene, tuple[str, ...]], M.Mutation]
Check = Callable[[Scene], bool]


@functools.lru_cache(maxsize=64)
def _within(limit: int) -> st.SearchStrategy[str]:
    """Short texts (often empty or non-ASCII), and texts at the limit when that is cheap."""
    cap = limit if limit else 256
    short = st.one_of(st.just(""), st.text(CHARS, max_size=12)).map(lambda s: truncate(s, cap))
    if limit and limit <= 4096:
        return st.one_of(short, texts_of_size(limit), texts_of_size(max(0, limit - 1)))
    return short


@functools.lru_cache(maxsize=64)
def _attrs_within(limit: int) -> st.SearchStrategy[dict[str, str]]:
    small = attribute_maps(max_bytes=limit if limit else None, max_entries=3)
    if limit and limit <= 4096:
        return st.one_of(small, attribute_maps_of_size(limit))
    return small


@functools.lru_cache(maxsize=8)
def _perms(hidden: bool | None) -> st.SearchStrategy[Permission]:
    return permissions(hidden=hidden)


_KINDS: Final = st.one_of(st.just(ParticipantKind.STANDARD), st.sampled_from(ParticipantKind))
_DETAILS: Final = st.lists(st.sampled_from(KindDetail), max_size=1).map(tuple)
_TRACK_NAMES: Final = st.sampled_from(["", "mic", "cam", "scrën"])
_TOPICS: Final = st.none() | st.sampled_from(["chat", "ü"])
_STATES: Final = st.sampled_from([StreamState.ACTIVE, StreamState.PAUSED])


@functools.lru_cache(maxsize=64)
def _maybe(s: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | s


_GRANT: Final = Permission(can_update_metadata=True)
_CONNECT_PERMS: Final = st.one_of(st.just(_GRANT), permissions(hidden=None))


#: one connect in four draws every field; the others join plainly (shrinks towards plain)
_RICH: Final = st.integers(0, 3)


def _draw_connect(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    cfg = sc.config
    limit = cfg.max_identity_length
    names = [i for i in pool if not limit or utf8_len(i) <= limit]
    names += [p.identity for p in sc.people if p.identity not in names]
    identity = pick(draw, names) if names else draw(identities(max_bytes=limit))
    full = bool(cfg.max_participants) and counted(sc, identity) >= cfg.max_participants
    if draw(_RICH) < 3:
        # a plain join: few choices to draw and to shrink (the room is full: only an agent)
        kind = ParticipantKind.AGENT if full else ParticipantKind.STANDARD
        return M.Connect(identity=identity, kind=kind, permission=_GRANT)
    kind = draw(_KINDS)
    perm = draw(_CONNECT_PERMS)
    dependent = kind in (ParticipantKind.AGENT, ParticipantKind.EGRESS) or (
        perm.agent or perm.recorder
    )
    if full and not dependent:
        kind = ParticipantKind.AGENT  # the room is full: only an agent may still join
    return M.Connect(
        identity=identity,
        name=draw(_within(cfg.max_name_length)),
        metadata=draw(_within(cfg.max_metadata_size)),
        attributes=draw(_attrs_within(cfg.max_attributes_size)),
        kind=kind,
        kind_details=draw(_DETAILS),
        permission=perm,
        active=draw(st.booleans()),
        auto_subscribe=draw(st.sampled_from([None, True, False])),
    )


def _draw_name(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    return M.SetName(
        identity=pick(draw, granted(sc)), name=draw(_within(sc.config.max_name_length))
    )


def _draw_metadata(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    return M.SetMetadata(
        identity=pick(draw, granted(sc)),
        metadata=draw(_within(sc.config.max_metadata_size)),
    )


def _draw_attributes(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    return M.SetAttributes(
        identity=pick(draw, granted(sc)),
        attributes=draw(_attrs_within(sc.config.max_attributes_size)),
    )


def _draw_update(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    cfg = sc.config
    p = pick(draw, sc.people)
    return M.UpdateParticipant(
        identity=p.identity,
        name=draw(_maybe(_within(cfg.max_name_length))),
        metadata=draw(_maybe(_within(cfg.max_metadata_size))),
        attributes=draw(_maybe(_attrs_within(cfg.max_attributes_size))),
        # hidden can't change on a connected participant (design §2)
        permission=draw(_maybe(_perms(p.permission.hidden))),
    )


def _publishable(sc: Scene) -> list[tuple[str, TrackSource]]:
    return [
        (p.identity, s)
        for p in sc.people
        for s in TrackSource
        if p.permission.can_publish_source(s)
    ]


_NATURAL: Final = {
    TrackSource.MICROPHONE: TrackKind.AUDIO,
    TrackSource.SCREEN_SHARE_AUDIO: TrackKind.AUDIO,
}


def _draw_publish(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    identity, source = pick(draw, _publishable(sc))
    natural = _NATURAL.get(source, TrackKind.VIDEO)
    return M.PublishTrack(
        identity=identity,
        kind=draw(st.one_of(st.just(natural), st.sampled_from(TrackKind))),
        source=source,
        name=draw(_TRACK_NAMES),
        muted=draw(st.booleans()),
    )


def _draw_unpublish(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    t = pick(draw, sc.tracks)
    return M.UnpublishTrack(identity=t.owner, track_sid=t.sid)


def _draw_mute(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    t = pick(draw, sc.tracks)
    return M.SetTrackMuted(identity=t.owner, track_sid=t.sid, muted=draw(st.booleans()))


def _draw_server_mute(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    targets = [(t.owner, t.sid) for t in sc.tracks]
    # a track the participant lacks is accepted silently (server §5)
    targets += [(p.identity, "TR_999") for p in sc.people]
    identity, sid = pick(draw, targets)
    muted = draw(st.booleans()) if sc.config.enable_remote_unmute else True
    return M.MutePublishedTrack(identity=identity, track_sid=sid, muted=muted)


def _subscribable(sc: Scene) -> list[tuple[str, Track]]:
    return [
        (sub.identity, t)
        for sub in sc.people
        for t in sc.tracks
        if t.owner != sub.identity and not is_hidden(sc, t.owner)
    ]


def _draw_subscribed(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    identity, t = pick(draw, _subscribable(sc))
    return M.SetSubscribed(
        identity=identity, publisher=t.owner, track_sid=t.sid, subscribed=draw(st.booleans())
    )


def _draw_subscriptions(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    p = pick(draw, sc.people)
    others = [t.sid for t in sc.tracks if t.owner != p.identity]
    sids = draw(st.lists(st.sampled_from(others), max_size=3)) if others else []
    return M.UpdateSubscriptions(
        identity=p.identity, track_sids=tuple(sids), subscribe=draw(st.booleans())
    )


def _draw_sub_permissions(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    sids = [t.sid for t in sc.tracks] or ["TR_1"]
    allowed = draw(
        st.dictionaries(
            st.sampled_from(pool),
            st.none() | st.lists(st.sampled_from(sids), max_size=2).map(tuple),
            max_size=3,
        )
    )
    return M.SetTrackSubscriptionPermissions(
        identity=anyone(draw, sc), all_participants=draw(st.booleans()), allowed=allowed
    )


def _draw_data(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    server: bool = not sc.people or draw(st.booleans())
    sender = None if server else anyone(draw, sc)
    return M.SendData(
        sender=sender,
        data=draw(st.binary(max_size=8)),
        topic=draw(_TOPICS),
        reliable=draw(st.booleans()),
        destination_identities=tuple(draw(st.lists(st.sampled_from(pool), max_size=2))),
    )


def _streams(sc: Scene) -> list[tuple[str, str]]:
    video = {t.sid for t in sc.tracks if t.kind is TrackKind.VIDEO}
    return sorted(pair for pair in sc.subscribed if pair[1] in video)


def _draw_stream(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    identity, sid = pick(draw, _streams(sc))
    state = draw(_STATES)
    return M.SetStreamState(identity=identity, track_sid=sid, state=state)


_LEVELS: Final = st.one_of(st.sampled_from([0.0, 0.01, 0.0178, 0.3, 0.8, 1.0]), st.floats(0.0, 1.0))


def _draw_levels(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    who = draw(st.lists(st.sampled_from([p.identity for p in sc.people]), min_size=1, max_size=3))
    return M.SetAudioLevels(levels={i: draw(_LEVELS) for i in who})


_QUALITIES: Final = [q for q in ConnectionQuality if q is not ConnectionQuality.UNKNOWN]


def _draw_quality(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    return M.SetConnectionQuality(identity=anyone(draw, sc), quality=pick(draw, _QUALITIES))


def _audio_tracks(sc: Scene) -> list[Any]:
    return [t for t in sc.tracks if t.kind is TrackKind.AUDIO]


def _draw_push_audio(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    # pushed audio (audio §9): loud, quiet or silent 20 ms blocks at 48 kHz mono
    t = pick(draw, _audio_tracks(sc))
    amplitude = draw(st.sampled_from([0, 100, 16000]))
    blocks = draw(st.integers(0, 30))
    block = (amplitude.to_bytes(2, "little", signed=True) * 960) if amplitude else bytes(1920)
    return M.PushAudio(identity=t.owner, track_sid=t.sid, samples=block * blocks)


def _draw_advance(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    # mostly short steps (speaker and quality ticks); one in ten reaches a timeout, which may
    # end sessions or close the room (and a closed room refuses everything but time)
    cfg = sc.config
    if draw(st.integers(0, 9)) < 9:
        dt = draw(_SHORT_DT)
    else:
        timeouts = sorted(
            {cfg.departure_timeout, cfg.join_timeout, cfg.empty_timeout, cfg.quality_interval}
        )
        dt = pick(draw, timeouts)
    return M.Advance(dt=dt)


_SHORT_DT: Final = st.one_of(st.sampled_from([0.0, 0.1, 0.4, 1.0]), st.floats(0.0, 6.0))


def _draw_delete(draw: st.DrawFn, sc: Scene, pool: tuple[str, ...]) -> M.Mutation:
    return M.DeleteRoom()


VALID: Final[dict[type[M.Mutation], tuple[Check, Drawer]]] = {
    M.Connect: (always, _draw_connect),
    M.Activate: (someone, lambda d, sc, p: M.Activate(identity=anyone(d, sc))),
    M.Disconnect: (someone, lambda d, sc, p: M.Disconnect(identity=anyone(d, sc))),
    M.SetName: (lambda sc: bool(granted(sc)), _draw_name),
    M.SetMetadata: (lambda sc: bool(granted(sc)), _draw_metadata),
    M.SetAttributes: (lambda sc: bool(granted(sc)), _draw_attributes),
    M.UpdateParticipant: (someone, _draw_update),
    M.RemoveParticipant: (someone, lambda d, sc, p: M.RemoveParticipant(identity=anyone(d, sc))),
    M.UpdateRoomMetadata: (
        always,
        lambda d, sc, p: M.UpdateRoomMetadata(metadata=d(_within(sc.config.max_metadata_size))),
    ),
    M.PublishTrack: (lambda sc: bool(_publishable(sc)), _draw_publish),
    M.UnpublishTrack: (lambda sc: bool(sc.tracks), _draw_unpublish),
    M.SetTrackMuted: (lambda sc: bool(sc.tracks), _draw_mute),
    M.MutePublishedTrack: (someone, _draw_server_mute),
    M.SetSubscribed: (lambda sc: bool(_subscribable(sc)), _draw_subscribed),
    M.UpdateSubscriptions: (someone, _draw_subscriptions),
    M.SetTrackSubscriptionPermissions: (someone, _draw_sub_permissions),
    M.SendData: (always, _draw_data),
    M.SetStreamState: (lambda sc: bool(_streams(sc)), _draw_stream),
    M.SetAudioLevels: (someone, _draw_levels),
    M.SetConnectionQuality: (someone, _draw_quality),
    M.PushAudio: (lambda sc: bool(_audio_tracks(sc)), _draw_push_audio),
    M.Advance: (always, _draw_advance),
    M.DeleteRoom: (always, _draw_delete),
}


def families() -> tuple[type[M.Mutation], ...]:
    """The mutation families :func:`mutations` can draw, in ``ALL_MUTATIONS`` order."""
    return tuple(cls for cls in M.ALL_MUTATIONS if cls in VALID)


def check_families(chosen: Collection[type[M.Mutation]] | None) -> tuple[type[M.Mutation], ...]:
    if chosen is None:
        return families()
    unknown = [c for c in chosen if c not in VALID]
    if unknown:
        raise BadStrategyArgument(
            f"no strategy for {unknown!r}; pick from roomsim.strategies.families()"
        )
    return tuple(c for c in families() if c in chosen)


def check_pool(pool: Sequence[str]) -> tuple[str, ...]:
    out = tuple(pool)
    if not out or any(type(i) is not str or not i for i in out):
        raise BadStrategyArgument(f"identities={pool!r} must be non-empty strings")
    return out


def possible(sc: Scene, cls: type[M.Mutation]) -> bool:
    if sc.closed and cls is not M.Advance:
        return False  # a closed room refuses everything but time (design §2)
    return VALID[cls][0](sc)


@st.composite
def _mutation(
    draw: st.DrawFn,
    room: Room | RoomSnapshot,
    chosen: tuple[type[M.Mutation], ...],
    pool: tuple[str, ...],
) -> M.Mutation:
    sc = read_scene(room)
    options = [c for c in chosen if possible(sc, c)]
    if not options:
        return draw(st.nothing())
    cls = pick(draw, options)
    return VALID[cls][1](draw, sc, pool)


def mutations(
    room: Room | RoomSnapshot,
    *,
    families: Collection[type[M.Mutation]] | None = None,
    identities: Sequence[str] = DEFAULT_IDENTITIES,
) -> st.SearchStrategy[M.Mutation]:
    """Valid mutations for the room's state at draw time: ``room.apply`` accepts each one.

    ``families`` limits the mutation classes drawn (default: every family in
    :func:`families`); ``identities`` is the pool new participants are named from (a small pool
    makes duplicate joins likely).  Reading the room does not read its clients, so drawing
    leaves lazy delivery alone.  When nothing can be drawn (a closed room without ``Advance``
    among the families), the draw is rejected, as with ``st.nothing()``.
    """
    return _mutation(room, check_families(families), check_pool(identities))
