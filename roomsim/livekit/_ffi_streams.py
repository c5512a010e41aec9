"""The facade's data-stream requests (rpc-and-streams §7, §9; issue 17).

Sending: ``send_text``, ``send_bytes`` and ``send_file`` become the roomsim client's
``send_text`` / ``send_bytes``; ``text_stream_open`` / ``byte_stream_open`` open a roomsim
writer (``stream_text`` / ``stream_bytes``) kept under the writer handle the SDK gets, and
``*_stream_write`` / ``*_stream_close`` are its ``write()`` / ``close()``, each one mutation.
A refused call answers its callback's ``error`` (the SDK raises ``StreamError``).

Receiving: the Rust core hands every incoming stream to the SDK, which drops the topics it has
no handler for (``Room._handle_text_stream_opened``).  So each session's roomsim client takes
every stream (``receive_all_streams``): its header becomes a ``text_stream_opened`` /
``byte_stream_opened`` room event with a reader handle; once the SDK's reader asks for it
(``*_read_incremental``), the chunks received so far and the end of the stream are sent as
``*_stream_reader_event`` s.  Chunks are passed on after every FFI request and at
``settle()`` (:meth:`StreamRequests.pump`): a stream a roomsim client sends reaches SDK readers
there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import attrs
from livekit.rtc._proto import data_stream_pb2 as _ds
from livekit.rtc._proto import e2ee_pb2 as _e2ee
from livekit.rtc._proto import ffi_pb2 as _ff
from livekit.rtc._proto import handle_pb2 as _fh
from livekit.rtc._proto import room_pb2 as _fr

from roomsim.client import Client
from roomsim.errors import RoomsimError
from roomsim.streams import (
    ByteStreamInfo,
    ByteStreamReader,
    ByteStreamWriter,
    StreamError,
    TextStreamInfo,
    TextStreamReader,
    TextStreamWriter,
)

if TYPE_CHECKING:
    from roomsim.livekit._ffi import InProcessFfi, Session

__all__ = ["StreamRequests"]

_ReadIncremental: TypeAlias = (
    _ds.TextStreamReaderReadIncrementalRequest | _ds.ByteStreamReaderReadIncrementalRequest
)


#: roomsim does not simulate end-to-end encryption
_NO_ENCRYPTION: Final = _e2ee.EncryptionType.NONE


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def text_info(info: TextStreamInfo) -> _ds.TextStreamInfo:
    """roomsim's text stream info as the Rust core sends it."""
    out = _ds.TextStreamInfo(
        stream_id=info.stream_id,
        timestamp=_ms(info.timestamp),
        mime_type=info.mime_type,
        topic=info.topic,
        attributes=dict(info.attributes),
        attached_stream_ids=list(info.attachments),
        operation_type=_ds.TextStreamInfo.OperationType.CREATE,
        encryption_type=_NO_ENCRYPTION,
    )
    if info.size is not None:
        out.total_length = info.size
    return out


def byte_info(info: ByteStreamInfo) -> _ds.ByteStreamInfo:
    """roomsim's byte stream info as the Rust core sends it."""
    out = _ds.ByteStreamInfo(
        stream_id=info.stream_id,
        timestamp=_ms(info.timestamp),
        mime_type=info.mime_type,
        topic=info.topic,
        attributes=dict(info.attributes),
        name=info.name,
        encryption_type=_NO_ENCRYPTION,
    )
    if info.size is not None:
        out.total_length = info.size
    return out


def _options(opts: _ds.StreamTextOptions | _ds.StreamByteOptions) -> dict[str, Any]:
    """The keyword arguments every roomsim stream verb shares."""
    return {
        "topic": opts.topic,
        "destination_identities": tuple(opts.destination_identities),
        "attributes": dict(opts.attributes),
        "stream_id": opts.id if opts.HasField("id") else None,
    }


def _byte_options(opts: _ds.StreamByteOptions) -> dict[str, Any]:
    return {
        **_options(opts),
        "name": opts.name if opts.HasField("name") else None,
        "mime_type": opts.mime_type if opts.HasField("mime_type") else None,
    }


@attrs.define
class _Writer:
    """An open stream the SDK writes through (its handle is the SDK writer's)."""

    session: Session
    writer: TextStreamWriter | ByteStreamWriter


@attrs.define
class _Reader:
    """An incoming stream handed to the SDK: its reader handle, and whether the SDK reads it."""

    session: Session
    handle: int
    reader: TextStreamReader | ByteStreamReader
    reading: bool = False


