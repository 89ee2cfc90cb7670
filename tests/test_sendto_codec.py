"""The sendto codec: round trips, any chopping gives the same packets, random bytes never raise
anything but the codec's own error; and PROTOCOL.md's worked examples, byte for byte."""
from hypothesis import given, strategies as st

from tests.conftest import reference_module

codec = reference_module("sendto", "codec")

names = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1,
                max_size=20).filter(codec.valid_name)
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
requests = st.one_of(names.map(lambda n: ("login", n)), st.just(("list",)), st.just(("logout",)),
                     st.tuples(st.just("sendto"), names, texts))
replies = st.one_of(st.lists(names, max_size=5).map(lambda ns: ("LIST", ns)),
                    st.sampled_from([codec.OK, codec.FAILURE, codec.MALFORMED]).map(lambda r: ("RESPONSE", r)),
                    st.tuples(st.just("SENDTO"), names, texts))


def encode_request(request) -> bytes:
    kind = request[0]
    return {"login": lambda: codec.login(request[1]), "list": codec.list_request, "logout": codec.logout,
            "sendto": lambda: codec.sendto_request(request[1], request[2])}[kind]()


def encode_reply(reply) -> bytes:
    kind = reply[0]
    return {"LIST": lambda: codec.user_list(reply[1]), "RESPONSE": lambda: codec.response(reply[1]),
            "SENDTO": lambda: codec.sendto(reply[1], reply[2])}[kind]()


def chopped(stream: bytes, cuts: list) -> list:
    points = sorted({c % (len(stream) + 1) for c in cuts})
    decoder, packets = codec.Decoder(), []
    for a, b in zip([0] + points, points + [len(stream)]):
        packets.extend(decoder.feed(stream[a:b]))
    return packets


@given(st.lists(requests, max_size=8), st.lists(st.integers(min_value=0, max_value=5000), max_size=20))
def test_requests_round_trip_under_any_chopping(sent, cuts):
    packets = chopped(b"".join(encode_request(r) for r in sent), cuts)
    assert [codec.parse_request(p) for p in packets] == [tuple(r) for r in sent]


@given(st.lists(replies, max_size=8), st.lists(st.integers(min_value=0, max_value=5000), max_size=20))
def test_replies_round_trip_under_any_chopping(sent, cuts):
    packets = chopped(b"".join(encode_reply(r) for r in sent), cuts)
    assert [codec.parse_reply(p) for p in packets] == [tuple(r) for r in sent]


@given(st.binary(max_size=400))
def test_random_bytes_raise_only_malformed(data):
    decoder = codec.Decoder()
    for packet in decoder.feed(data):
        for parse in (codec.parse_request, codec.parse_reply):
            try:
                parse(packet)
            except codec.Malformed:
                pass


def test_protocol_md_examples():
    assert codec.login("John") == bytes.fromhex("01 00 00 00 05 04 4a 6f 68 6e")
    assert codec.login("\u017dofie") == bytes.fromhex("01 00 00 00 07 06 c5 bd 6f 66 69 65")
    assert codec.list_request() == bytes.fromhex("02 00 00 00 00")
    assert codec.sendto_request("John", "Hi!") == bytes.fromhex("03 00 00 00 08 04 4a 6f 68 6e 48 69 21")
    assert codec.logout() == bytes.fromhex("04 00 00 00 00")
    assert codec.user_list(["Bob", "John"]) == bytes.fromhex("81 00 00 00 0b 00 02 03 42 6f 62 04 4a 6f 68 6e")
    assert codec.response(codec.MALFORMED) == bytes.fromhex("82 00 00 00 01 02")
    assert codec.sendto("Bob", "Hi how are you?") == bytes.fromhex("83 00 00 00 13 03 42 6f 62") + b"Hi how are you?"


def test_bounds():
    decoder = codec.Decoder()
    assert decoder.feed(codec.list_request() + b"\x03\x00\x04\x00\x4e") == [codec.Packet(codec.LIST_REQUEST)]
    assert isinstance(decoder.too_long, codec.TooLong) and decoder.feed(b"more") == []
    largest = codec.sendto_request("\U0001d49c" * 20, "\U0001f600" * 65535)
    assert len(largest) - 5 == codec.MAX_BODY == 262221
    assert codec.parse_request(codec.Decoder().feed(largest)[0])[0] == "sendto"
    for bad in (b"\x01\x00\x00\x00\x16\x15" + b"a" * 21, b"\x01\x00\x00\x00\x05\x04a bc", b"\x07\x00\x00\x00\x00",
                codec.sendto_request("a", "x" * 65536), b"\x03\x00\x00\x00\x04\x01a\xff\xfe"):
        try:
            codec.parse_request(codec.Decoder().feed(bad)[0])
        except codec.Malformed:
            continue
        raise AssertionError(f"{bad[:20]!r} should be malformed")
