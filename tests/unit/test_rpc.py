"""roomsim.rpc: LiveKit's RPC values and rules (docs/livekit/rpc-and-streams.md §3-§6)."""

from __future__ import annotations

import doctest
import pickle

import attrs
import pytest

import roomsim.rpc
from roomsim.errors import IllegalState, InvalidArgument, InvalidType
from roomsim.rpc import (
    CLIENT_PROTOCOL_DATA_STREAM_RPC,
    CLIENT_PROTOCOL_DATA_STREAM_V2,
    CLIENT_PROTOCOL_DEFAULT,
    DEFER,
    MAX_PAYLOAD_BYTES,
    PendingCall,
    RpcAnswer,
    RpcError,
    RpcErrorCode,
    RpcInvocation,
    RpcMethods,
    RpcTimeouts,
    answer_from_handler,
    callee_deadline,
    request_payload_error,
    response_payload_error,
    rpc_timeouts,
    truncate_utf8,
)

LEGACY = CLIENT_PROTOCOL_DEFAULT
CURRENT = CLIENT_PROTOCOL_DATA_STREAM_V2


def test_all_names_what_the_module_defines() -> None:
    module = roomsim.rpc
    defined = {
        n
        for n, obj in vars(module).items()
        if not n.startswith("_") and getattr(obj, "__module__", None) == module.__name__
    }
    assert defined <= set(module.__all__)
    assert all(hasattr(module, n) for n in module.__all__)
    assert len(module.__all__) == len(set(module.__all__))


def test_the_module_examples_hold() -> None:
    result = doctest.testmod(roomsim.rpc)
    assert result.attempted > 0
    assert result.failed == 0


# --- codes and messages (§3) ------------------------------------------------------------------


def test_codes_and_messages_are_the_python_sdks() -> None:
    rtc = pytest.importorskip("livekit.rtc")
    sdk = rtc.RpcError
    assert {c.name: int(c) for c in RpcErrorCode} == {c.name: int(c) for c in sdk.ErrorCode}
    for code in RpcErrorCode:
        ours = RpcError.built_in(code)
        assert ours.message == sdk.ErrorMessage[sdk.ErrorCode[code.name]]


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        (RpcErrorCode.UNSUPPORTED_METHOD, 1400, "Method not supported at destination"),
        (RpcErrorCode.RECIPIENT_NOT_FOUND, 1401, "Recipient not found"),
        (RpcErrorCode.REQUEST_PAYLOAD_TOO_LARGE, 1402, "Request payload too large"),
        (RpcErrorCode.APPLICATION_ERROR, 1500, "Application error in method handler"),
        (RpcErrorCode.CONNECTION_TIMEOUT, 1501, "Connection timeout"),
        (RpcErrorCode.RESPONSE_TIMEOUT, 1502, "Response timeout"),
        (RpcErrorCode.RECIPIENT_DISCONNECTED, 1503, "Recipient disconnected"),
        (RpcErrorCode.RESPONSE_PAYLOAD_TOO_LARGE, 1504, "Response payload too large"),
    ],
)
def test_built_in_errors_carry_livekits_code_and_message(
    code: RpcErrorCode, value: int, message: str
) -> None:
    err = RpcError.built_in(code)
    assert (err.code, err.message, err.data) == (value, message, None)
    assert str(err) == message


def test_the_enum_is_reachable_under_the_sdk_names() -> None:
    assert RpcError.ErrorCode is RpcErrorCode
    assert RpcError.Code is RpcErrorCode
    assert RpcError.ErrorMessage[RpcErrorCode.RESPONSE_TIMEOUT] == "Response timeout"


def test_an_application_error_keeps_its_own_code_message_and_data() -> None:
    err = RpcError(42, "out of coffee", data='{"left": 0}')
    assert (err.code, err.message, err.data) == (42, "out of coffee", '{"left": 0}')
    assert isinstance(err, Exception)
    assert repr(err) == "RpcError(42, 'out of coffee', data='{\"left\": 0}')"


