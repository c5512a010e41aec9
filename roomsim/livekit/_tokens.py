"""Access tokens: made with livekit-api's ``AccessToken``, checked as a LiveKit server checks them.

A token is a JWT signed HS256 with the API secret, issued by the API key.  The server
(``pkg/service/auth.go``, ``rtcservice.go`` ``validateInternal``) refuses, with HTTP 401, a token
it cannot parse, one from an unknown key, one whose signature or times do not verify (go-jose,
one minute of leeway), and one without ``video.roomJoin``; with 400 one without identity or
room.  The Rust SDK then reports ``engine: signal failure: client error: <status> - <body>``
(rust-sdks ``SignalError::Client``, ``EngineError::Signal``, ``RoomError::Engine``), where the
body is empty for the auth middleware's refusals and the error text for ``validateInternal``'s.

Times: ``nbf``/``exp`` are Unix seconds; the facade compares them with ``epoch + clock.now``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs
import jwt
from livekit import api
from livekit.api.access_token import Claims

from roomsim.model import ParticipantKind, Permission, TrackSource

__all__ = ["JoinClaims", "TokenRefused", "make_token", "verify_signed", "verify_token", "LEEWAY"]

#: the leeway LiveKit's token check allows on nbf/exp (go-jose's DefaultLeeway)
LEEWAY: Final = 60.0

_KINDS: Final = {
    "": ParticipantKind.STANDARD,
    "standard": ParticipantKind.STANDARD,
    "ingress": ParticipantKind.INGRESS,
    "egress": ParticipantKind.EGRESS,
    "sip": ParticipantKind.SIP,
    "agent": ParticipantKind.AGENT,
    "connector": ParticipantKind.CONNECTOR,
    "bridge": ParticipantKind.BRIDGE,
}

_SOURCES: Final = {
    "camera": TrackSource.CAMERA,
    "microphone": TrackSource.MICROPHONE,
    "screen_share": TrackSource.SCREEN_SHARE,
    "screen_share_audio": TrackSource.SCREEN_SHARE_AUDIO,
}


class TokenRefused(Exception):
    """The server refused the token; ``message`` is what the SDK's ``ConnectError`` carries."""

    def __init__(self, status: str, body: str) -> None:
        self.status = status
        self.body = body
        self.message = f"engine: signal failure: client error: {status} - {body}"
        super().__init__(self.message)


def _unauthorized(body: str = "") -> TokenRefused:
    return TokenRefused("401 Unauthorized", body)


def _bad_request(body: str) -> TokenRefused:
    return TokenRefused("400 Bad Request", body)


@attrs.frozen(kw_only=True)
class JoinClaims:
    """What a verified token says about the participant: the arguments of ``Room.connect``."""

    room: str
    identity: str
    name: str
    metadata: str
    attributes: Mapping[str, str]
    kind: ParticipantKind
    permission: Permission

    def connect_kwargs(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "metadata": self.metadata,
            "attributes": self.attributes,
            "kind": self.kind,
            "permission": self.permission,
        }


def make_token(
    api_key: str,
    api_secret: str,
    identity: str,
    *,
    room: str,
    now: float,
    ttl: float,
    name: str = "",
    metadata: str = "",
    attributes: Mapping[str, str] | None = None,
    kind: str = "",
    **grants: Any,
) -> str:
    """A join token built with ``livekit.api.AccessToken``, its times on the given clock.

    ``grants`` are ``livekit.api.VideoGrants`` fields (``can_publish=False``,
    ``can_update_own_metadata=True``, ``hidden=True``, ``can_publish_sources=["microphone"]``,
    ...); ``room_join`` defaults to True.  ``AccessToken.to_jwt`` stamps the wall clock, so the
    claims it built are signed here with ``nbf = now`` and ``exp = now + ttl`` instead.
    """
    grants.setdefault("room_join", True)
    video = api.VideoGrants(room=room, **grants)
    token = api.AccessToken(api_key, api_secret).with_identity(identity).with_grants(video)
    if name:
        token = token.with_name(name)
    if metadata:
        token = token.with_metadata(metadata)
    if attributes:
        token = token.with_attributes(dict(attributes))
    if kind:
        token = token.with_kind(kind)  # type: ignore[arg-type]
    token = token.with_ttl(datetime.timedelta(seconds=ttl))
    claims = token.claims.asdict()
    claims.update({"sub": token.identity, "iss": api_key, "nbf": int(now), "exp": int(now + ttl)})
    return jwt.encode(claims, api_secret, algorithm="HS256")


def verify_signed(
    token: str, *, api_key: str, api_secret: str, now: float
) -> tuple[dict[str, Any], Claims]:
    """The raw claims and livekit-api's ``Claims`` of a token the server accepts as signed.

    Checks what LiveKit's auth middleware checks for every request (join or server API): the
    JWT parses, is issued by ``api_key``, is signed HS256 with ``api_secret`` and is within its
    ``nbf``/``exp`` (one minute of leeway) at ``now``.  Raises a bare 401 :class:`TokenRefused`.
    """
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise _unauthorized() from None
    if unverified.get("iss") != api_key:
        raise _unauthorized()
    try:
        raw = jwt.decode(
            token,
            key=api_secret,
            algorithms=["HS256"],
            issuer=api_key,
            # the times are checked below, against the facade's clock, not the wall clock
            options={"verify_exp": False, "verify_nbf": False, "require": ["exp"]},
        )
    except jwt.PyJWTError:
        raise _unauthorized() from None
    if not _number(raw["exp"]) or now > raw["exp"] + LEEWAY:
        raise _unauthorized()
    nbf = raw.get("nbf")
    if nbf is not None and (not _number(nbf) or now < nbf - LEEWAY):
        raise _unauthorized()
    # the signature and issuer are verified; livekit-api parses the grants
    return raw, api.TokenVerifier(api_key, api_secret).verify(token, verify_signature=False)


def verify_token(token: str, *, api_key: str, api_secret: str, now: float) -> JoinClaims:
    """The join claims of ``token``, or :class:`TokenRefused` with LiveKit's status and text."""
    raw, claims = verify_signed(token, api_key=api_key, api_secret=api_secret, now=now)
    video = claims.video
    raw_video = raw.get("video") or {}
    if video is None or not video.room_join:
        raise _unauthorized("permissions denied")
    if not claims.identity:
        raise _bad_request("identity cannot be empty")
    if not video.room:
        raise _bad_request("room name cannot be empty")
    kind = _KINDS.get(claims.kind or "", ParticipantKind.STANDARD)
    can_publish = bool(video.can_publish)
    # LiveKit: canPublishData defaults to canPublish when absent (server §3)
    can_publish_data = (
        bool(video.can_publish_data) if "canPublishData" in raw_video else can_publish
    )
    sources = tuple(
        _SOURCES[s]
        for s in (video.can_publish_sources or ())
        if isinstance(s, str) and s in _SOURCES
    )
    permission = Permission(
        can_subscribe=bool(video.can_subscribe),
        can_publish=can_publish,
        can_publish_data=can_publish_data,
        can_publish_sources=sources,
        hidden=bool(video.hidden),
        recorder=bool(video.recorder),
        can_update_metadata=bool(video.can_update_own_metadata),
        agent=bool(video.agent),
        can_subscribe_metrics=bool(video.can_subscribe_metrics),
        can_manage_agent_session=bool(video.can_manage_agent_session),
    )
    return JoinClaims(
        room=video.room,
        identity=claims.identity,
        name=claims.name or "",
        metadata=claims.metadata or "",
        attributes=MappingProxyType(dict(claims.attributes or {})),
        kind=kind,
        permission=permission,
    )


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)
