"""The reference cnlab server under bad input and slow readers: it never crashes and never lets one
client stall another. (Its protocol behaviour is the server suite's business.)"""
import random
import socket
import sys
import time

import pytest

from conformance.harness.programs import Background, free_port
from conformance.selftest.checks import ROOT


@pytest.fixture
def server():
    host, port = "127.0.0.1", free_port()
    process = Background([sys.executable, "server.py", "--host", host, "--port", str(port)],
                         ROOT / "reference" / "cnlab")
    process.wait_listening(host, port, "reference server")
    yield host, port
    assert process.alive(), process.output()
    process.kill()


def connect(address, name=None):
    sock = socket.create_connection(address, timeout=5)
    _buffers.pop(sock.fileno(), None)
    if name:
        sock.sendall(f"HELLO-FROM {name}\n".encode())
        assert read_line(sock) == f"HELLO {name}\n".encode()
    return sock


_buffers: dict = {}


def read_line(sock):
    buffer = _buffers.setdefault(sock.fileno(), bytearray())
    while b"\n" not in buffer:
        data = sock.recv(65536)
        if not data:
            break
        buffer += data
    end = buffer.find(b"\n") + 1 or len(buffer)
    line = bytes(buffer[:end])
    del buffer[:end]
    return line


def test_garbage_never_crashes_it(server):
    rng = random.Random(5)
    for i in range(20):
        sock = connect(server, f"g{i}" if i % 2 else None)
        sock.sendall(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000))) + b"\n\xff\xfe\x00\n")
        sock.close()
    ok = connect(server, "survivor")
    ok.sendall(b"LIST\n")
    assert read_line(ok).startswith(b"LIST-OK ")


def test_a_client_that_never_reads_does_not_stall_others(server):
    stuck = connect(server, "stuck")
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sender = connect(server, "sender")
    friend = connect(server, "friend")
    sender.settimeout(10)
    big = b"x" * 60_000
    start = time.monotonic()
    for _ in range(100):   # 6 MB to a client that reads nothing
        sender.sendall(b"SEND stuck " + big + b"\n")
        assert read_line(sender) == b"SEND-OK\n"
    sender.sendall(b"SEND friend hello\n")
    assert read_line(sender) == b"SEND-OK\n"
    assert read_line(friend) == b"DELIVERY sender hello\n"
    assert time.monotonic() - start < 10


def test_an_endless_line_is_cut_off(server):
    sock = connect(server, "endless")
    chunk = b"y" * 1_000_000
    try:
        for _ in range(40):   # 40 MB without a newline: the server closes us past 16 MiB
            sock.sendall(chunk)
    except OSError:
        pass
    sock.settimeout(5)
    try:
        rest = sock.recv(100)
    except ConnectionResetError:
        rest = b""
    assert rest == b""
    ok = connect(server, "after")
    ok.sendall(b"LIST\n")
    assert read_line(ok).startswith(b"LIST-OK ")
