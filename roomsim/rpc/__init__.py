"""LiveKit's RPC as values: the error, the invocation a handler gets, limits and timeouts.

Everything here is pure and independent of the room: the rules come from LiveKit's SDKs, as
recorded in ``docs/livekit/rpc-and-streams.md`` (cited below as "rpc-and-streams §N").

>>> err = RpcError.built_in(RpcError.ErrorCode.UNSUPPORTED_METHOD)
>>> err.code, err.message
(1400, 'Method not supported at destination')
>>> request_payload_error("x" * 15_361, remote_client_protocol=CLIENT_PROTOCOL_DEFAULT).code
1402
>>> request_payload_error("x" * 15_361, remote_client_protocol=CLIENT_PROTOCOL_DATA_STREAM_V2)
>>> rpc_timeouts("python").handler_timeout
8.0"""

from __future__ import annotations

from roomsim._exports import publish as _publish
from roomsim.rpc._rules import PendingCall as PendingCall
from roomsim.rpc._rules import RpcHandler as RpcHandler
from roomsim.rpc._rules import RpcMethods as RpcMethods
from roomsim.rpc._rules import RpcTimeouts as RpcTimeouts
from roomsim.rpc._rules import answer_from_handler as answer_from_handler
from roomsim.rpc._rules import callee_deadline as callee_deadline
from roomsim.rpc._rules import request_payload_error as request_payload_error
from roomsim.rpc._rules import response_payload_error as response_payload_error
from roomsim.rpc._rules import rpc_timeouts as rpc_timeouts
from roomsim.rpc._rules import uses_rpc_v2 as uses_rpc_v2
from roomsim.rpc._values import CLIENT_PROTOCOL_DATA_STREAM_RPC as CLIENT_PROTOCOL_DATA_STREAM_RPC
from roomsim.rpc._values import CLIENT_PROTOCOL_DATA_STREAM_V2 as CLIENT_PROTOCOL_DATA_STREAM_V2
from roomsim.rpc._values import CLIENT_PROTOCOL_DEFAULT as CLIENT_PROTOCOL_DEFAULT
from roomsim.rpc._values import DEFAULT_MAX_ROUND_TRIP_LATENCY as DEFAULT_MAX_ROUND_TRIP_LATENCY
from roomsim.rpc._values import DEFAULT_RESPONSE_TIMEOUT as DEFAULT_RESPONSE_TIMEOUT
from roomsim.rpc._values import DEFER as DEFER
from roomsim.rpc._values import INTERNAL_TOPICS as INTERNAL_TOPICS
from roomsim.rpc._values import MAX_DATA_BYTES as MAX_DATA_BYTES
from roomsim.rpc._values import MAX_MESSAGE_BYTES as MAX_MESSAGE_BYTES
from roomsim.rpc._values import MAX_PAYLOAD_BYTES as MAX_PAYLOAD_BYTES
from roomsim.rpc._values import RPC_REQUEST_TOPIC as RPC_REQUEST_TOPIC
from roomsim.rpc._values import RPC_RESPONSE_TOPIC as RPC_RESPONSE_TOPIC
from roomsim.rpc._values import RPC_VERSION_V1 as RPC_VERSION_V1
from roomsim.rpc._values import RPC_VERSION_V2 as RPC_VERSION_V2
from roomsim.rpc._values import SDKS as SDKS
from roomsim.rpc._values import RpcAnswer as RpcAnswer
from roomsim.rpc._values import RpcError as RpcError
from roomsim.rpc._values import RpcErrorCode as RpcErrorCode
from roomsim.rpc._values import RpcInvocation as RpcInvocation
from roomsim.rpc._values import payload_size as payload_size
from roomsim.rpc._values import truncate_utf8 as truncate_utf8

__all__ = [
    "RpcErrorCode",
    "RpcError",
    "RpcInvocation",
    "RpcAnswer",
    "RpcTimeouts",
    "RpcHandler",
    "RpcMethods",
    "DEFER",
    "PendingCall",
    "callee_deadline",
    "MAX_PAYLOAD_BYTES",
    "MAX_MESSAGE_BYTES",
    "MAX_DATA_BYTES",
    "CLIENT_PROTOCOL_DEFAULT",
    "CLIENT_PROTOCOL_DATA_STREAM_RPC",
    "CLIENT_PROTOCOL_DATA_STREAM_V2",
    "RPC_VERSION_V1",
    "RPC_VERSION_V2",
    "RPC_REQUEST_TOPIC",
    "RPC_RESPONSE_TOPIC",
    "INTERNAL_TOPICS",
    "DEFAULT_RESPONSE_TIMEOUT",
    "DEFAULT_MAX_ROUND_TRIP_LATENCY",
    "SDKS",
    "payload_size",
    "truncate_utf8",
    "uses_rpc_v2",
    "request_payload_error",
    "response_payload_error",
    "answer_from_handler",
    "rpc_timeouts",
]

_publish(globals())
