"""When waiting is pointless (conformance/harness/waiting.py): a wait that cannot be met any more
fails at once, and one that still can be met is never cut short."""
import random
import sys
import textwrap
import time

import pytest

from conformance.harness import programs, waiting
from conformance.harness.failure import CheckFailure
from conformance.harness.peer import ScriptedServer
from conformance.harness.terminal import Terminal
from conformance.harness.transcript import Transcript


@pytest.fixture
def server():
    server = ScriptedServer(Transcript(), random.Random(1))
    yield server
    server.close()


@pytest.fixture
def watched(tmp_path):
    """watched(code, *args): the program as the only program of a test, as the suite's launch
    fixture makes it; killed afterwards."""
    started = []

    def start(code: str, *args: str) -> Terminal:
        script = tmp_path / "prog.py"
        script.write_text(textwrap.dedent(code))
        term = Terminal([sys.executable, str(script), *args], str(tmp_path), programs.environment(), Transcript())
        started.append(term)
        waiting.begin_test()
        waiting.involve(lambda: term.pid)
        return term

    yield start
    for term in started:
        term.kill()
    waiting.begin_test()


def fails_at_once(wait, match: str = "blocked waiting for input") -> None:
    began = time.monotonic()
    with pytest.raises(CheckFailure, match=match):
        wait()
    assert time.monotonic() - began < 3


BLOCKED_FOR_GOOD = {
    "input": "input()",
    "lock": "import threading; threading.Event().wait()",
    "select": "import select, sys; select.select([sys.stdin], [], [])",
    "long sleep": "import time; time.sleep(3600)",
    "reads keyboard, message unread": """
        import socket, sys
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        input()
        print(s.recv(100).decode())
    """,
    "threads": """
        import threading
        threading.Thread(target=input).start()
        threading.Event().wait()
    """,
}


@pytest.mark.parametrize("code", BLOCKED_FOR_GOOD.values(), ids=BLOCKED_FOR_GOOD.keys())
def test_a_wait_that_cannot_be_met_fails_at_once(watched, server, code):
    term = watched(code, str(server.port))
    if "socket" in code:
        server.accept().send(b"a message nobody reads\n")
    fails_at_once(lambda: term.expect_line("never printed", timeout=10))


STILL_COMING = {
    "short sleep": "import time; time.sleep(1.0); print('late')",
    "timer thread": "import threading; threading.Timer(1.0, lambda: print('late')).start()",
    "select with a timeout": """
        import select, sys
        for _ in range(10):
            select.select([sys.stdin], [], [], 0.1)
        print('late')
    """,
    "lock with a timeout": "import threading; threading.Event().wait(1.0); print('late')",
    "computing": "sum(range(10 ** 7)); print('late')",
}


@pytest.mark.parametrize("code", STILL_COMING.values(), ids=STILL_COMING.keys())
def test_a_wait_that_can_still_be_met_is_not_cut_short(watched, code):
    watched(code).expect_line("late", timeout=10)


def test_a_connection_that_cannot_come_fails_at_once(watched, server):
    watched("input()")
    fails_at_once(lambda: server.accept(timeout=10), "did not open a TCP connection.*blocked waiting")


def test_bytes_that_cannot_come_fail_at_once_and_coming_ones_arrive(watched, server):
    watched("""
        import socket, sys, time
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        s.recv(100)
        time.sleep(0.5)
        s.sendall(b"late\\n")
        s.recv(100)
    """, str(server.port))
    peer = server.accept()
    peer.send(b"go\n")
    assert peer.read_line(timeout=10) == b"late\n"
    fails_at_once(lambda: peer.read_line(timeout=10))


def test_nothing_is_cut_short_where_a_program_cannot_be_seen(watched):
    """With a program of the test out of sight (a server outside the run, a GUI: waiting.blind) a
    wait runs its full length."""
    term = watched("input()")
    waiting.blind()
    began = time.monotonic()
    with pytest.raises(CheckFailure, match="not within 1.0s"):
        term.expect_line("never printed", timeout=1.0)
    assert time.monotonic() - began >= 1.0
