"""The fused ``Room.connect`` and ``Client.publish_track``: each in one pass, when it is safe
(issue 21, "cheap rooms").

The general path builds the mutation (a twelve-field ``Connect``, a ``PublishTrack``) by
keywords, checks every field's shape on it (``Mutation.checked``), then ``Room.apply`` finds
its applier and commits.  Here, when every argument passes its shape check's fast path as it
is (str that are ASCII, no attributes, no kind details, a ``Permission`` or None, enum members,
bools, a known SDK, a valid protocol), the client is live, and the room is open and owned by
the calling thread, the arguments go straight to the applier's body
(``_apply.participants.join``, ``_apply.tracks.publish``) and the time log gets an equal
mutation built positionally (none at all with ``keep_log=False``).  Anything else takes the
general path, which raises what it raises; ``FUSED = False`` forces it
(``tests/unit/test_join.py`` compares both).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from roomsim import mutations as M
from roomsim._apply import tracks
from roomsim._apply.participants import join
from roomsim._profiles import PROFILES
from roomsim._validate import CLIENT_PROTOCOLS
from roomsim.model import (
    DEFAULT_PERMISSION,
    EMPTY_MAP,
    ParticipantKind,
    Permission,
    TrackKind,
    TrackSource,
)

if TYPE_CHECKING:
    from roomsim.client import Client
    from roomsim.room import Room

__all__ = ["FUSED", "connect", "positional", "publish"]

#: False: every ``connect`` takes the general path (the equivalence tests switch it)
FUSED = True

_current_thread = threading.current_thread


def positional(kind: type[Any]) -> Callable[..., Any]:
    """A positional constructor of the frozen, slotted attrs class ``kind`` (fields in attrs'
    order) that stores each field through its slot's descriptor, as the generated
    ``__init__`` does, without its keyword arguments (for the fused verbs' values)."""
    names = [a.name for a in attrs.fields(kind)]
    namespace: dict[str, Any] = {f"_set_{n}": kind.__dict__[n].__set__ for n in names}
    namespace.update(_new=object.__new__, _kind=kind)
    body = "".join(f"\n    _set_{n}(m, {n})" for n in names)
    source = f"def make({', '.join(names)}):\n    m = _new(_kind){body}\n    return m\n"
    exec(compile(source, f"<roomsim fused {kind.__name__}>", "exec"), namespace)
    make: Callable[..., Any] = namespace["make"]
    return make


_connect = positional(M.Connect)
_publish_track = positional(M.PublishTrack)


def connect(
    room: Room,
    identity: Any,
    name: Any,
    metadata: Any,
    attributes: Mapping[str, str] | None,
    kind: Any,
    kind_details: Any,
    permission: Permission | None,
    active: Any,
    auto_subscribe: Any,
    keep_events: Any,
    sdk: Any,
    client_protocol: Any,
) -> Client:
    """``Room.connect``'s join (its ``on`` handlers already with the room)."""
    perm = DEFAULT_PERMISSION if permission is None else permission
    if not (
        FUSED
        and type(identity) is str
        and identity
        and identity.isascii()
        and type(name) is str
        and name.isascii()
        and type(metadata) is str
        and metadata.isascii()
        and attributes is None
        and type(kind) is ParticipantKind
        and type(kind_details) is tuple
        and not kind_details
        and type(perm) is Permission
        and type(active) is bool
        and (auto_subscribe is None or type(auto_subscribe) is bool)
        and type(keep_events) is bool
        and type(sdk) is str
        and sdk in PROFILES
        and type(client_protocol) is int
        and client_protocol in CLIENT_PROTOCOLS
        and _current_thread() is room._owner
        and not room._server.closed
    ):
        client: Client = room.apply(
            M.Connect(
                identity=identity,
                name=name,
                metadata=metadata,
                attributes=attributes if attributes is not None else EMPTY_MAP,
                kind=kind,
                kind_details=kind_details,
                permission=perm,
                active=active,
                auto_subscribe=auto_subscribe,
                keep_events=keep_events,
                client_protocol=client_protocol,
                sdk=sdk,
            )
        )
        return client
    # what Room.apply does for a checked Connect, with the applier's body called directly
    args = (
        identity,
        name,
        metadata,
        EMPTY_MAP,
        kind,
        (),
        perm,
        active,
        auto_subscribe,
        keep_events,
        sdk,
        client_protocol,
    )
    return _commit(room, join, args, _connect)  # type: ignore[no-any-return]


def publish(client: Client, kind: Any, source: Any, name: Any, muted: Any) -> str:
    """``Client.publish_track``."""
    room, identity = client._room, client.identity
    if not (
        FUSED
        and type(kind) is TrackKind
        and type(source) is TrackSource
        and type(name) is str
        and name.isascii()
        and type(muted) is bool
        and not client._gone
        and identity.isascii()
        and _current_thread() is room._owner
        and not room._server.closed
    ):
        m = M.PublishTrack(identity=identity, kind=kind, source=source, name=name, muted=muted)
        sid: str = client._apply("publish_track", m)
        return sid
    return _commit(  # type: ignore[no-any-return]
        room, tracks.publish, (identity, kind, source, name, muted), _publish_track
    )


def _commit(
    room: Room, apply: Callable[..., Any], args: tuple[Any, ...], make: Callable[..., Any]
) -> Any:
    """What ``Room.apply`` does with a checked mutation whose fields are ``args``: the
    applier's body called with them, the time log, then delivery (the outermost verb)."""
    room._depth += 1
    try:
        result = apply(room._server, *args)
        t = room._time
        if t.keep_log:
            t.record(make(*args))
    finally:
        room._depth -= 1
    room._settle()
    return result
