"""``Room``'s fault and closing verbs: simulation controls for lost connections, the server's
own shutdown, and ``DeleteRoom`` (faults §2, §4, §6).  ``Room`` inherits them, so ``room.py``
stays a thin facade."""

from __future__ import annotations

from typing import Any

from roomsim import _faults, mutations
from roomsim._room_move import MoveVerbs
from roomsim._server import Server
from roomsim.model import InterruptKind

__all__ = ["FaultVerbs"]


class FaultVerbs(MoveVerbs):
    """The verbs ``Room`` gets for faults; each builds a mutation and applies it."""

    __slots__ = ()
    _server: Server

    @property
    def reconnecting(self) -> tuple[str, ...]:
        """Identities of the participants whose client is reconnecting now (interrupted, not
        yet resumed, and not given up), in join order."""
        return _faults.reconnecting(self._server)

    def apply(self, mutation: mutations.Mutation) -> Any:  # pragma: no cover - Room's
        raise NotImplementedError

    def interrupt(
        self,
        identity: str,
        *,
        kind: InterruptKind = InterruptKind.SIGNAL,
        resume_after: float | None = None,
    ) -> None:
        """Cut ``identity``'s connection: its client emits ``reconnecting`` and tries to resume.

        ``kind=SIGNAL`` cuts only the WebSocket: media and data channels stay up and nobody
        else notices.  ``kind=NETWORK`` cuts everything: data to it is held (reliable) or lost
        (lossy), and the server closes the session with CONNECTION_TIMEOUT 20 s later unless
        it resumed.  ``resume_after=s`` resumes it ``s`` virtual seconds later (as
        ``resume()``; after the server closed the session, that is a new session, faults
        §4.3); without it, the client gives up 44.3 s after the cut
        (``disconnected(UNKNOWN_REASON)``).  A simulation control (faults §9).

        >>> from roomsim import Room
        >>> room = Room("r")
        >>> alice = room.connect("alice")
        >>> room.interrupt("alice", resume_after=2.0)
        >>> [e.name for e in alice.drain()]
        ['connection_state_changed', 'reconnecting']
        >>> room.advance(2.0)
        >>> [e.name for e in alice.drain()]
        ['token_refreshed', 'connection_state_changed', 'reconnected']
        """
        self.apply(mutations.Interrupt(identity=identity, kind=kind, resume_after=resume_after))

    def resume(self, identity: str) -> None:
        """The interrupted client gets through again and resumes its session (same sid): it
        receives what it missed, a fresh token, then ``reconnected`` (faults §2).  If the
        server closed the session meanwhile, the resume is refused and the client joins again
        as a new session, as ``reconnect()`` (faults §4.3)."""
        self.apply(mutations.Resume(identity=identity))

    def reconnect(self, identity: str) -> None:
        """``identity``'s client does a full reconnect (faults §3): it leaves its session
        (others see it leave with CLIENT_INITIATED) and joins again under a new sid, with its
        tracks republished under new sids and its subscriptions restored by auto-subscribe.
        Its own client tears down what it knew and emits ``reconnecting``, the room again,
        ``local_track_republished`` per track (Python) and ``reconnected``.  Works on a
        connected client or one that is reconnecting (a resume that failed), also after the
        server closed its session while it was away (faults §4.3)."""
        self.apply(mutations.Reconnect(identity=identity))

    def delete(self) -> None:
        """Server API ``DeleteRoom``: everyone leaves with ROOM_DELETED and the room closes."""
        self.apply(mutations.DeleteRoom())

    def shutdown(self) -> None:
        """The server node stops (a forced stop): everyone leaves with SERVER_SHUTDOWN and the
        room closes, as ``delete()`` closes it (faults §6)."""
        self.apply(mutations.ShutdownServer())
