"""An in-process stand-in for ``livekit.rtc``'s FFI client, backed by roomsim rooms.

``livekit.rtc`` talks to its Rust core through one door (client §14):
``FfiClient.instance.request(FfiRequest) -> FfiResponse``, answered later, for asynchronous
requests, by an ``FfiEvent`` carrying the same ``async_id`` on ``FfiClient.instance.queue``;
room events arrive on the same queue as ``FfiEvent(room_event=RoomEvent(room_handle=...))`` and
the SDK's own listen task applies them.  :class:`InProcessFfi` answers those requests: each verb
becomes the roomsim verb of the same meaning on the session's ``Client``, and every event that
client receives is queued as the ``RoomEvent`` the Rust core would send.

Every answer is queued synchronously inside ``request()`` (the SDK subscribes before it asks, and
the queue delivers through the event loop), so nothing waits on time.  A request that roomsim
does not simulate is answered the way the SDK reports a failure: the callback's ``error``, or the
response's ``error``, or, where the protocol has neither, :class:`NotSimulated` raised by
``request()``; never silence that would leave the SDK waiting.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

import attrs
from livekit import rtc
from livekit.rtc._ffi_client import FfiQueue
from livekit.rtc._proto import ffi_pb2 as _ff
from livekit.rtc._proto import handle_pb2 as _fh
from livekit.rtc._proto import participant_pb2 as _fp
from livekit.rtc._proto import room_pb2 as _fr
from livekit.rtc._proto import track_pb2 as _ft
from livekit.rtc._proto import video_frame_pb2 as _fv

from roomsim import events as E
from roomsim.client import Client
from roomsim.errors import HandlerError, RoomsimError
from roomsim.livekit._convert import RoomInfo, enum_from_rtc, to_rtc
from roomsim.livekit._ffi_audio import FfiAudio
from roomsim.livekit._ffi_handoff import Handoff
from roomsim.livekit._ffi_rpc import RpcRequests
from roomsim.livekit._ffi_streams import StreamRequests
from roomsim.livekit._rtc_events import FED_EVENTS, MOVE_EVENTS, Encoder, ffi_room_event
from roomsim.livekit._tokens import TokenRefused, verify_token
from roomsim.model import DisconnectReason, TrackKind, TrackSource

if TYPE_CHECKING:
    from roomsim.livekit._serve import LiveKitServer

__all__ = ["InProcessFfi", "NotSimulated", "NOT_SIMULATED_REQUESTS"]


class NotSimulated(RoomsimError, NotImplementedError):
    """An SDK request roomsim does not simulate, with no error field to report it in."""

    default_code = "not_simulated"


#: request -> the FfiEvent field of its callback, where the two names differ
_CALLBACK_FIELD: Final = {
    "text_stream_write": "text_stream_writer_write",
    "text_stream_close": "text_stream_writer_close",
    "byte_stream_write": "byte_stream_writer_write",
    "byte_stream_close": "byte_stream_writer_close",
    "text_read_all": "text_stream_reader_read_all",
    "byte_read_all": "byte_stream_reader_read_all",
    "byte_write_to_file": "byte_stream_reader_write_to_file",
    "send_chat_message": "chat_message",
}

#: requests accepted and ignored: their effect is not simulated and the SDK expects no answer
_IGNORED: Final = frozenset(
    {
        "ready_for_room_event",
        "set_remote_track_publication_quality",
        "update_remote_track_publication_dimension",
        "enable_remote_track_publication",
        "set_data_channel_buffered_amount_low_threshold",
        "clear_audio_buffer",
        "capture_video_frame",
    }
)

#: the requests roomsim does not simulate yet (they get the SDK's error shape)
NOT_SIMULATED_REQUESTS: Final = (
    "publish_transcription",
    "publish_sip_dtmf",
    "publish_data_track",
    "get_stats",
    "get_session_stats",
    "simulate_scenario",
)

#: FFI handle ids, unique for the life of the process
_HANDLES: Final = itertools.count(1)

_UNSUPPORTED_SERVER: Final = 1403  # RpcError.ErrorCode.UNSUPPORTED_SERVER


def _not_simulated_text(what: str) -> str:
    return (
        f"roomsim.livekit.serve() does not simulate {what!r} yet (transcriptions, SIP, data "
        "tracks, stats and reading a stream through read_all/write_to_file are not simulated)"
    )


@attrs.define
class _LocalTrack:
    """A track made by ``LocalAudioTrack/LocalVideoTrack.create_*_track``."""

    kind: TrackKind
    name: str
    muted: bool = False
    session: Session | None = None
    sid: str | None = None
    #: the handle of the source it was made from
    source: int = 0


@attrs.frozen
class _Publication:
    session: Session
    publisher: str
    sid: str


class Session:
    """One SDK Room connected through the facade: its roomsim client and FFI handles."""

    def __init__(self, ffi: InProcessFfi, client: Client, room_handle: int) -> None:
        self.ffi = ffi
        self.client = client
        self.room_handle = room_handle
        self.ended = False
        #: events of a verb in progress, held to be queued around the verb's callback
        self.capture: list[_ff.FfiEvent] | None = None
        self.encoder = Encoder(client, self._owned, ffi.buffer)
        self.participant_handle = ffi.new_handle(self)
        for cls in FED_EVENTS:
            client.on(cls.name, self.on_event)

    def _owned(self, what: str, identity: str, sid: str) -> _fh.FfiOwnedHandle:
        if what == "publication":
            return self.ffi.owned(_Publication(self, identity, sid))
        return self.ffi.owned((what, identity, sid, self))

    def on_event(self, event: E.Event) -> None:
        if self.ended:
            return
        if type(event) in MOVE_EVENTS and (info := self.encoder.moved_info()) is not None:
            # its new sid, silently: after the token, else before ``moved`` (faults §5.1)
            told = [self.encoder.ffi_event(event, self.room_handle), self.room_event(info)]
            for e in told if type(event) is E.TokenRefreshed else reversed(told):
                self.emit(e)
        elif self.capture is None:  # emit(), inlined: the facade's per-event path
            self.ffi.put(self.encoder.ffi_event(event, self.room_handle))
        else:
            self.capture.append(self.encoder.ffi_event(event, self.room_handle))
        if type(event) is E.Disconnected:
            self.end()

    def room_event(self, fields: dict[str, Any]) -> _ff.FfiEvent:
        return ffi_room_event(self.room_handle, fields)

    def emit(self, event: _ff.FfiEvent) -> None:
        if self.capture is not None:
            self.capture.append(event)
        else:
            self.ffi.put(event)

    def end(self) -> None:
        """The session is over: the SDK's listen task gets its end of stream."""
        if self.ended:
            return
        self.ended = True
        for cls in FED_EVENTS:
            self.client.off(cls.name, self.on_event)
        self.ffi.audio.session_ended(self)
        self.emit(self.room_event({"eos": _fr.RoomEOS()}))

    @contextmanager
    def capturing(self) -> Iterator[list[_ff.FfiEvent]]:
        held: list[_ff.FfiEvent] = []
        self.capture = held
        try:
            yield held
        finally:
            self.capture = None