def test_errors_compare_by_value_hash_alike_and_pickle() -> None:
    a = RpcError(7, "x", "d")
    assert a == RpcError(7, "x", "d")
    assert a != RpcError(7, "x")
    assert a != RpcError(8, "x", "d")
    assert hash(a) == hash(RpcError(7, "x", "d"))
    assert pickle.loads(pickle.dumps(a)) == a


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (("1500", "m"), InvalidType, r"RpcError\(code=\.\.\.\) must be an int"),
        ((True, "m"), InvalidType, "must be an int"),
        ((1.5, "m"), InvalidType, "must be an int"),
        ((-1, "m"), InvalidArgument, "uint32"),
        ((2**32, "m"), InvalidArgument, "uint32"),
        ((1, b"m"), InvalidType, r"RpcError\(message=\.\.\.\) must be a str"),
        ((1, "m", 3), InvalidType, r"RpcError\(data=\.\.\.\) must be a str"),
        ((1, "\ud800"), InvalidArgument, "not valid UTF-8"),
    ],
)
def test_wrong_arguments_are_refused_with_typed_errors(
    args: tuple[object, ...], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        RpcError(*args)  # type: ignore[arg-type]


def test_built_in_takes_only_a_built_in_code() -> None:
    with pytest.raises(InvalidType, match=r"takes an RpcError\.ErrorCode"):
        RpcError.built_in(1500)  # type: ignore[arg-type]


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_a_received_error_is_cut_on_character_boundaries(sdk: str) -> None:
    err = RpcError(1, "é" * 200, "€" * 6000)  # 400 and 18 000 bytes
    received = err.as_received(sdk)
    assert received.message == "é" * 128  # 256 bytes
    assert received.data == "€" * 5120  # 15 360 bytes
    small = RpcError(1, "ok", "d")
    assert small.as_received(sdk) is small


def test_python_shows_absent_data_as_empty_and_js_empty_data_as_absent() -> None:
    assert RpcError(1, "m").as_received("python") == RpcError(1, "m", "")
    assert RpcError(1, "m", "").as_received("js") == RpcError(1, "m")
    assert RpcError(1, "m", "").as_received("python") == RpcError(1, "m", "")
    assert RpcError(1, "m").as_received("js") == RpcError(1, "m")
    with pytest.raises(InvalidArgument, match="sdk must be one of"):
        RpcError(1, "m").as_received("rust")


def test_python_sdk_callers_see_absent_data_as_empty() -> None:
    rtc = pytest.importorskip("livekit.rtc")
    proto = pytest.importorskip("livekit.rtc._proto.rpc_pb2")
    received = rtc.RpcError._from_proto(proto.RpcError(code=1501, message="Connection timeout"))
    ours = RpcError.built_in(RpcErrorCode.CONNECTION_TIMEOUT).as_received("python")
    assert (received.code, received.message, received.data) == (ours.code, ours.message, ours.data)


def test_truncate_utf8_never_splits_a_character() -> None:
    assert truncate_utf8("a€b", 3) == "a"
    assert truncate_utf8("a€b", 4) == "a€"
    assert truncate_utf8("abc", 10) == "abc"


# --- the invocation (§6) -----------------------------------------------------------------------


def test_an_invocation_has_the_python_sdks_fields_and_is_frozen() -> None:
    call = RpcInvocation(
        request_id="RPC_1", caller_identity="", payload="{}", response_timeout=8.0, method="m"
    )
    assert call.caller == ""
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        call.payload = "x"  # type: ignore[misc]
    assert call == attrs.evolve(call)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("payload", b"{}", InvalidType),
        ("method", None, InvalidType),
        ("response_timeout", 8, InvalidType),
        ("response_timeout", float("nan"), InvalidArgument),
        ("response_timeout", -1.0, InvalidArgument),
    ],
)
def test_an_invocation_refuses_wrong_values(
    field: str, value: object, error: type[Exception]
) -> None:
    fields: dict[str, object] = {
        "request_id": "r",
        "caller_identity": "c",
        "payload": "",
        "response_timeout": 1.0,
        "method": "m",
    }
    fields[field] = value
    with pytest.raises(error, match=f"RpcInvocation.{field}"):
        RpcInvocation(**fields)  # type: ignore[arg-type]


