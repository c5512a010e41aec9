"""Participants: joining, leaving, names, metadata, attributes, permissions; the room's
metadata and its deletion (server §1, §3, §4).

Each applier checks its mutation completely, then commits through ``Server`` primitives.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from roomsim import _facts as facts
from roomsim import _faults, mutations
from roomsim import _validate as checks
from roomsim._records import (
    ParticipantRecord,
)
from roomsim._server import Server, Session
from roomsim.errors import (
    IllegalState,
    PermissionDenied,
    RoomFull,
)
from roomsim.model import (
    EMPTY_MAP,
    DisconnectReason,
    KindDetail,
    ParticipantKind,
    ParticipantSnapshot,
    ParticipantState,
    Permission,
    is_dependent,
)

#: the error code a size limit reports to a client, and through the server API
_CLIENT = "LIMIT_EXCEEDED"
_SERVER = "invalid_argument"


def apply_connect(server: Server, m: mutations.Connect) -> Session:
    return join(
        server,
        m.identity,
        m.name,
        m.metadata,
        m.attributes,
        m.kind,
        m.kind_details,
        m.permission,
        m.active,
        m.auto_subscribe,
        m.keep_events,
        m.sdk,
        m.client_protocol,
    )


def full_for(server: Server, identity: str, dependent: bool) -> bool:
    """Whether ``identity`` joining ``server``, replacing its session there if any, would pass
    ``max_participants`` (the dependent, agents and egress, are not counted)."""
    limit = server.config.max_participants
    if not limit or dependent:
        return False
    old = server.records.get(identity)
    return server.counted - (1 if old is not None and not old.dependent else 0) >= limit


def join(
    server: Server,
    identity: str,
    name: str,
    metadata: str,
    attributes: Mapping[str, str],
    kind: ParticipantKind,
    kind_details: tuple[KindDetail, ...],
    perm: Permission,
    active: bool,
    auto_subscribe: bool | None,
    keep_events: bool,
    sdk: str,
    client_protocol: int,
) -> Session:
    """A ``Connect`` whose fields passed their shape checks, field by field (its applier, and
    the fused ``Room.connect`` of ``roomsim._join``, which builds no value to check)."""
    cfg = server.config
    code = "invalid_argument"
    # the limits, in LiveKit's order; each check runs only when its value may be over
    nbytes = checks.nbytes
    if cfg.max_identity_length and len(identity) > cfg.max_identity_length // 4:
        checks.check_limit(
            nbytes(identity), cfg.max_identity_length, "the identity", "max_identity_length", code
        )
    if cfg.max_name_length and len(name) > cfg.max_name_length // 4:
        checks.check_limit(nbytes(name), cfg.max_name_length, "the name", "max_name_length", code)
    if cfg.max_metadata_size and len(metadata) > cfg.max_metadata_size // 4:
        checks.check_limit(
            nbytes(metadata), cfg.max_metadata_size, "the metadata", "max_metadata_size", code
        )
    if attributes:
        checks.check_limit(
            checks.attributes_size(attributes),
            cfg.max_attributes_size,
            "the attributes",
            "max_attributes_size",
            code,
        )
    dependent = is_dependent(kind, perm)
    if full_for(server, identity, dependent):
        raise RoomFull(
            f"can't connect {identity!r}: room {server.name!r} has reached "
            f"max_participants={cfg.max_participants} (agents and egress are not "
            "counted); remove someone, or raise RoomConfig.max_participants",
            code="JOIN_FAILURE",
        )
    # commit
    if identity in server.records:
        server.end_session(identity, DisconnectReason.DUPLICATE_IDENTITY)
    seq, sid = server.new_session()
    rec = ParticipantRecord(
        seq=seq,
        sid=sid,
        identity=identity,
        name=name,
        metadata=metadata,
        attributes=MappingProxyType({k: v for k, v in attributes.items() if v != ""})
        if attributes
        else EMPTY_MAP,
        kind=kind,
        kind_details=kind_details,
        permission=perm,
        state=ParticipantState.JOINED,
        joined_at=server.now(),
        auto_subscribe=cfg.auto_subscribe if auto_subscribe is None else auto_subscribe,
    )
    server.add_session(rec, hold=not active)
    server.peer.protocols[sid] = client_protocol
    client = server.open_session(rec, keep_events, sdk)
    server.sessions[identity] = client
    _faults.session_started(server, rec)
    if active:
        server.activate(identity)
    return client


def apply_activate(server: Server, m: mutations.Activate) -> None:
    rec = server.lookup(m.identity)
    if rec.state is ParticipantState.ACTIVE:
        return  # a second activate() changes nothing (design §2)
    server.activate(rec.identity)


def apply_disconnect(server: Server, m: mutations.Disconnect) -> None:
    rec = server.lookup(m.identity)
    server.interrupted.pop(rec.sid, None)  # a cut client that leaves stops reconnecting
    server.end_session(rec.identity, DisconnectReason.CLIENT_INITIATED)


def apply_remove_participant(server: Server, m: mutations.RemoveParticipant) -> None:
    rec = server.lookup(m.identity)
    server.end_session(rec.identity, DisconnectReason.PARTICIPANT_REMOVED)


def check_self_update(server: Server, identity: Any, verb: str) -> ParticipantRecord:
    rec = server.lookup(identity)
    if not rec.permission.can_update_metadata:
        raise PermissionDenied(
            f"{identity!r} can't {verb}: it lacks the can_update_metadata grant "
            "(it defaults to False); grant it with Permission(can_update_metadata=True), "
            "or use the server API room.update_participant()",
            code="NOT_ALLOWED",
        )
    return rec


def apply_set_name(server: Server, m: mutations.SetName) -> None:
    rec = check_self_update(server, m.identity, "set its name")
    checks.check_limit(
        checks.nbytes(m.name), server.config.max_name_length, "the name", "max_name_length", _CLIENT
    )
    _faults.claims_changed(server, rec, server.commit_name(rec, m.name))


def apply_set_metadata(server: Server, m: mutations.SetMetadata) -> None:
    rec = check_self_update(server, m.identity, "set its metadata")
    checks.check_limit(
        checks.nbytes(m.metadata),
        server.config.max_metadata_size,
        "the metadata",
        "max_metadata_size",
        _CLIENT,
    )
    _faults.claims_changed(server, rec, server.commit_metadata(rec, m.metadata))


def apply_set_attributes(server: Server, m: mutations.SetAttributes) -> None:
    rec = server.records.get(m.identity)
    if rec is None or not rec.permission.can_update_metadata:  # the hot verb: one lookup
        rec = check_self_update(server, m.identity, "set its attributes")
    limit = server.config.max_attributes_size
    if limit:
        checks.check_limit(
            checks.attributes_size(m.attributes),
            limit,
            "the attribute update",
            "max_attributes_size",
            _CLIENT,
        )
    _faults.claims_changed(
        server, rec, server.commit_attributes(rec, m.attributes), bool(m.attributes)
    )


def apply_update_participant(server: Server, m: mutations.UpdateParticipant) -> ParticipantSnapshot:
    """Returns the participant as it is right after this commit (before any handler runs)."""
    cfg = server.config
    # the server API checks the limits before the lookup: name, metadata, attributes
    if m.name is not None:
        checks.check_limit(
            checks.nbytes(m.name), cfg.max_name_length, "the name", "max_name_length", _SERVER
        )
    if m.metadata is not None:
        checks.check_limit(
            checks.nbytes(m.metadata),
            cfg.max_metadata_size,
            "the metadata",
            "max_metadata_size",
            _SERVER,
        )
    if m.attributes is not None:
        checks.check_limit(
            checks.attributes_size(m.attributes),
            cfg.max_attributes_size,
            "the attribute update",
            "max_attributes_size",
            _SERVER,
        )
    rec = server.lookup(m.identity)
    if m.permission is not None and m.permission.hidden != rec.permission.hidden:
        raise IllegalState(
            f"can't change hidden on connected participant {rec.identity!r}: LiveKit's "
            "behaviour there is unconfirmed (server, open items); connect it again "
            "with the permission you want",
            code="failed_precondition",
        )
    # commit: name, metadata, attributes, permission, each its own update (server §1)
    if m.name is not None:
        rec = _faults.claims_changed(server, rec, server.commit_name(rec, m.name))
    if m.metadata is not None:
        rec = _faults.claims_changed(server, rec, server.commit_metadata(rec, m.metadata))
    if m.attributes is not None:
        after = server.commit_attributes(rec, m.attributes)
        rec = _faults.claims_changed(server, rec, after, bool(m.attributes))
    if m.permission is not None and m.permission != rec.permission:
        server.commit_permission(rec, m.permission)
        _faults.claims_changed(server, rec, server.records[rec.identity], True)
    return server.records[rec.identity].snapshot()


def apply_update_room_metadata(server: Server, m: mutations.UpdateRoomMetadata) -> None:
    checks.check_limit(
        checks.nbytes(m.metadata),
        server.config.max_metadata_size,
        "the room metadata",
        "max_metadata_size",
        _SERVER,
    )
    if m.metadata == server.metadata:
        return
    old, server.metadata = server.metadata, m.metadata
    server.append(facts.RoomMetadata(old, m.metadata, server.now()))


def apply_delete(server: Server, m: mutations.DeleteRoom) -> None:
    server.close(DisconnectReason.ROOM_DELETED)
