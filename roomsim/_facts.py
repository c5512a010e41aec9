"""Facts: what a commit appends to a room's fact log, each carrying what a projection needs.

A fact about a participant carries its record before and after the change, so a client can be
shown the room as it was at its own cursor (``FactLog.records_at``) and a projection never needs
more than the fact and the client's own record (design §1).
"""

from __future__ import annotations

from collections.abc import Mapping

from roomsim._quality import JoinOrder, QualityView
from roomsim._records import ParticipantRecord, SubChange, TrackRecord
from roomsim.model import DataPacketKind, DisconnectReason, InterruptKind, StreamState

# --------------------------------------------------------------------------------------------
# facts


class Fact:
    """A room-level fact appended by a commit; projections turn facts into events."""

    __slots__ = ("after", "before", "subject", "time")

    subject: str | None
    before: ParticipantRecord | None
    after: ParticipantRecord | None
    time: float

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in _all_slots(type(self)))
        return f"{type(self).__name__}({fields})"


def _all_slots(cls: type) -> list[str]:
    out: list[str] = []
    for klass in reversed(cls.__mro__):
        out.extend(getattr(klass, "__slots__", ()))
    return out


class ParticipantFact(Fact):
    """A fact about one participant session: its record before and after."""

    __slots__ = ()

    def __init__(
        self, before: ParticipantRecord | None, after: ParticipantRecord | None, time: float
    ) -> None:
        rec = after if after is not None else before
        assert rec is not None
        self.subject = rec.identity
        self.before = before
        self.after = after
        self.time = time

    @property
    def rec(self) -> ParticipantRecord:
        rec = self.after if self.after is not None else self.before
        assert rec is not None
        return rec


class SubscriberFact(ParticipantFact):
    """A fact that changes what the subject receives: ``subs`` are its subscription changes,
    each (publisher, track sid, subscribed or None, permission status or None)."""

    __slots__ = ("subs",)

    def __init__(
        self,
        before: ParticipantRecord,
        after: ParticipantRecord,
        time: float,
        subs: tuple[SubChange, ...],
    ) -> None:
        super().__init__(before, after, time)
        self.subs = subs


class Joined(ParticipantFact):
    """A new session is in the room (JOINED)."""

    __slots__ = ()


class Activated(SubscriberFact):
    """A session became ACTIVE; ``subs`` are the subscriptions it gained then."""

    __slots__ = ()


class Left(ParticipantFact):
    """A session ended (its tracks were removed by earlier facts)."""

    __slots__ = ("reason",)

    def __init__(self, before: ParticipantRecord, time: float, reason: DisconnectReason) -> None:
        super().__init__(before, None, time)
        self.reason = reason


class NameChanged(ParticipantFact):
    __slots__ = ()


class MetadataChanged(ParticipantFact):
    __slots__ = ()


class AttributesChanged(ParticipantFact):
    __slots__ = ("changed",)

    def __init__(
        self,
        before: ParticipantRecord,
        after: ParticipantRecord,
        time: float,
        changed: Mapping[str, str],
    ) -> None:
        # ParticipantFact.__init__ inlined: this is the hottest fact
        self.subject = after.identity
        self.before = before
        self.after = after
        self.time = time
        self.changed = changed


class PermissionChanged(SubscriberFact):
    """The permission set changed; ``subs`` are the subject's own subscription changes."""

    __slots__ = ()


class TrackFact(ParticipantFact):
    """A fact about one of the subject's tracks."""

    __slots__ = ("track",)

    def __init__(
        self, before: ParticipantRecord, after: ParticipantRecord, time: float, track: TrackRecord
    ) -> None:
        super().__init__(before, after, time)
        self.track = track


class TrackAdded(TrackFact):
    """The subject published a track."""

    __slots__ = ()


class TrackClosing(TrackFact):
    """Subscribers lose the track; it is still published."""

    __slots__ = ()


class TrackRemoved(ParticipantFact):
    """The track is gone; ``silent`` when its publisher is leaving (no local event);
    ``by_server`` when the server unpublished it (client §16.2)."""

    __slots__ = ("by_server", "silent", "track")

    def __init__(
        self,
        before: ParticipantRecord,
        after: ParticipantRecord,
        time: float,
        track: TrackRecord,
        silent: bool,
        by_server: bool = False,
    ) -> None:
        super().__init__(before, after, time)
        self.track = track
        self.silent = silent
        self.by_server = by_server


class TrackMuteChanged(TrackFact):
    """The subject's track was muted or unmuted (``track`` is the new state)."""

    __slots__ = ()