def test_an_answer_holds_exactly_one_of_payload_and_error() -> None:
    assert RpcAnswer.ok("") == RpcAnswer(payload="")
    assert RpcAnswer.fail(RpcError(1, "x")).error == RpcError(1, "x")
    with pytest.raises(InvalidArgument, match="exactly one"):
        RpcAnswer()
    with pytest.raises(InvalidArgument, match="exactly one"):
        RpcAnswer(payload="a", error=RpcError(1, "x"))
    with pytest.raises(InvalidType):
        RpcAnswer.fail("nope")  # type: ignore[arg-type]


# --- sizes (§5) -------------------------------------------------------------------------------


def test_the_request_limit_is_15360_utf8_bytes_inclusive_for_a_legacy_callee() -> None:
    assert MAX_PAYLOAD_BYTES == 15_360
    assert request_payload_error("x" * 15_360, remote_client_protocol=LEGACY) is None
    err = request_payload_error("x" * 15_361, remote_client_protocol=LEGACY)
    assert err == RpcError(1402, "Request payload too large")
    # bytes, not characters: 5120 euro signs are 15 360 bytes, one more byte is over
    assert request_payload_error("€" * 5120, remote_client_protocol=LEGACY) is None
    assert request_payload_error("€" * 5120 + "x", remote_client_protocol=LEGACY) is not None


@pytest.mark.parametrize("protocol", [CLIENT_PROTOCOL_DATA_STREAM_RPC, CURRENT])
def test_current_clients_take_any_payload_size(protocol: int) -> None:
    big = "x" * 100_000
    assert request_payload_error(big, remote_client_protocol=protocol) is None
    assert response_payload_error(big, caller_client_protocol=protocol) is None


def test_the_response_limit_gives_1504_to_a_legacy_caller() -> None:
    assert response_payload_error("x" * 15_360, caller_client_protocol=LEGACY) is None
    err = response_payload_error("x" * 15_361, caller_client_protocol=LEGACY)
    assert err == RpcError(1504, "Response payload too large")


# --- handler outcomes (§6) --------------------------------------------------------------------


def test_a_returned_string_is_the_answer_and_none_is_empty() -> None:
    assert answer_from_handler("pong", sdk="python") == RpcAnswer.ok("pong")
    assert answer_from_handler(None, sdk="js") == RpcAnswer.ok("")
    assert answer_from_handler("", sdk="js") == RpcAnswer.ok("")


def test_a_handlers_rpc_error_passes_through() -> None:
    err = RpcError(4001, "nope", "details")
    assert answer_from_handler(err, sdk="python") == RpcAnswer.fail(err)
    long = RpcError(4001, "x" * 300)
    assert answer_from_handler(long, sdk="js") == RpcAnswer.fail(long)


@pytest.mark.parametrize("sdk", ["python", "js"])
def test_any_other_exception_becomes_1500_without_data(sdk: str) -> None:
    answer = answer_from_handler(KeyError("k"), sdk=sdk)
    assert answer == RpcAnswer.fail(RpcError(1500, "Application error in method handler"))


def test_a_js_callee_answering_a_v1_caller_puts_the_exception_in_data() -> None:
    answer = answer_from_handler(ValueError("boom"), sdk="js", caller_client_protocol=LEGACY)
    assert answer == RpcAnswer.fail(
        RpcError(1500, "Application error in method handler", "Uncaught error: boom")
    )
    py = answer_from_handler(ValueError("boom"), sdk="python", caller_client_protocol=LEGACY)
    assert py == RpcAnswer.fail(RpcError(1500, "Application error in method handler"))


def test_an_oversized_answer_to_a_legacy_caller_becomes_1504() -> None:
    answer = answer_from_handler("x" * 15_361, sdk="python", caller_client_protocol=LEGACY)
    assert answer == RpcAnswer.fail(RpcError.built_in(RpcErrorCode.RESPONSE_PAYLOAD_TOO_LARGE))
    assert answer_from_handler("x" * 15_361, sdk="python") == RpcAnswer.ok("x" * 15_361)


def test_a_deferring_handler_has_no_answer_yet() -> None:
    assert answer_from_handler(DEFER, sdk="python") is None
    assert answer_from_handler(DEFER, sdk="js") is None
    assert repr(DEFER) == "DEFER"
    assert pickle.loads(pickle.dumps(DEFER)) is DEFER
    assert type(DEFER)() is DEFER