class StreamRequests:
    """The data-stream request handlers of one in-process FFI."""

    def __init__(self, ffi: InProcessFfi) -> None:
        self.ffi = ffi
        #: reader handle -> the incoming stream behind it
        self.readers: dict[int, _Reader] = {}

    def answers(self) -> dict[str, Callable[[Any], _ff.FfiResponse]]:
        return {
            "send_text": self._send_text,
            "send_bytes": self._send_bytes,
            "send_file": self._send_file,
            "text_stream_open": self._text_open,
            "byte_stream_open": self._byte_open,
            **{
                f"{kind}_stream_{verb}": self._writer_request(kind, verb)
                for kind in ("text", "byte")
                for verb in ("write", "close")
            },
            "text_read_incremental": self._read_incremental,
            "byte_read_incremental": self._read_incremental,
        }

    # -- sending -------------------------------------------------------------------------------

    def _answer(
        self,
        request: str,
        callback: str,
        session: Session | None,
        verb: Callable[[Client], Any],
        extra: Callable[[Any], dict[str, Any]] | None = None,
    ) -> _ff.FfiResponse:
        """Run ``verb``; respond with an async id, then the session's events and the callback
        (``error`` a ``StreamError`` for a refused call)."""
        aid = self.ffi._async_id()
        held: list[_ff.FfiEvent] = []
        if session is None:
            result, error = self.ffi._run(None, verb)
        else:
            with session.capturing() as held:
                result, error = self.ffi._run(session, verb)
        fields: dict[str, Any] = {"async_id": aid}
        if error:
            fields["error"] = _ds.StreamError(description=error)
        elif extra is not None and result is not None:
            fields.update(extra(result))
        for event in held:
            self.ffi.put(event)
        cb_cls = getattr(_ff.FfiEvent(), callback).__class__
        self.ffi.put(_ff.FfiEvent(**{callback: cb_cls(**fields)}))
        resp_cls = getattr(_ff.FfiResponse(), request).__class__
        return _ff.FfiResponse(**{request: resp_cls(async_id=aid)})

    def _send_text(self, req: _ds.StreamSendTextRequest) -> _ff.FfiResponse:
        s = self.ffi._session(req.local_participant_handle)
        opts = req.options

        def send(c: Client) -> TextStreamInfo:
            return c.send_text(
                req.text,
                reply_to_id=opts.reply_to_stream_id or None,
                **_options(opts),
            )

        return self._answer(
            "send_text", "send_text", s, send, lambda info: {"info": text_info(info)}
        )

    def _send_bytes(self, req: _ds.StreamSendBytesRequest) -> _ff.FfiResponse:
        s = self.ffi._session(req.local_participant_handle)
        return self._answer(
            "send_bytes",
            "send_bytes",
            s,
            lambda c: c.send_bytes(req.bytes, **_byte_options(req.options)),
            lambda info: {"info": byte_info(info)},
        )

    def _send_file(self, req: _ds.StreamSendFileRequest) -> _ff.FfiResponse:
        s = self.ffi._session(req.local_participant_handle)

        def send(c: Client) -> ByteStreamInfo:
            try:
                data = Path(req.file_path).read_bytes()
            except OSError as exc:
                raise _Unreadable(f"cannot read file {req.file_path!r}: {exc}") from None
            return c.send_bytes(data, **_byte_options(req.options))

        return self._answer(
            "send_file", "send_file", s, send, lambda info: {"info": byte_info(info)}
        )

    def _open(self, kind: str, req: Any, verb: Callable[[Client], Any]) -> _ff.FfiResponse:
        s = self.ffi._session(req.local_participant_handle)

        def writer(w: TextStreamWriter | ByteStreamWriter) -> dict[str, Any]:
            assert s is not None
            handle = self.ffi.owned(_Writer(s, w))
            if isinstance(w, TextStreamWriter):
                return {"writer": _ds.OwnedTextStreamWriter(handle=handle, info=text_info(w.info))}
            return {"writer": _ds.OwnedByteStreamWriter(handle=handle, info=byte_info(w.info))}

        return self._answer(f"{kind}_stream_open", f"{kind}_stream_open", s, verb, writer)

    def _text_open(self, req: _ds.TextStreamOpenRequest) -> _ff.FfiResponse:
        opts = req.options
        return self._open(
            "text",
            req,
            lambda c: c.stream_text(reply_to_id=opts.reply_to_stream_id or None, **_options(opts)),
        )

    def _byte_open(self, req: _ds.ByteStreamOpenRequest) -> _ff.FfiResponse:
        opts = req.options
        kwargs = {k: v for k, v in _byte_options(opts).items() if v is not None}
        total = opts.total_length if opts.HasField("total_length") else None
        return self._open("byte", req, lambda c: c.stream_bytes(total_size=total, **kwargs))

    def _writer_request(self, kind: str, verb: str) -> Callable[[Any], _ff.FfiResponse]:
        """The answer to ``<kind>_stream_write`` / ``<kind>_stream_close``: the writer's
        ``write()`` / ``close()``; the close request consumes the handle (data_stream.py)."""

        def act(req: Any, writer: TextStreamWriter | ByteStreamWriter) -> None:
            if verb == "close":
                writer.close(reason=req.reason, attributes=dict(req.attributes))
            else:
                writer.write(req.text if kind == "text" else req.bytes)

        def answer(req: Any) -> _ff.FfiResponse:
            request, callback = f"{kind}_stream_{verb}", f"{kind}_stream_writer_{verb}"
            rec = self.ffi._lookup(req.writer_handle, _Writer)
            if verb == "close":
                self.ffi.drop(req.writer_handle)
            if rec is None or rec.session.ended:
                return self._answer(request, callback, None, lambda c: None)
            return self._answer(request, callback, rec.session, lambda c: act(req, rec.writer))

        return answer

    # -- receiving -----------------------------------------------------------------------------

    def attach(self, session: Session) -> None:
        """Hand every stream the session's client receives to its SDK Room."""

        def opened(reader: TextStreamReader | ByteStreamReader, sender: str) -> None:
            handle = self.ffi.new_handle(None)
            rec = _Reader(session, handle, reader)
            self.ffi._handles[handle] = rec
            self.readers[handle] = rec
            owned = _fh.FfiOwnedHandle(id=handle)
            if isinstance(reader, TextStreamReader):
                fields: dict[str, Any] = {
                    "text_stream_opened": _fr.TextStreamOpened(
                        reader=_ds.OwnedTextStreamReader(handle=owned, info=text_info(reader.info)),
                        participant_identity=sender,
                    )
                }
            else:
                fields = {
                    "byte_stream_opened": _fr.ByteStreamOpened(
                        reader=_ds.OwnedByteStreamReader(handle=owned, info=byte_info(reader.info)),
                        participant_identity=sender,
                    )
                }
            session.emit(session.room_event(fields))

        session.client.receive_all_streams(opened)

    def _read_incremental(
        self,
        req: _ReadIncremental,
    ) -> _ff.FfiResponse:
        rec = self.readers.get(req.reader_handle)
        text = isinstance(req, _ds.TextStreamReaderReadIncrementalRequest)
        if rec is not None:
            rec.reading = True  # pump() sends what has arrived, after this request
        if text:
            return _ff.FfiResponse(
                text_read_incremental=_ds.TextStreamReaderReadIncrementalResponse()
            )
        return _ff.FfiResponse(byte_read_incremental=_ds.ByteStreamReaderReadIncrementalResponse())

    def pump(self) -> None:
        """Send each SDK reader the chunks its stream received since, and its end."""
        for handle, rec in list(self.readers.items()):
            if rec.session.ended or handle not in self.ffi._handles:
                # the Room disconnected (the SDK ends its readers itself) or dropped the reader
                # (no handler for the topic)
                del self.readers[handle]
                continue
            if not rec.reading:
                continue
            for event in self._events(rec):
                self.ffi.put(event)

    def _events(self, rec: _Reader) -> Iterator[_ff.FfiEvent]:
        kind = "text" if isinstance(rec.reader, TextStreamReader) else "byte"
        error: StreamError | None = None
        pieces: list[Any] = []
        try:
            pieces.extend(rec.reader)
        except StreamError as exc:
            error = exc
        for piece in pieces:
            event = _ff.FfiEvent()
            body = getattr(event, f"{kind}_stream_reader_event")
            body.reader_handle = rec.handle
            body.chunk_received.content = piece
            yield event
        if not rec.reader.done:
            return
        # the read_incremental request consumed the handle: the stream is over for the SDK
        del self.readers[rec.handle]
        self.ffi.drop(rec.handle)
        event = _ff.FfiEvent()
        body = getattr(event, f"{kind}_stream_reader_event")
        body.reader_handle = rec.handle
        body.eos.SetInParent()
        body.eos.attributes.update(rec.reader.info.attributes)
        if error is not None:
            body.eos.error.description = error.description
        yield event


class _Unreadable(RoomsimError):
    """``send_file``: the file can't be read (answered as the callback's ``error``)."""

    default_code = "invalid_argument"
