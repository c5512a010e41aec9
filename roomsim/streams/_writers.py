"""Writers: a stream sent write by write, each write's packets handed to a callback
(rpc-and-streams §7)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, TypeAlias, final

import attrs

from roomsim._validate import check_str as _text
from roomsim._validate import describe as _describe
from roomsim.errors import IllegalState, InvalidArgument, InvalidType
from roomsim.streams._values import (
    Buffer,
    ByteStreamInfo,
    StreamHeader,
    StreamKind,
    StreamPacket,
    StreamTrailer,
    TextStreamInfo,
    _chunks_from,
    _data,
    _size,
    split_bytes,
    split_text,
)

# ---------------------------------------------------------------------------------------------
# writers (rpc-and-streams §7)

#: Receives the packets of one write (or of the opening, or of the close), to send them at once.
SendPackets: TypeAlias = Callable[[tuple[StreamPacket, ...]], None]


class _Writer:
    __slots__ = ("_closed", "_header", "_next_index", "_send")

    _kind: StreamKind

    def __init__(self, header: StreamHeader, send: SendPackets) -> None:
        if not isinstance(header, StreamHeader):
            raise InvalidType(f"a stream writer takes a StreamHeader, got {_describe(header)}")
        if header.kind is not self._kind:
            raise InvalidArgument(
                f"a {type(self).__name__} needs a {self._kind.value} header; stream "
                f"{header.stream_id!r} has a {header.kind.value} header"
            )
        if not callable(send):
            raise InvalidType(
                f"a stream writer's send must be callable (it receives each write's packets), "
                f"got {_describe(send)}"
            )
        self._header = header
        self._send = send
        self._next_index = 0
        self._closed = False

    @property
    def header(self) -> StreamHeader:
        """The header this writer's stream was opened with."""
        return self._header

    @property
    def closed(self) -> bool:
        """Whether the trailer has been sent."""
        return self._closed

    @property
    def chunks_sent(self) -> int:
        """How many chunks this writer has sent."""
        return self._next_index

    def _write_pieces(self, pieces: tuple[bytes, ...]) -> None:
        if self._closed:
            raise IllegalState(
                f"Cannot write after stream is closed (stream {self._header.stream_id!r}, "
                f"topic {self._header.topic!r}); open a new stream to send more"
            )
        if not pieces:
            return
        packets = tuple(_chunks_from(self._header.stream_id, self._next_index, pieces))
        self._send(packets)
        self._next_index += len(packets)

    def close(self, *, reason: str = "", attributes: Mapping[str, str] | None = None) -> None:
        """Send the trailer.  A non-empty ``reason`` ends the stream abnormally at its readers;
        ``attributes`` are merged into their info (PY ``aclose(reason=, attributes=)``)."""
        if self._closed:
            raise IllegalState(
                f"Stream already closed (stream {self._header.stream_id!r}, topic "
                f"{self._header.topic!r}); close it once"
            )
        trailer = StreamTrailer(
            stream_id=self._header.stream_id,
            reason=reason,
            attributes={} if attributes is None else attributes,
        )
        self._send((trailer,))
        self._closed = True

    def __enter__(self) -> Any:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._closed:
            return
        if exc is None:
            self.close()
        else:
            # roomsim's choice: a block that raised ends the stream abnormally, so its readers
            # see a StreamError instead of a truncated text that looks complete
            self.close(reason=f"{type(exc).__name__}: {exc}")


@final
class TextStreamWriter(_Writer):
    """An open text stream (``stream_text``): ``write()`` sends chunks, ``close()`` the trailer.

    Each ``write`` hands its chunks (split at 15 000 bytes on UTF-8 boundaries; none for ``""``)
    to ``send`` in one call, so a write is sent whole or not at all.  As a context manager it
    closes on exit; if the block raised, the trailer's reason names the exception.
    """

    __slots__ = ("_total_size",)
    _kind = StreamKind.TEXT

    def __init__(
        self, header: StreamHeader, send: SendPackets, *, total_size: int | None = None
    ) -> None:
        super().__init__(header, send)
        self._total_size = _size(total_size, "stream_text(total_size=...)")

    @classmethod
    def open(
        cls, header: StreamHeader, send: SendPackets, *, total_size: int | None = None
    ) -> TextStreamWriter:
        """Send the header and return the writer (what ``stream_text`` does)."""
        writer = cls(header, send, total_size=total_size)
        send((header,))
        return writer

    @property
    def info(self) -> TextStreamInfo:
        """The sender's info; ``size`` is the ``total_size`` given, kept locally (§7)."""
        info = self._header.info()
        assert isinstance(info, TextStreamInfo)
        if info.size is None and self._total_size is not None:
            info = attrs.evolve(info, size=self._total_size)
        return info

    def write(self, text: str) -> None:
        """Send ``text`` as the stream's next chunks."""
        self._write_pieces(split_text(_text(text, "TextStreamWriter.write(text)")))

    def __enter__(self) -> TextStreamWriter:
        return self


@final
class ByteStreamWriter(_Writer):
    """An open byte stream (``stream_bytes``): as :class:`TextStreamWriter`, for bytes."""

    __slots__ = ()
    _kind = StreamKind.BYTE

    @classmethod
    def open(cls, header: StreamHeader, send: SendPackets) -> ByteStreamWriter:
        """Send the header and return the writer (what ``stream_bytes`` does)."""
        writer = cls(header, send)
        send((header,))
        return writer

    @property
    def info(self) -> ByteStreamInfo:
        info = self._header.info()
        assert isinstance(info, ByteStreamInfo)
        return info

    def write(self, data: Buffer) -> None:
        """Send ``data`` as the stream's next chunks."""
        self._write_pieces(split_bytes(_data(data, "ByteStreamWriter.write(data)")))

    def __enter__(self) -> ByteStreamWriter:
        return self