def test_a_handler_returning_a_non_string_is_a_type_error() -> None:
    with pytest.raises(InvalidType, match=r"must return a str .*returned 42 \(type int\)"):
        answer_from_handler(42, sdk="python")
    with pytest.raises(InvalidArgument, match="sdk must be one of"):
        answer_from_handler("x", sdk="rust")


# --- timeouts (§4) ----------------------------------------------------------------------------


def test_python_defaults_wait_7s_for_the_ack_then_15s_and_tell_the_callee_8s() -> None:
    assert rpc_timeouts("python") == RpcTimeouts(
        ack_timeout=7.0, response_timeout=15.0, response_timer_from_ack=True, handler_timeout=8.0
    )


def test_python_tells_the_callee_at_least_one_second() -> None:
    t = rpc_timeouts("python", response_timeout=2.0)
    assert (t.response_timeout, t.handler_timeout) == (2.0, 1.0)
    t = rpc_timeouts("python", response_timeout=30, max_round_trip_latency=10)
    assert (t.ack_timeout, t.handler_timeout) == (10.0, 20.0)


def test_python_times_travel_in_whole_milliseconds() -> None:
    t = rpc_timeouts("python", response_timeout=9.0019, max_round_trip_latency=0.0)
    assert (t.response_timeout, t.handler_timeout) == (9.001, 9.001)


def test_js_runs_both_timers_from_sending_and_tells_the_callee_at_least_8s() -> None:
    assert rpc_timeouts("js") == RpcTimeouts(
        ack_timeout=7.0, response_timeout=15.0, response_timer_from_ack=False, handler_timeout=15.0
    )
    t = rpc_timeouts("js", response_timeout=2)
    assert (t.response_timeout, t.handler_timeout) == (2.0, 8.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"sdk": "go"}, InvalidArgument, "sdk must be one of"),
        ({"sdk": "js", "max_round_trip_latency": 7.0}, InvalidArgument, "no max_round_trip"),
        ({"sdk": "python", "response_timeout": "15"}, InvalidType, "number of seconds"),
        ({"sdk": "python", "response_timeout": True}, InvalidType, "number of seconds"),
        ({"sdk": "python", "response_timeout": float("inf")}, InvalidArgument, "finite"),
        ({"sdk": "python", "max_round_trip_latency": -1}, InvalidArgument, ">= 0"),
    ],
)
def test_bad_timeouts_are_refused(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        rpc_timeouts(**kwargs)  # type: ignore[arg-type]


# --- registration (§6) ------------------------------------------------------------------------


def _handler(call: RpcInvocation) -> str:
    return call.payload


def _other(call: RpcInvocation) -> str:
    return "other"


def test_python_replaces_a_method_silently() -> None:
    methods = RpcMethods("python")
    methods.register("echo", _handler)
    methods.register("echo", _other)
    assert methods.get("echo") is _other
    assert list(methods) == ["echo"]


def test_js_refuses_a_second_registration_with_its_message() -> None:
    methods = RpcMethods("js")
    methods.register("echo", _handler)
    with pytest.raises(IllegalState, match="RPC handler already registered for method echo"):
        methods.register("echo", _other)
    assert methods.get("echo") is _handler


def test_unregistering_an_unknown_method_does_nothing() -> None:
    methods = RpcMethods()
    methods.unregister("nothing")
    methods.register("a", _handler)
    methods.unregister("a")
    assert "a" not in methods
    assert len(methods) == 0
    assert methods.get("a") is None


def test_registration_refuses_wrong_types() -> None:
    methods = RpcMethods()
    with pytest.raises(InvalidType, match="takes a callable"):
        methods.register("a", "not callable")  # type: ignore[arg-type]
    with pytest.raises(InvalidType, match=r"method=\.\.\.\) must be a str"):
        methods.register(1, _handler)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="sdk must be one of"):
        RpcMethods("swift")


# --- a pending call on the virtual clock (§4) ---------------------------------------------------


def _call(sdk: str, **kw: float) -> PendingCall:
    return PendingCall(
        request_id="RPC_1", sdk=sdk, timeouts=rpc_timeouts(sdk, **kw), started_at=10.0
    )


def _raises(call: PendingCall) -> RpcError:
    with pytest.raises(RpcError) as info:
        call.result()
    return info.value


