"""``Room.move_participant`` and the seam that hands a client to another room (faults §5).

``Room`` inherits ``MoveVerbs`` (through ``FaultVerbs``).  The move itself is
``roomsim._apply.move``; it calls ``rebind`` (installed as ``REBIND``) at its commit, when the
client has read every fact of the source room: from then on the client reads the destination's
log, from the ``Moved`` fact the applier appends next.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roomsim import mutations
from roomsim._apply.move import REBIND
from roomsim._server import Server, Session

if TYPE_CHECKING:
    from roomsim.client import Client

__all__ = ["MoveVerbs", "check_thread", "rebind"]


class MoveVerbs:
    """The move verb ``Room`` gets."""

    __slots__ = ()

    def apply(self, mutation: mutations.Mutation) -> Any:  # pragma: no cover - Room's
        raise NotImplementedError

    def move_participant(self, identity: str, destination_room: str) -> None:
        """Server API ``MoveParticipant`` (faults §5): ``identity`` leaves this room (others see
        it leave) and goes on in the room named ``destination_room`` on this room's clock,
        under a new sid, with its client, claims and tracks (the tracks under new sids).

        >>> from roomsim import Room
        >>> lobby = Room("lobby")
        >>> stage = Room("stage", clock=lobby.clock)
        >>> alice, bob = lobby.connect("alice"), stage.connect("bob")
        >>> lobby.move_participant("alice", "stage")
        >>> alice.room is stage, [e.name for e in alice.drain()][-3:]
        (True, ['participant_active', 'room_updated', 'moved'])
        """
        self.apply(mutations.MoveParticipant(identity=identity, destination_room=destination_room))


def rebind(session: Session, dest: Server) -> None:
    """Hand ``session``'s client, caught up with its room, to ``dest``'s room: it leaves the
    source log's readers and reads ``dest``'s log from its end, in its new join order."""
    client: Client = session  # type: ignore[assignment]
    source = client._facts
    source.make_lazy(client)
    source.readers.remove(client)
    # the room that made ``dest``'s server is the one whose sessions it opens
    client._room = dest.open_session.__self__  # type: ignore[attr-defined]
    client._server = dest
    client._facts = dest.log
    client._cursor = dest.log.end
    client._seq = dest.records[client.identity].seq
    client._room_metadata = dest.metadata
    dest.log.add_reader(client)
    if client._handlers:
        dest.log.make_eager(client)


def check_thread(dest: Server) -> None:
    """Refuse (``IllegalState``, as any verb of ``dest``'s room) unless the calling thread
    owns ``dest``'s room: the move changes it."""
    dest.open_session.__self__._check_thread()  # type: ignore[attr-defined]


REBIND.fn = rebind
REBIND.check = check_thread
