"""The chat10 codec: any chopping yields the same messages; bad streams raise only its own error."""
from hypothesis import given, strategies as st

from tests.conftest import reference_module

codec = reference_module("chat10", "codec")

names = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd")), min_size=1, max_size=12)
bodies = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60)
messages = st.one_of(names.map(lambda n: ("JOIN", n, "")), names.map(lambda n: ("LEAVE", n, "")),
                     st.tuples(st.just("TEXT"), names, bodies | st.just("a\r\n\r\nCHAT/1.0 JOIN\r\n\r\n")))


def encode(message) -> bytes:
    method, name, body = message
    return codec.text(name, body) if method == "TEXT" else codec.encode(method, name)


@given(st.lists(messages, max_size=8), st.lists(st.integers(min_value=0, max_value=5000), max_size=20))
def test_any_chopping_yields_the_same_messages(sent, cuts):
    stream = b"".join(encode(m) for m in sent)
    points = sorted({c % (len(stream) + 1) for c in cuts})
    decoder, got = codec.Decoder(), []
    for a, b in zip([0] + points, points + [len(stream)]):
        got.extend(decoder.feed(stream[a:b]))
    assert [(m.method, m.username, m.text()) for m in got] == [tuple(m) for m in sent]
    assert all(m.problem() is None for m in got)


@given(st.binary(max_size=300))
def test_random_bytes_raise_only_protocol_error(data):
    try:
        for message in codec.Decoder().feed(data + b"\r\n\r\n"):
            message.problem()
    except codec.ProtocolError:
        pass


def test_spec_example_and_bounds():
    assert codec.text("shafer", "My first chat message!") == (
        b"CHAT/1.0 TEXT\r\nUsername: shafer\r\nMsg-len: 22\r\n\r\nMy first chat message!")
    assert codec.join("shafer") == b"CHAT/1.0 JOIN\r\nUsername: shafer\r\n\r\n"
    (message,) = codec.Decoder().feed(b"CHAT/1.0 TEXT\r\nusername: a\r\nMSG-LEN: 0\r\n\r\n")
    assert message.problem() == "a TEXT with an empty payload"
    for bad in (b"HTTP/1.1 GET\r\n\r\n", b"CHAT/1.0 TEXT\r\nMsg-len: 99999999999\r\n\r\n", b"x" * 20000):
        try:
            codec.Decoder().feed(bad)
        except codec.ProtocolError:
            continue
        raise AssertionError(f"{bad[:30]!r} should be a protocol error")
