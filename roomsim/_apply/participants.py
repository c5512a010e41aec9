"""Participants: joining, leaving, names, metadata, attributes, permissions; the room's
metadata and its deletion (server §1, §3, §4).

Each applier checks its mutation completely, then commits through ``Server`` primitives.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from roomsim import _facts as facts
from roomsim import _validate as checks
from roomsim import mutations
from roomsim._records import (
    ParticipantRecord,
)
from roomsim._server import Server, Session
from roomsim.errors import (
    IllegalState,
    InvalidType,
    PermissionDenied,
    RoomFull,
)
from roomsim.model import (
    DisconnectReason,
    KindDetail,
    ParticipantKind,
    ParticipantState,
    Permission,
    is_dependent,
)

#: the error code a size limit reports to a client, and through the server API
_CLIENT = "LIMIT_EXCEEDED"
_SERVER = "invalid_argument"


def apply_connect(server: Server, m: mutations.Connect) -> Session:
    cfg = server.config
    identity = checks.check_identity(m.identity, "connect(identity=...)")
    checks.check_str(m.name, "connect(name=...)")
    checks.check_str(m.metadata, "connect(metadata=...)")
    checks.check_attributes(m.attributes, "connect(attributes=...)")
    checks.check_enum(m.kind, ParticipantKind, "connect(kind=...)")
    if not isinstance(m.kind_details, tuple):
        raise InvalidType(
            f"connect(kind_details=...) must be a tuple of KindDetail, got "
            f"{m.kind_details!r} (type {type(m.kind_details).__name__})"
        )
    for d in m.kind_details:
        checks.check_enum(d, KindDetail, "connect(kind_details=...) entry")
    if not isinstance(m.permission, Permission):
        raise InvalidType(
            f"connect(permission=...) must be a Permission, got {m.permission!r} "
            f"(type {type(m.permission).__name__})"
        )
    checks.check_bool(m.active, "connect(active=...)")
    if m.auto_subscribe is not None:
        checks.check_bool(m.auto_subscribe, "connect(auto_subscribe=...)")
    checks.check_bool(m.keep_events, "connect(keep_events=...)")
    code = "invalid_argument"
    checks.check_limit(
        checks.nbytes(identity),
        cfg.max_identity_length,
        "the identity",
        "max_identity_length",
        code,
    )
    checks.check_limit(
        checks.nbytes(m.name), cfg.max_name_length, "the name", "max_name_length", code
    )
    checks.check_limit(
        checks.nbytes(m.metadata), cfg.max_metadata_size, "the metadata", "max_metadata_size", code
    )
    checks.check_limit(
        checks.attributes_size(m.attributes),
        cfg.max_attributes_size,
        "the attributes",
        "max_attributes_size",
        code,
    )
    perm = m.permission
    dependent = is_dependent(m.kind, perm)
    if cfg.max_participants and not dependent:
        old = server.records.get(identity)
        counted = server.counted - (1 if old is not None and not old.dependent else 0)
        if counted >= cfg.max_participants:
            raise RoomFull(
                f"can't connect {identity!r}: room {server.name!r} has reached "
                f"max_participants={cfg.max_participants} (agents and egress are not "
                "counted); remove someone, or raise RoomConfig.max_participants",
                code="JOIN_FAILURE",
            )
    # commit
    if identity in server.records:
        server.end_session(identity, DisconnectReason.DUPLICATE_IDENTITY)
    server.seq += 1
    sid = f"PA_{server.next_pa}"
    server.next_pa += 1
    rec = ParticipantRecord(
        seq=server.seq,
        sid=sid,
        identity=identity,
        name=m.name,
        metadata=m.metadata,
        attributes=MappingProxyType({k: v for k, v in m.attributes.items() if v != ""}),
        kind=m.kind,
        kind_details=m.kind_details,
        permission=perm,
        state=ParticipantState.JOINED,
        joined_at=server.now(),
        auto_subscribe=cfg.auto_subscribe if m.auto_subscribe is None else m.auto_subscribe,
    )
    server.add_session(rec, hold=not m.active)
    client = server.open_session(rec, m.keep_events)
    server.sessions[identity] = client
    if m.active:
        server.activate(identity)
    return client


def apply_activate(server: Server, m: mutations.Activate) -> None:
    rec = server.lookup(m.identity)
    if rec.state is ParticipantState.ACTIVE:
        return  # a second activate() changes nothing (design §2)
    server.activate(rec.identity)


def apply_disconnect(server: Server, m: mutations.Disconnect) -> None:
    rec = server.lookup(m.identity)
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
    checks.check_str(m.name, "set_name(name=...)")
    rec = check_self_update(server, m.identity, "set its name")
    checks.check_limit(
        checks.nbytes(m.name), server.config.max_name_length, "the name", "max_name_length", _CLIENT
    )
    server.commit_name(rec, m.name)


def apply_set_metadata(server: Server, m: mutations.SetMetadata) -> None:
    checks.check_str(m.metadata, "set_metadata(metadata=...)")
    rec = check_self_update(server, m.identity, "set its metadata")
    checks.check_limit(
        checks.nbytes(m.metadata),
        server.config.max_metadata_size,
        "the metadata",
        "max_metadata_size",
        _CLIENT,
    )
    server.commit_metadata(rec, m.metadata)


def apply_set_attributes(server: Server, m: mutations.SetAttributes) -> None:
    checks.check_attributes(m.attributes, "set_attributes(attributes=...)")
    rec = check_self_update(server, m.identity, "set its attributes")
    checks.check_limit(
        checks.attributes_size(m.attributes),
        server.config.max_attributes_size,
        "the attribute update",
        "max_attributes_size",
        _CLIENT,
    )
    server.commit_attributes(rec, m.attributes)


def apply_update_participant(server: Server, m: mutations.UpdateParticipant) -> None:
    cfg = server.config
    checks.check_opt_str(m.name, "update_participant(name=...)")
    checks.check_opt_str(m.metadata, "update_participant(metadata=...)")
    if m.attributes is not None:
        checks.check_attributes(m.attributes, "update_participant(attributes=...)")
    if m.permission is not None and not isinstance(m.permission, Permission):
        raise InvalidType(
            f"update_participant(permission=...) must be a Permission, got "
            f"{m.permission!r} (type {type(m.permission).__name__})"
        )
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
        rec = server.commit_name(rec, m.name)
    if m.metadata is not None:
        rec = server.commit_metadata(rec, m.metadata)
    if m.attributes is not None:
        rec = server.commit_attributes(rec, m.attributes)
    if m.permission is not None and m.permission != rec.permission:
        server.commit_permission(rec, m.permission)


def apply_update_room_metadata(server: Server, m: mutations.UpdateRoomMetadata) -> None:
    checks.check_str(m.metadata, "update_room_metadata(metadata=...)")
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
