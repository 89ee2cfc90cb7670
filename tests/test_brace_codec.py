"""The brace codec and reference server: any chopping of a server stream yields the same messages
once the stream goes quiet; the server survives bad input and one client never stalls another."""
import socket
import subprocess
import sys
import time

from hypothesis import given, strategies as st

from conformance.harness.programs import free_port, wait_listening
from tests.conftest import reference_module

codec = reference_module("brace", "codec")
ROOT_BRACE = codec.__file__.rsplit("/", 1)[0]

names = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd")), min_size=1, max_size=10)
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="{}"), min_size=1,
                max_size=40)
messages = st.one_of(st.tuples(st.just("MSG"), texts), st.tuples(st.just("CLIENTS"), st.lists(names, min_size=1,
                                                                                                max_size=4).map("|".join)))


@given(st.lists(messages, min_size=1, max_size=6), st.lists(st.integers(min_value=0, max_value=3000), max_size=20))
def test_any_chopping_yields_the_same_messages(sent, cuts):
    stream = b"".join(codec.Message(h, p).encode() for h, p in sent)
    points = sorted({c % (len(stream) + 1) for c in cuts})
    splitter, got = codec.StreamSplitter("alice"), []
    for a, b in zip([0] + points, points + [len(stream)]):
        got.extend(splitter.feed(stream[a:b]))
    got.extend(splitter.flush())   # the stream went quiet
    assert [(m.header, m.payload) for m in got] == sent


def test_welcome_as_written_and_bare_private_lines():
    splitter = codec.StreamSplitter("alice")
    got = splitter.feed(b"{alice}Welcome, alice!{CLIENTS}alice|bob") + splitter.flush()
    assert [(m.header, m.payload) for m in got] == [("alice", "Welcome, alice!"), ("CLIENTS", "alice|bob")]
    got = splitter.feed(b"bob: hi {there}{MSG}carol: yo") + splitter.flush()
    assert [(m.header, m.payload) for m in got] == [(None, "bob: hi {there}"), ("MSG", "carol: yo")]


def test_utf8_cut_in_two_is_joined():
    data = "{MSG}bob: Žluť".encode()
    splitter = codec.StreamSplitter()
    cut = data.index("Ž".encode()) + 1
    assert splitter.feed(data[:cut]) == []
    assert splitter.feed(data[cut:]) + splitter.flush() == [codec.Message("MSG", "bob: Žluť")]


def test_server_parses_one_read_as_upstream_does():
    assert codec.parse_one("{Bob}hi}lost") == codec.Message("Bob", "hi")
    assert codec.parse_one("no header") == codec.Message(None, "no header")


def read_for(sock, seconds=0.3) -> bytes:
    sock.settimeout(seconds)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    return data


def test_reference_server_survives_bad_input_and_slow_readers(tmp_path):
    port = free_port()
    server = subprocess.Popen([sys.executable, "server.py", "--port", str(port)], cwd=ROOT_BRACE,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening("127.0.0.1", port, 10)
        stuck = socket.create_connection(("127.0.0.1", port))
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.sendall(b"{REGISTER}stuck")   # never reads again
        for junk in (b"\xff\xfe{{{}}}", b"{", b"}" * 5000, b"{REGISTER}", b"{ALL}before register"):
            bad = socket.create_connection(("127.0.0.1", port))
            bad.sendall(junk)
            bad.close()
        alice = socket.create_connection(("127.0.0.1", port))
        alice.sendall(b"{REGISTER}alice")
        assert read_for(alice).startswith(b"{MSG}Welcome alice!")
        bob = socket.create_connection(("127.0.0.1", port))
        bob.sendall(b"{REGISTER}bob")
        read_for(bob)
        began = time.monotonic()
        for _ in range(200):   # far more than the stuck client's buffers hold
            alice.sendall(b"{ALL}" + b"x" * 1500)
            time.sleep(0.001)
        bob.sendall(b"{alice}psst")
        assert b"bob: psst" in read_for(alice, 1.0)
        assert time.monotonic() - began < 10
        alice.sendall(b"{QUIT}")
        assert b"{MSG}alice has left the chat.{CLIENTS}stuck|bob" in read_for(bob, 1.0)
        assert server.poll() is None
    finally:
        server.kill()
        server.wait()
