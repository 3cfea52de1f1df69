"""Property tests of the wire protocol (hypothesis)."""

from __future__ import annotations

import contextlib

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dorsal.decode import StreamDecoder
from dorsal.protocol import ProtocolError, wire

i16 = st.integers(-32768, 32767)
record = st.tuples(*([i16] * 10), st.integers(0, 0xFFFF))
u32 = st.integers(0, 0xFFFFFFFF)


@st.composite
def data_messages(draw: st.DrawFn) -> tuple[dict, bytes]:
    fields = dict(
        seq=draw(u32),
        t0_ms=draw(u32),
        period_us=draw(st.integers(1, 0xFFFF)),
        records=draw(st.lists(record, min_size=1, max_size=wire.MAX_RECORDS)),
        msg_type=draw(st.sampled_from([wire.MSG_DATA, wire.MSG_DATA_BACKLOG])),
    )
    return fields, wire.encode_data(fields["seq"], fields["t0_ms"], fields["period_us"], fields["records"],
                                    fields["msg_type"])


@given(data_messages())
def test_data_encode_then_decode_is_identity(case: tuple[dict, bytes]) -> None:
    fields, msg = case
    header, records = wire.decode_data(msg)
    assert header[1:6] == (fields["msg_type"], fields["seq"], fields["t0_ms"], fields["period_us"],
                           len(fields["records"]))
    assert records == [tuple(r) for r in fields["records"]]


@given(data_messages())
def test_numpy_decoder_agrees_with_the_protocol_module(case: tuple[dict, bytes]) -> None:
    fields, msg = case
    samples = StreamDecoder().decode([msg])
    raw = np.array(fields["records"], dtype=np.float64)
    assert np.allclose(samples["qw"], raw[:, 0] / wire.QUAT_ONE, atol=1e-6)
    assert np.allclose(samples["az_mps2"], raw[:, 6] * wire.STANDARD_GRAVITY_MPS2 / 1000, rtol=1e-6)
    assert np.allclose(samples["gx_rps"], np.radians(raw[:, 7] / 16), rtol=1e-6)
    assert list(samples["status"]) == [r[10] for r in fields["records"]]
    assert list(samples["seq"]) == [fields["seq"] + i for i in range(len(fields["records"]))]


COMMAND_ARGS = {
    wire.CMD_SET_RATE: st.tuples(st.integers(1, 0xFFFF)),
    wire.CMD_BUZZ: st.tuples(st.integers(0, 255), st.integers(0, 255)),
    wire.CMD_SET_ALERT: st.tuples(i16, st.integers(0, 0xFFFF), st.integers(0, 1)),
    wire.CMD_BACKLOG: st.tuples(u32, u32),
    wire.CMD_SET_TIME: st.tuples(u32, st.integers(0, 999)),
    wire.CMD_REBOOT: st.tuples(st.integers(0, 1)),
}


@given(st.sampled_from(sorted(wire.COMMAND_PAYLOADS)), st.integers(0, 255), st.data())
def test_command_encode_then_decode_is_identity(command: int, tag: int, data: st.DataObject) -> None:
    args = data.draw(COMMAND_ARGS.get(command, st.just(())))
    assert wire.decode_command(wire.encode_command(command, tag, args)) == (command, tag, tuple(args))


@given(st.integers(0, 255), st.integers(0, 255), st.integers(0, 7), st.binary(max_size=200))
def test_response_encode_then_decode_is_identity(command: int, tag: int, status: int, payload: bytes) -> None:
    assert wire.decode_response(wire.encode_response(command, tag, status, payload)) == (command, tag, status, payload)


@given(st.binary(max_size=600))
def test_cobs_round_trip_has_no_zero_bytes(data: bytes) -> None:
    enc = wire.cobs_encode(data)
    assert 0 not in enc
    assert wire.cobs_decode(enc) == data


@given(data_messages(), st.integers(23, 247))
def test_segments_reassemble_at_any_mtu(case: tuple[dict, bytes], mtu: int) -> None:
    _, msg = case
    r = wire.Reassembler()
    parts = wire.segments(msg, mtu)
    assert all(len(s) <= mtu - 3 for s in parts)
    results = [r.feed(s) for s in parts]
    assert results[-1] == msg and all(x is None for x in results[:-1])


@given(data_messages(), st.integers(23, 100), st.data())
def test_a_lost_segment_drops_the_message_but_not_the_next(case: tuple[dict, bytes], mtu: int, data: st.DataObject) -> None:
    _, msg = case
    parts = wire.segments(msg, mtu)
    if len(parts) < 2:
        return
    drop = data.draw(st.integers(0, len(parts) - 1))
    r = wire.Reassembler()
    got = [r.feed(s) for i, s in enumerate(parts) if i != drop]
    assert all(g is None for g in got)
    assert [r.feed(s) for s in parts][-1] == msg


# ------------------------------------------------------------ serial corruption

corruption = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(0, 7)),
    st.tuples(st.just("delete"), st.integers(0, 10**6), st.integers(1, 30)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.binary(min_size=1, max_size=40)),
    st.tuples(st.just("text"), st.integers(0, 10**6), st.sampled_from([b">>> ", b"MPY: soft reboot\r\n",
                                                                         b"Traceback (most recent call last):\r\n"])),
)


def corrupt(stream: bytes, ops: list[tuple]) -> bytes:
    b = bytearray(stream)
    for op in ops:
        pos = op[1] % (len(b) + 1)
        if op[0] == "flip" and pos < len(b):
            b[pos] ^= 1 << op[2]
        elif op[0] == "delete":
            del b[pos : pos + op[2]]
        elif op[0] in ("insert", "text"):
            b[pos:pos] = op[2]
    return bytes(b)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(data_messages(), min_size=1, max_size=8), st.lists(corruption, min_size=1, max_size=6),
       st.integers(1, 64))
def test_corrupted_serial_stream_never_yields_a_wrong_message(
    cases: list[tuple[dict, bytes]], ops: list[tuple], chunk: int
) -> None:
    originals = [m for _, m in cases]
    stream = corrupt(b"".join(wire.frame(m) for m in originals), ops)
    d = wire.Deframer()
    got: list[bytes] = []
    for i in range(0, len(stream), chunk):
        got.extend(d.feed(stream[i : i + chunk]))
    # Every message that comes out is one that went in, in order.
    it = iter(originals)
    for m in got:
        assert any(m == o for o in it), "a corrupted frame was decoded into a message that was never sent"


@given(st.lists(data_messages(), min_size=1, max_size=5), st.binary(max_size=300))
def test_decoder_resynchronises_after_noise(cases: list[tuple[dict, bytes]], noise: bytes) -> None:
    originals = [m for _, m in cases]
    d = wire.Deframer()
    d.feed(noise)
    got = d.feed(b"".join(wire.frame(m) for m in originals))
    # The first frame may merge with a noise tail only if the noise had no delimiter; the
    # leading delimiter of every frame prevents even that.
    assert got == originals


DECODERS = [
    wire.decode_data,
    wire.decode_pressure,
    wire.decode_header,
    wire.decode_battery,
    wire.decode_event,
    wire.decode_command,
    wire.decode_response,
    wire.decode_info,
    wire.unframe,
    wire.cobs_decode,
    wire.message_type,
]


@given(st.binary(max_size=400))
def test_arbitrary_bytes_raise_only_protocol_errors(data: bytes) -> None:
    for decode in DECODERS:
        with contextlib.suppress(ProtocolError):
            decode(data)
    wire.Deframer().feed(data)
    wire.Reassembler().feed(data)
    with contextlib.suppress(ProtocolError):
        StreamDecoder().decode([data])