def test_a_python_call_without_ack_fails_1501_at_the_ack_deadline() -> None:
    call = _call("python")
    assert call.next_deadline() == 17.0
    call.on_time(16.999)
    assert not call.settled
    call.on_time(17.0)
    assert _raises(call) == RpcError(1501, "Connection timeout", "")  # PY: data ""
    assert call.settled_at == 17.0
    assert call.next_deadline() is None


def test_a_python_caller_counts_the_response_timeout_from_the_ack() -> None:
    call = _call("python", response_timeout=5.0)
    call.on_ack(12.0)
    assert call.next_deadline() == 17.0
    call.on_time(30.0)  # time jumped past the deadline: settled at the deadline itself
    assert _raises(call) == RpcError(1502, "Response timeout", "")
    assert call.settled_at == 17.0
    assert call.on_answer(RpcAnswer.ok("late"), now=30.0) is False


def test_a_js_caller_runs_both_timers_from_the_call() -> None:
    call = _call("js", response_timeout=2.0)
    call.on_ack(10.0)
    assert call.next_deadline() == 12.0
    call.on_time(12.0)
    assert _raises(call) == RpcError(1502, "Response timeout")  # JS: no data
    tie = _call("js", response_timeout=7.0)
    tie.on_time(17.0)
    assert _raises(tie).code == RpcErrorCode.CONNECTION_TIMEOUT  # the ack timer was set first


def test_an_answer_settles_the_call_once() -> None:
    call = _call("python")
    call.on_ack(10.0)
    assert call.on_answer(RpcAnswer.ok("pong"), now=10.0)
    assert call.result() == "pong"
    assert not call.on_answer(RpcAnswer.ok("again"), now=11.0)
    call.on_time(100.0)
    assert call.result() == "pong"


def test_an_error_answer_is_raised_as_the_callers_sdk_receives_it() -> None:
    call = _call("python")
    call.on_ack(10.0)
    call.on_answer(RpcAnswer.fail(RpcError(4001, "x" * 300)), now=10.0)
    assert _raises(call) == RpcError(4001, "x" * 256, "")


def test_a_python_caller_reads_an_answer_only_after_the_ack() -> None:
    call = _call("python")
    assert call.on_answer(RpcAnswer.ok("early"), now=10.0)
    assert not call.settled
    call.on_ack(11.0)
    assert call.result() == "early"
    unacked = _call("python")
    unacked.on_answer(RpcAnswer.ok("early"), now=10.0)
    unacked.on_time(17.0)
    assert _raises(unacked).code == 1501
    js = _call("js")
    js.on_answer(RpcAnswer.ok("early"), now=10.0)  # JS: "RPC response received before ack"
    assert js.result() == "early"


def test_the_callee_leaving_fails_a_js_call_at_once_and_not_a_python_one() -> None:
    js = _call("js")
    js.on_ack(10.0)
    js.on_callee_left(11.0)
    assert _raises(js) == RpcError(1503, "Recipient disconnected")
    py = _call("python")
    py.on_ack(10.0)
    py.on_callee_left(11.0)
    assert not py.settled
    py.on_time(25.0)
    assert _raises(py).code == 1502


def test_the_callers_own_session_ending_fails_the_call_with_1503() -> None:
    call = _call("python")
    call.on_caller_left(12.0)
    assert _raises(call) == RpcError(1503, "Recipient disconnected", "")
    call.on_ack(13.0)
    assert call.acked_at is None


def test_a_pending_call_has_no_result_yet() -> None:
    call = _call("python")
    with pytest.raises(IllegalState, match="still pending"):
        call.result()
    assert "pending" in repr(call)
    with pytest.raises(InvalidType, match="RpcTimeouts"):
        PendingCall(request_id="r", sdk="python", timeouts=None, started_at=0.0)  # type: ignore[arg-type]
    with pytest.raises(InvalidType, match="on_answer takes an RpcAnswer"):
        call.on_answer("pong", now=0.0)  # type: ignore[arg-type]


def test_only_a_python_callee_has_its_own_deadline() -> None:
    call = RpcInvocation(
        request_id="r", caller_identity="a", payload="", response_timeout=8.0, method="m"
    )
    assert callee_deadline("python", 3.0, call) == 11.0
    assert callee_deadline("js", 3.0, call) is None
