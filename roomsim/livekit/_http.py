"""The HTTP side of ``serve()``: LiveKit's server API over Twirp, on an aiohttp server.

``serve()`` binds 127.0.0.1 on a free port and runs this app on its own event loop, the loop
that drives the rooms, so each request runs in the thread that owns them.  A request goes
through what a LiveKit server puts in front of RoomService:

1. the auth middleware (``pkg/service/auth.go``): an ``Authorization`` header that is not
   ``Bearer <jwt>``, a token that does not parse, an unknown API key, or a bad signature or
   time is a 401 with LiveKit's plain-text body (not Twirp JSON: the client reports
   ``unknown``); no header at all goes on with no grants;
2. Twirp's router (twirp v8 generated code): ``bad_route`` for an unknown path, a method other
   than POST or a Content-Type other than ``application/protobuf`` / ``application/json``;
   ``malformed`` for a body that does not decode;
3. the RoomService method (``_twirp.py``), which checks the grants and answers.

JSON bodies are read as twirp does (``protojson``, unknown fields discarded, both field
spellings) and written as it does (proto field names, unpopulated fields included).
"""

from __future__ import annotations

import json
import logging
import socket
from typing import TYPE_CHECKING, Any, Final

import jwt
from aiohttp import web
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message

from roomsim.livekit._tokens import TokenRefused, verify_signed
from roomsim.livekit._twirp import METHODS, TwirpError

if TYPE_CHECKING:
    from roomsim.livekit._serve import LiveKitServer

__all__ = ["HttpServer", "PREFIX"]

log = logging.getLogger("roomsim.livekit")

#: the path prefix of RoomService's Twirp routes
PREFIX: Final = "/twirp/livekit.RoomService/"

_BEARER: Final = "Bearer "


def _plain(status: int, text: str) -> web.Response:
    # LiveKit's HandleError writes err.Error() as the body, with no content type of its own
    return web.Response(status=status, text=text, content_type="text/plain")


def _twirp_error(error: TwirpError) -> web.Response:
    return web.json_response(error.body(), status=error.status)


def _bad_route(request: web.Request, msg: str) -> web.Response:
    route = f"{request.method} {request.path}"
    return _twirp_error(TwirpError("bad_route", msg, {"twirp_invalid_route": route}))


class HttpServer:
    """The aiohttp server of one ``serve()``: RoomService on ``lk.url``."""

    def __init__(self, lk: LiveKitServer) -> None:
        self._lk = lk
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        self._sock: socket.socket | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on ``host:port`` (0: a free port); returns the port."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        self._sock = sock
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        bound: int = sock.getsockname()[1]
        return bound

    async def stop(self) -> None:
        await self._runner.cleanup()
        if self._sock is not None:
            self._sock.close()

    async def _handle(self, request: web.Request) -> web.Response:
        claims, refused = self._authenticate(request)
        if refused is not None:
            return refused
        path = request.path
        method = path[len(PREFIX) :] if path.startswith(PREFIX) else ""
        entry = METHODS.get(method)
        if entry is None:
            return _bad_route(request, f"no handler for path {json.dumps(path)}")
        if request.method != "POST":
            msg = f"unsupported method {json.dumps(request.method)} (only POST is allowed)"
            return _bad_route(request, msg)
        kind = request.headers.get("Content-Type", "")
        base = kind.split(";", 1)[0].strip().lower()
        if base not in ("application/json", "application/protobuf"):
            return _bad_route(request, f"unexpected Content-Type: {json.dumps(kind)}")
        as_json = base == "application/json"
        req_class, handler = entry
        body = await request.read()
        try:
            message = _decode(req_class, body, as_json)
        except TwirpError as error:
            return _twirp_error(error)
        try:
            response = handler(self._lk, claims, message)
        except TwirpError as error:
            log.info("RoomService.%s refused: %s %s", method, error.code, error.msg)
            return _twirp_error(error)
        finally:
            self._lk.after_api_call()
        if as_json:
            return web.json_response(
                json_format.MessageToDict(
                    response,
                    always_print_fields_with_no_presence=True,
                    preserving_proto_field_name=True,
                )
            )
        return web.Response(body=response.SerializeToString(), content_type="application/protobuf")

    def _authenticate(self, request: web.Request) -> tuple[Any, web.Response | None]:
        header = request.headers.get("Authorization", "")
        if header:
            if not header.startswith(_BEARER):
                text = f"invalid authorization header. Must start with {_BEARER}"
                return None, _plain(401, text)
            token = header[len(_BEARER) :]
        else:
            token = request.query.get("access_token", "")
        if not token:
            return None, None  # no grants: each method refuses with "permissions denied"
        lk = self._lk
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError:
            return None, _plain(401, "invalid authorization token")
        if issuer != lk.api_key:
            return None, _plain(401, "invalid API key")
        try:
            _, claims = verify_signed(
                token, api_key=lk.api_key, api_secret=lk.api_secret, now=lk.unix_now
            )
        except TokenRefused:
            text = "invalid authorization token: bad signature, or outside its nbf/exp"
            return None, _plain(401, text)
        return claims, None


def _decode(cls: type[Message], body: bytes, as_json: bool) -> Message:
    message = cls()
    if as_json:
        try:
            json_format.Parse(body.decode("utf-8"), message, ignore_unknown_fields=True)
        except (json_format.ParseError, UnicodeDecodeError):
            raise TwirpError("malformed", "the json request could not be decoded") from None
    else:
        try:
            message.ParseFromString(body)
        except DecodeError:
            raise TwirpError("malformed", "the protobuf request could not be decoded") from None
    return message