class ServerMuteChanged(TrackMuteChanged):
    """The server API (``MutePublishedTrack``) muted or unmuted the subject's track."""

    __slots__ = ()


class FirstSubscribed(TrackFact):
    """A track's first non-hidden subscriber bound: its publisher is told once."""

    __slots__ = ()


class SubscriptionChanged(SubscriberFact):
    """The subject (a subscriber) changed what it wants; ``subs`` are its actual changes.

    Each entry of ``subs`` is (publisher, track sid, subscribed or None, permission event or
    None): the subscription that started or ended, and the permission status the subscriber is
    told about.  ``off`` are the tracks the subscriber itself asked to stop receiving, changed
    or not: an SDK that still shows one of them subscribed ends it then (client §16.1).
    """

    __slots__ = ("off",)

    def __init__(
        self,
        before: ParticipantRecord,
        after: ParticipantRecord,
        time: float,
        subs: tuple[SubChange, ...],
        off: tuple[str, ...] = (),
    ) -> None:
        super().__init__(before, after, time, subs)
        self.off = off


class ServerSubscriptionChanged(SubscriptionChanged):
    """The server API (``UpdateSubscriptions``) changed what the subject receives."""

    __slots__ = ()


class SubPermissionsChanged(ParticipantFact):
    """The subject (a publisher) replaced its subscription permissions."""

    __slots__ = ()


class StreamStateChanged(Fact):
    """The network paused or resumed a track for one subscriber (a fact for it alone)."""

    __slots__ = ("publisher", "state", "subscriber_sid", "track_sid")

    def __init__(
        self, subscriber_sid: str, publisher: str, track_sid: str, state: StreamState, time: float
    ) -> None:
        self.subject = None
        self.before = None
        self.after = None
        self.time = time
        self.subscriber_sid = subscriber_sid
        self.publisher = publisher
        self.track_sid = track_sid
        self.state = state


class MediaChanged(ParticipantFact):
    """The media layer changed a record (speaking, level, quality): no event of its own."""

    __slots__ = ()


class SpeakersChanged(Fact):
    """A speaker update (server §7): ``changes`` are (identity, level, active), the new
    and changed speakers loudest first, then those that stopped."""

    __slots__ = ("changes",)

    def __init__(self, changes: tuple[tuple[str, float, bool], ...], time: float) -> None:
        self.subject = None
        self.before = None
        self.after = None
        self.time = time
        self.changes = changes


class QualityUpdate(Fact):
    """A connection-quality update (server §8): every ACTIVE participant's quality; each
    ACTIVE client receives its own and those it subscribes to.  ``qualities`` is a view of the
    server's quality history at this update (``_quality``): a lookup costs what changed."""

    __slots__ = ("qualities",)

    def __init__(self, qualities: QualityView, time: float) -> None:
        self.subject = None
        self.before = None
        self.after = None
        self.time = time
        self.qualities = qualities

    def order(self) -> JoinOrder:
        """identity -> a key that sorts this update's identities in join order."""
        return self.qualities.order()


class RoomMetadata(Fact):
    __slots__ = ("new", "old")

    def __init__(self, old: str, new: str, time: float) -> None:
        self.subject = None
        self.before = None
        self.after = None
        self.time = time
        self.old = old
        self.new = new


class Data(Fact):
    """A data packet from ``sender`` (None: the server); ``hidden`` senders arrive anonymous."""

    __slots__ = ("data", "destinations", "hidden", "kind", "sender", "sender_sid", "topic")

    def __init__(
        self,
        sender: ParticipantRecord | None,
        data: bytes,
        topic: str | None,
        kind: DataPacketKind,
        destinations: frozenset[str] | None,
        time: float,
    ) -> None:
        self.subject = None
        self.before = None
        self.after = None
        self.time = time
        self.sender = sender.identity if sender is not None else None
        self.sender_sid = sender.sid if sender is not None else None
        self.hidden = sender is not None and sender.permission.hidden
        self.data = data
        self.topic = topic
        self.kind = kind
        self.destinations = destinations


class RpcRequested(Fact):
    """An RPC request reached ``callee`` (session ``callee_sid``) whose SDK has a handler for
    its method: the callee's handler runs in dispatch (rpc-and-streams §6)."""

    __slots__ = ("callee", "callee_sid", "caller_protocol", "invocation")

    def __init__(
        self, callee: str, callee_sid: str, invocation: object, caller_protocol: int, time: float
    ) -> None:
        self.subject = None
        self.before = None
        self.after = None
        self.time = time
        self.callee = callee
        self.callee_sid = callee_sid
        #: the ``roomsim.rpc.RpcInvocation`` the handler gets
        self.invocation = invocation
        #: what the callee's SDK knows of the caller's protocol (0 for a hidden caller)
        self.caller_protocol = caller_protocol


