"""The cnlab codec: framing is right whatever the read sizes (property-tested)."""
import pytest
from hypothesis import given, strategies as st

from tests.conftest import reference_module

codec = reference_module("cnlab", "codec")

lines_strategy = st.lists(st.binary(max_size=50).map(lambda b: b.replace(b"\n", b"")), max_size=20)


def chop(data: bytes, cuts: list) -> list:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0] + points, points + [len(data)])]


@given(lines_strategy, st.lists(st.integers(min_value=0, max_value=10_000), max_size=30))
def test_any_chopping_yields_the_same_lines(lines, cuts):
    stream = b"".join(line + b"\n" for line in lines)
    buffer = codec.LineBuffer()
    got = []
    for piece in chop(stream, cuts):
        got.extend(buffer.feed(piece))
    expected = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    assert got == expected
    assert buffer.pending == b""


def test_one_byte_at_a_time_and_crlf():
    buffer = codec.LineBuffer()
    got = []
    for byte in b"HELLO a\r\nSEND-OK\n":
        got.extend(buffer.feed(bytes([byte])))
    assert got == [b"HELLO a", b"SEND-OK"]


def test_line_too_long_is_reported():
    buffer = codec.LineBuffer(max_line=10)
    with pytest.raises(codec.LineTooLong):
        buffer.feed(b"x" * 11)


@given(st.binary(max_size=200))
def test_decode_encode_round_trips_any_bytes(raw):
    raw = raw.replace(b"\n", b"")
    assert codec.encode(codec.decode(raw)) == raw + b"\n"


def test_replies():
    assert codec.Reply.parse(b"DELIVERY bob hi  there") == codec.Reply("DELIVERY", "bob hi  there")
    assert codec.list_ok(["a", "b"]) == b"LIST-OK a,b\n"
    assert codec.delivery("a", "x y") == b"DELIVERY a x y\n"
    assert codec.hello_from("ann") == b"HELLO-FROM ann\n"
    assert codec.valid_name("Ann9") and not codec.valid_name("a_b") and not codec.valid_name("")
