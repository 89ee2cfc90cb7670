"""The jsonl codec: any chopping of the byte stream (UTF-8 split included) yields the same events."""
import json

from hypothesis import given, strategies as st

from tests.conftest import reference_module

codec = reference_module("jsonl", "codec")

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(st.lists(st.tuples(st.sampled_from(codec.CLIENT_TYPES), texts), max_size=10),
       st.lists(st.integers(min_value=0, max_value=5000), max_size=20))
def test_any_chopping_yields_the_same_events(requests, cuts):
    stream = b"".join(codec.encode(kind, data) for kind, data in requests)
    points = sorted({c % (len(stream) + 1) for c in cuts})
    decoder = codec.Decoder()
    events = []
    for a, b in zip([0] + points, points + [len(stream)]):
        events.extend(decoder.feed(stream[a:b]))
    assert [(e.type, e.data) for e in events] == requests


@given(st.binary(max_size=300))
def test_random_bytes_never_raise(data):
    for event in codec.Decoder().feed(data + b"\n"):
        assert event.error or isinstance(event.type, str)
        codec.check_request(event)
        codec.chat_message(event)


def test_requests_are_checked():
    assert codec.check_request(codec.parse(b'{"type": "history"}')) is None
    assert codec.check_request(codec.parse(b'{"type": "message", "data": 3}'))
    assert codec.check_request(codec.parse(b"[1]")) == "not a JSON object"
    assert json.loads(codec.chat("[Server]", "hi")) == {"type": "message",
                                                        "data": {"source": "[Server]", "message": "hi"}}