class StreamPackets(Fact):
    """Data-stream packets from ``sender``, routed as data packets are (rpc-and-streams §1)."""

    __slots__ = ("destinations", "hidden", "packets", "sender", "sender_sid")

    def __init__(
        self,
        sender: ParticipantRecord,
        packets: tuple[object, ...],
        destinations: frozenset[str] | None,
        time: float,
    ) -> None:
        self.subject = None
        self.before = None
        self.after = None
        self.time = time
        self.sender = sender.identity
        self.sender_sid = sender.sid
        self.hidden = sender.permission.hidden
        self.packets = packets
        self.destinations = destinations


# --------------------------------------------------------------------------------------------
# faults (faults §2, §4): the subject's connection, not its record, changes


class Interrupted(ParticipantFact):
    """The subject's client lost its connection (``kind``) and starts reconnecting."""

    __slots__ = ("kind",)

    def __init__(self, rec: ParticipantRecord, time: float, kind: InterruptKind) -> None:
        super().__init__(rec, rec, time)
        self.kind = kind


class Resumed(ParticipantFact):
    """The subject's client resumed its session (same sid)."""

    __slots__ = ()

    def __init__(self, rec: ParticipantRecord, time: float) -> None:
        super().__init__(rec, rec, time)


class GaveUp(Fact):
    """The client of session ``sid`` stopped reconnecting (a fact for it alone; the server
    may have closed the session already)."""

    __slots__ = ("identity", "reason", "sid")

    def __init__(self, identity: str, sid: str, reason: DisconnectReason, time: float) -> None:
        self.subject = None
        self.before = None
        self.after = None
        self.time = time
        self.identity = identity
        self.sid = sid
        self.reason = reason


class Restarting(Fact):
    """The client of session ``sid`` leaves it to join again (a full reconnect, faults §3):
    a fact for it alone; ``known`` are the other participants it knew, which it tears down."""

    __slots__ = ("identity", "known", "sid")

    def __init__(
        self, identity: str, sid: str, known: tuple[ParticipantRecord, ...], time: float
    ) -> None:
        self.subject = None
        self.before = self.after = None
        self.identity = identity
        self.sid = sid
        self.known = known
        self.time = time


class Restarted(ParticipantFact):
    """The client that left ``old_sid`` has joined again as the subject (a new sid): the
    others in its JoinResponse, its republished tracks (old sid, new sid) and the tracks it is
    subscribed to (publisher identity, track sid), for it alone (faults §3.3)."""

    __slots__ = ("old_sid", "others", "republished", "subs")

    def __init__(
        self,
        rec: ParticipantRecord,
        old_sid: str,
        others: tuple[ParticipantRecord, ...],
        republished: tuple[tuple[str, str], ...],
        subs: tuple[tuple[ParticipantRecord, str], ...],
        time: float,
    ) -> None:
        super().__init__(rec, rec, time)
        self.old_sid = old_sid
        self.others = others
        self.republished = republished
        self.subs = subs


class TokenRefresh(ParticipantFact):
    """The server sent the subject's client a refreshed token on its schedule (faults §7)."""

    __slots__ = ()

    def __init__(self, rec: ParticipantRecord, time: float) -> None:
        super().__init__(rec, rec, time)


class Moved(ParticipantFact):
    """The server moved the client of ``old_sid`` into this room as the subject (a new sid,
    faults §5), a fact for it alone: the others it knew in the room it left (``known``), the
    room's participants now (``others``), its tracks (old sid, new sid), its own subscription
    changes as it became ACTIVE here (``subs``), and the two rooms' metadata."""

    __slots__ = (
        "known",
        "new_metadata",
        "old_metadata",
        "old_sid",
        "others",
        "republished",
        "room",
        "subs",
    )

    def __init__(
        self,
        rec: ParticipantRecord,
        old_sid: str,
        known: tuple[ParticipantRecord, ...],
        others: tuple[ParticipantRecord, ...],
        republished: tuple[tuple[str, str], ...],
        subs: tuple[SubChange, ...],
        room: str,
        metadata: tuple[str, str],
        time: float,
    ) -> None:
        super().__init__(rec, rec, time)
        self.old_sid = old_sid
        self.known = known
        self.others = others
        self.republished = republished
        self.subs = subs
        self.room = room
        self.old_metadata, self.new_metadata = metadata