class _Lib:
    """What ``FfiHandle.dispose`` calls on ``FfiClient._instance._ffi_lib``."""

    def __init__(self, ffi: InProcessFfi) -> None:
        self._ffi = ffi

    def livekit_ffi_drop_handle(self, handle: Any) -> bool:
        self._ffi.drop(int(getattr(handle, "value", handle)))
        return True

    def __getattr__(self, name: str) -> Any:
        raise NotSimulated(
            f"roomsim.livekit.serve() has no native library; {name} cannot be called"
        )


class InProcessFfi:
    """Installed as ``FfiClient._instance`` by ``serve()``."""

    def __init__(self, server: LiveKitServer) -> None:
        self.server = server
        self._pid = os.getpid()
        self._queue: FfiQueue[_ff.FfiEvent] = FfiQueue()
        self._handoff = Handoff(self._queue)  # FfiQueue.put, one loop handle per run
        self._ffi_lib = _Lib(self)
        self._handles: dict[int, Any] = {}
        self._next_async = 1
        #: how many requests of each type were answered (``lk.requests``)
        self.requests: Counter[str] = Counter()
        self.sessions: list[Session] = []
        #: the SDK Rooms connected through this FFI, reset when serve() exits
        self.rooms: weakref.WeakSet[rtc.Room] = weakref.WeakSet()
        #: events put on the queue so far
        self.sent = 0
        #: the RPC requests (``_ffi_rpc``)
        self.rpc = RpcRequests(self)
        #: the data-stream requests (``_ffi_streams``)
        self.streams = StreamRequests(self)
        self._answers: Final[dict[str, Callable[[Any], _ff.FfiResponse]]] = {
            "connect": self._connect,
            "disconnect": self._disconnect,
            "set_local_metadata": self._set_local_metadata,
            "set_local_name": self._set_local_name,
            "set_local_attributes": self._set_local_attributes,
            "publish_data": self._publish_data,
            "new_video_source": self._new_video_source,
            "create_audio_track": self._create_audio_track,
            "create_video_track": self._create_video_track,
            "publish_track": self._publish_track,
            "unpublish_track": self._unpublish_track,
            "local_track_mute": self._local_track_mute,
            "set_subscribed": self._set_subscribed,
            "set_track_subscription_permissions": self._set_track_subscription_permissions,
            **self.rpc.answers(),
            **self.streams.answers(),
        }
        #: audio frames in and out (``_ffi_audio``)
        self.audio = FfiAudio(self, NotSimulated)
        self._answers.update(self.audio.answers())

    @property
    def answered(self) -> frozenset[str]:
        """The request types answered from roomsim (the rest get the SDK's error shape)."""
        return frozenset(self._answers)

    # -- what FfiClient offers ---------------------------------------------------------------

    @property
    def queue(self) -> FfiQueue[_ff.FfiEvent]:
        return self._queue

    def request(self, req: _ff.FfiRequest) -> _ff.FfiResponse:
        which = req.WhichOneof("message")
        if which is None:
            raise NotSimulated("an empty FfiRequest")
        self.requests[which] += 1
        answer = self._answers.get(which)
        if answer is not None:
            response = answer(getattr(req, which))
            self.streams.pump()  # stream chunks the request moved reach SDK readers
            return response
        if which in _IGNORED:
            return _ff.FfiResponse(**{which: getattr(_ff.FfiResponse(), which).__class__()})
        return self._not_simulated(which)

    # -- handles, buffers, the queue -----------------------------------------------------------

    def new_handle(self, obj: Any) -> int:
        # unique in the process: an SDK object of an earlier serve() may be collected (and
        # drop its handle) while a later one runs
        h = next(_HANDLES)
        self._handles[h] = obj
        return h

    def owned(self, obj: Any) -> _fh.FfiOwnedHandle:
        return _fh.FfiOwnedHandle(id=self.new_handle(obj))

    def drop(self, handle: int) -> None:
        self._handles.pop(handle, None)
        self.audio.dropped(handle)

    def buffer(self, data: bytes) -> _fr.OwnedBuffer:
        # the SDK copies the bytes from this pointer, then disposes of the handle (drop)
        buf = ctypes.create_string_buffer(data, len(data) or 1)
        return _fr.OwnedBuffer(
            handle=self.owned(buf),
            data=_fr.BufferInfo(data_ptr=ctypes.addressof(buf), data_len=len(data)),
        )

    def put(self, event: _ff.FfiEvent) -> None:
        self.sent += 1
        self._handoff.put(event)

    def _async_id(self) -> int:
        n = self._next_async
        self._next_async += 1
        return n

    def _lookup(self, handle: int, cls: type[Any]) -> Any:
        obj = self._handles.get(handle)
        return obj if isinstance(obj, cls) else None

    def _run(self, session: Session | None, verb: Callable[[Client], Any]) -> tuple[Any, str]:
        """Run a roomsim verb for a session: (result, error text or "")."""
        if session is None:
            return None, "engine: the participant is not connected"
        try:
            return verb(session.client), ""
        except HandlerError as exc:
            # the mutation was applied; a roomsim handler (of any client) raised
            self.server.handler_errors.append(exc)
            return None, ""
        except RoomsimError as exc:
            return None, str(exc)

    def _verb(
        self,
        field: str,
        session: Session | None,
        verb: Callable[[Client], Any],
        *,
        callback_first: bool = False,
        extra: Callable[[Any], dict[str, Any]] | None = None,
    ) -> _ff.FfiResponse:
        """An asynchronous verb: response with an async id, then its events and callback."""
        aid = self._async_id()
        held: list[_ff.FfiEvent]
        if session is not None:
            with session.capturing() as held:
                result, error = self._run(session, verb)
        else:
            held = []
            result, error = self._run(session, verb)
        fields: dict[str, Any] = {"async_id": aid}
        if error:
            fields["error"] = error
        elif extra is not None:
            fields.update(extra(result))
        cb_cls = getattr(_ff.FfiEvent(), field).__class__
        callback = _ff.FfiEvent(**{field: cb_cls(**fields)})
        if not callback_first:
            self._flush(held)
        self.put(callback)
        if callback_first:
            self._flush(held)
        resp_cls = getattr(_ff.FfiResponse(), field).__class__
        return _ff.FfiResponse(**{field: resp_cls(async_id=aid)})

    def _flush(self, held: list[_ff.FfiEvent]) -> None:
        for event in held:
            self.put(event)

    # -- connect / disconnect ------------------------------------------------------------------

    def _connect(self, req: _fr.ConnectRequest) -> _ff.FfiResponse:
        aid = self._async_id()
        self._register_caller_room()
        try:
            result, join_events = self._join(req)
        except TokenRefused as refused:
            self.put(_ff.FfiEvent(connect=_fr.ConnectCallback(async_id=aid, error=refused.message)))
        else:
            self.put(_ff.FfiEvent(connect=_fr.ConnectCallback(async_id=aid, result=result)))
            self._flush(join_events)
        return _ff.FfiResponse(connect=_fr.ConnectResponse(async_id=aid))

    def _register_caller_room(self) -> None:
        # Room.__del__ reaches for FfiClient.instance while its FFI handle is set; serve()
        # clears the handle of every Room it connected when it exits, so none loads the
        # native library later.  The Room is the caller of request() in Room.connect.
        import sys

        frame: Any = sys._getframe(1)
        for _ in range(6):
            if frame is None:
                return
            candidate = frame.f_locals.get("self")
            if isinstance(candidate, rtc.Room):
                self.rooms.add(candidate)
                return
            frame = frame.f_back

    def _join(self, req: _fr.ConnectRequest) -> tuple[_fr.ConnectCallback.Result, list[Any]]:
        server = self.server
        if req.url.rstrip("/") != server.url:
            raise TokenRefused(
                "404 Not Found",
                f"roomsim.livekit.serve(): no simulated server at {req.url!r}; connect to "
                f"lk.url ({server.url!r})",
            )
        claims = verify_token(
            req.token, api_key=server.api_key, api_secret=server.api_secret, now=server.unix_now
        )
        room = server.room_for_join(claims.room)
        try:
            client = room.connect(
                claims.identity,
                auto_subscribe=req.options.auto_subscribe,
                **claims.connect_kwargs(),
            )
        except HandlerError as exc:
            # the join was applied; a roomsim handler (of another client) raised: settle()
            # reports it
            server.handler_errors.append(exc)
            client = room.clients[claims.identity]
        except RoomsimError as exc:
            # how LiveKit reports a refused join (room full, closed) is not confirmed (spec
            # server §4): the text is roomsim's
            raise TokenRefused("403 Forbidden", str(exc)) from None
        session = Session(self, client, self.new_handle(None))
        self._handles[session.room_handle] = session
        self.sessions.append(session)
        self.streams.attach(session)
        server.sessions_by_client[id(client)] = session
        enc = session.encoder
        # state at join, then the events the client had at join (its subscriptions, the
        # qualities it was told), as the Rust core sends them after the connect callback
        info = attrs.evolve(RoomInfo.of(room), metadata=client.room_metadata)
        result = _fr.ConnectCallback.Result(
            room=_fr.OwnedRoom(
                handle=_fh.FfiOwnedHandle(id=session.room_handle), info=to_rtc(info)
            ),
            local_participant=_fp.OwnedParticipant(
                handle=_fh.FfiOwnedHandle(id=session.participant_handle),
                info=to_rtc(client.local_participant),
            ),
            participants=[
                _fr.ConnectCallback.ParticipantWithTracks(
                    participant=enc.owned_participant(p),
                    publications=[
                        enc.owned_publication(identity, pub)
                        for pub in p.track_publications.values()
                    ],
                )
                for identity, p in client.remote_participants.items()
            ],
        )
        join_events = [enc.ffi_event(e, session.room_handle) for e in client.events]
        return result, join_events

    def _disconnect(self, req: _fr.DisconnectRequest) -> _ff.FfiResponse:
        aid = self._async_id()
        session = self._lookup(req.room_handle, Session)
        if session is not None and not session.ended:
            with session.capturing() as held:
                self._run(session, lambda c: c.disconnect())
                session.end()
            self._flush(held)
        self.put(_ff.FfiEvent(disconnect=_fr.DisconnectCallback(async_id=aid)))
        return _ff.FfiResponse(disconnect=_fr.DisconnectResponse(async_id=aid))

    def shutdown(self, reason: DisconnectReason) -> None:
        """Every live session hears the server go away (serve() is exiting)."""
        for session in self.sessions:
            if session.ended:
                continue
            session.emit(
                session.room_event(
                    {
                        "connection_state_changed": _fr.ConnectionStateChanged(
                            state=_fr.ConnectionState.CONN_DISCONNECTED
                        )
                    }
                )
            )
            session.emit(
                session.room_event({"disconnected": _fr.Disconnected(reason=to_rtc(reason))})
            )
            session.end()

    # -- the local participant's verbs ---------------------------------------------------------

    def _session(self, handle: int) -> Session | None:
        obj = self._handles.get(handle)
        if isinstance(obj, Session) and handle == obj.participant_handle and not obj.ended:
            return obj
        return None

    def _set_local_metadata(self, req: _fr.SetLocalMetadataRequest) -> _ff.FfiResponse:
        s = self._session(req.local_participant_handle)
        return self._verb("set_local_metadata", s, lambda c: c.set_metadata(req.metadata))

    def _set_local_name(self, req: _fr.SetLocalNameRequest) -> _ff.FfiResponse:
        s = self._session(req.local_participant_handle)
        return self._verb("set_local_name", s, lambda c: c.set_name(req.name))

    def _set_local_attributes(self, req: _fr.SetLocalAttributesRequest) -> _ff.FfiResponse:
        s = self._session(req.local_participant_handle)
        attributes = {e.key: e.value for e in req.attributes}
        return self._verb("set_local_attributes", s, lambda c: c.set_attributes(attributes))

    def _publish_data(self, req: _fr.PublishDataRequest) -> _ff.FfiResponse:
        s = self._session(req.local_participant_handle)
        data = ctypes.string_at(req.data_ptr, req.data_len) if req.data_len else b""
        return self._verb(
            "publish_data",
            s,
            lambda c: c.send_data(
                data,
                topic=req.topic or None,
                reliable=req.reliable,
                destination_identities=tuple(req.destination_identities),
            ),
        )

    # -- tracks --------------------------------------------------------------------------------

    def _new_video_source(self, req: _fv.NewVideoSourceRequest) -> _ff.FfiResponse:
        source = _fv.OwnedVideoSource(
            handle=self.owned(TrackKind.VIDEO), info=_fv.VideoSourceInfo(type=req.type)
        )
        return _ff.FfiResponse(new_video_source=_fv.NewVideoSourceResponse(source=source))

    def _local_track(self, name: str, source_handle: int, kind: TrackKind) -> _ft.OwnedTrack:
        source = self._handles.get(source_handle)
        if getattr(source, "kind", source) is not kind:
            raise NotSimulated(
                f"create_{kind.name.lower()}_track: the source is not an rtc."
                f"{'Audio' if kind is TrackKind.AUDIO else 'Video'}Source made under serve()"
            )
        rec = _LocalTrack(kind=kind, name=name, source=source_handle)
        info = _ft.TrackInfo(
            sid="",
            name=name,
            kind=to_rtc(kind),
            stream_state=_ft.StreamState.STATE_ACTIVE,
            muted=False,
            remote=False,
        )
        return _ft.OwnedTrack(handle=self.owned(rec), info=info)

    def _create_audio_track(self, req: _ft.CreateAudioTrackRequest) -> _ff.FfiResponse:
        track = self._local_track(req.name, req.source_handle, TrackKind.AUDIO)
        return _ff.FfiResponse(create_audio_track=_ft.CreateAudioTrackResponse(track=track))

    def _create_video_track(self, req: _ft.CreateVideoTrackRequest) -> _ff.FfiResponse:
        track = self._local_track(req.name, req.source_handle, TrackKind.VIDEO)
        return _ff.FfiResponse(create_video_track=_ft.CreateVideoTrackResponse(track=track))

    def local_tracks_of(self, source: int | None) -> list[Any]:
        """Published local tracks made from ``source`` (any source: None), live sessions."""
        return [
            t
            for t in self._handles.values()
            if isinstance(t, _LocalTrack)
            and t.sid is not None
            and t.session is not None
            and not t.session.ended
            and (source is None or t.source == source)
        ]

    def _publish_track(self, req: _fr.PublishTrackRequest) -> _ff.FfiResponse:
        s = self._session(req.local_participant_handle)
        rec = self._lookup(req.track_handle, _LocalTrack)

        def publish(c: Client) -> str:
            if rec is None:
                raise NotSimulated("publish_track: the track was not made under serve()")
            if rec.sid is not None:
                raise NotSimulated("publish_track: this track is already published")
            source = enum_from_rtc(TrackSource, req.options.source)
            sid = c.publish_track(rec.kind, source, name=rec.name, muted=rec.muted)
            rec.sid, rec.session = sid, s
            return sid

        def publication(sid: str) -> dict[str, Any]:
            assert s is not None
            pub = s.client.local_participant.track_publications[sid]
            owned = _ft.OwnedTrackPublication(handle=self.owned(("local", sid)), info=to_rtc(pub))
            return {"publication": owned}

        # the SDK stores the publication on the callback; the room event follows (room.py)
        return self._verb("publish_track", s, publish, callback_first=True, extra=publication)

    def _unpublish_track(self, req: _fr.UnpublishTrackRequest) -> _ff.FfiResponse:
        s = self._session(req.local_participant_handle)

        def unpublish(c: Client) -> None:
            c.unpublish_track(req.track_sid)
            for obj in self._handles.values():
                if isinstance(obj, _LocalTrack) and obj.session is s and obj.sid == req.track_sid:
                    obj.sid = obj.session = None

        return self._verb("unpublish_track", s, unpublish)

    def _local_track_mute(self, req: _ft.LocalTrackMuteRequest) -> _ff.FfiResponse:
        rec = self._lookup(req.track_handle, _LocalTrack)
        if rec is not None:
            rec.muted = req.mute
            s = rec.session
            if s is not None and rec.sid is not None and not s.ended:
                sid = rec.sid
                with s.capturing() as held:
                    self._run(s, lambda c: c.set_track_muted(sid, req.mute))
                self._flush(held)
        return _ff.FfiResponse(local_track_mute=_ft.LocalTrackMuteResponse(muted=req.mute))

    def _set_subscribed(self, req: _fr.SetSubscribedRequest) -> _ff.FfiResponse:
        pub = self._lookup(req.publication_handle, _Publication)
        if pub is not None and not pub.session.ended:
            s = pub.session
            with s.capturing() as held:
                self._run(s, lambda c: c.set_subscribed(pub.publisher, pub.sid, req.subscribe))
            self._flush(held)
        return _ff.FfiResponse(set_subscribed=_fr.SetSubscribedResponse())

    def _set_track_subscription_permissions(
        self, req: _ft.SetTrackSubscriptionPermissionsRequest
    ) -> _ff.FfiResponse:
        s = self._session(req.local_participant_handle)
        if s is not None:
            allowed = {
                p.participant_identity: (None if p.allow_all else tuple(p.allowed_track_sids))
                for p in req.permissions
            }
            with s.capturing() as held:
                self._run(
                    s,
                    lambda c: c.set_track_subscription_permissions(
                        all_participants=req.all_participants_allowed, allowed=allowed
                    ),
                )
            self._flush(held)
        return _ff.FfiResponse(
            set_track_subscription_permissions=_ft.SetTrackSubscriptionPermissionsResponse()
        )

    # -- everything else -----------------------------------------------------------------------

    def _not_simulated(self, which: str) -> _ff.FfiResponse:
        text = _not_simulated_text(which)
        resp_field = _ff.FfiResponse.DESCRIPTOR.fields_by_name.get(which)
        cb_name = _CALLBACK_FIELD.get(which, which)
        cb_field = _ff.FfiEvent.DESCRIPTOR.fields_by_name.get(cb_name)
        if resp_field is None:
            raise NotSimulated(text)
        resp_type: Any = resp_field.message_type
        cb_type: Any = cb_field.message_type if cb_field is not None else None
        if (
            "async_id" in resp_type.fields_by_name
            and cb_type is not None
            and "error" in cb_type.fields_by_name
        ):
            aid = self._async_id()
            cb = getattr(_ff.FfiEvent(), cb_name).__class__(async_id=aid)
            err_field = cb_type.fields_by_name["error"]
            if err_field.message_type is None:
                cb.error = text
            else:
                err = cb.error
                names = err_field.message_type.fields_by_name
                if "description" in names:
                    err.description = text
                if "message" in names:
                    err.message = text
                if "code" in names and err_field.message_type.name == "RpcError":
                    err.code = _UNSUPPORTED_SERVER
            self.put(_ff.FfiEvent(**{cb_name: cb}))
            resp = getattr(_ff.FfiResponse(), which).__class__(async_id=aid)
            return _ff.FfiResponse(**{which: resp})
        err_desc = resp_type.fields_by_name.get("error")
        if err_desc is not None and err_desc.message_type is None:
            resp = getattr(_ff.FfiResponse(), which).__class__(error=text)
            return _ff.FfiResponse(**{which: resp})
        raise NotSimulated(text)
