"""Wire peers: a scripted server for a candidate client, a raw client for a candidate server.

Every byte received is logged with its time; bytes are sent under a delivery policy so the
candidate's framing is exercised (TCP_NODELAY plus a short gap makes pieces travel apart).
"""
from __future__ import annotations

import random
import socket
import struct
import threading
import time

from . import settings, timing, variation, waiting
from .programs import HarnessError
from .failure import CheckFailure
from .ready import ready
from .transcript import Transcript

MAX_KEPT = 64 * 1024 * 1024  # bytes kept from one connection; a flooding candidate loses the rest
PIECE_GAP = 0.003            # between the pieces of one delivery, so they are separate segments
SEND_STALL = 10.0            # a send that makes no progress this long: the candidate stopped reading

POLICIES = ("whole", "coalesced", "bytewise", "chunks3", "chops", "utf8-split")


def plan(messages: list[bytes], policy: str, rng: random.Random) -> list[bytes]:
    """Cut `messages` into the writes a delivery policy makes."""
    data = b"".join(messages)
    if policy == "whole":
        return list(messages)
    if policy == "coalesced":
        return [data]
    if policy == "bytewise":
        return [data[i:i + 1] for i in range(len(data))]
    if policy.startswith("chunks"):
        n = int(policy[len("chunks"):])
        return [data[i:i + n] for i in range(0, len(data), n)]
    if policy == "chops":
        cuts = set(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(2, 8))))
        inside = [i for i in range(1, len(data)) if 0x80 <= data[i] < 0xC0]   # before a continuation byte
        if inside and not cuts & set(inside):
            cuts.add(rng.choice(inside))   # some cut splits a character, whatever the seed: same verdict
        cuts = sorted(cuts)
        return [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]
    if policy == "utf8-split":
        # cut every message inside its first multi-byte character (a lead byte is >= 0xC0)
        pieces = []
        for message in messages:
            cut = next((i + 1 for i, b in enumerate(message) if b >= 0xC0), None)
            pieces.extend([message[:cut], message[cut:]] if cut else [message])
        return pieces
    raise ValueError(f"unknown delivery policy {policy!r}")


class WirePeer:
    """One TCP connection as the harness sees it."""

    def __init__(self, sock: socket.socket, transcript: Transcript, label: str, rng: random.Random):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.transcript = transcript
        self.label = label
        self.rng = rng
        self.received = bytearray()
        self.consumed = 0
        self.eof = False
        self.reset = False
        self._reading = threading.Event()
        self._reading.set()
        self._cond = threading.Condition()
        self._taking = False
        # the socket is closed by whichever of the reader and close() comes last, never while the reader
        # polls it: a descriptor closed under a poll can be given to the next socket or pipe opened, and
        # the poll would then hold that one (a subprocess's exec pipe: the harness hung in fork)
        self._closing = False
        self._reader_done = False
        self.answers_close = False   # a scripted server's connection: the candidate's close is answered
        self.socket_closed = threading.Event()
        waiting.connection(sock)
        self._reader = threading.Thread(target=self._read, daemon=True, name=f"peer-{label}")
        self._reader.start()

    # --- receiving -------------------------------------------------------------------------

    def _read(self) -> None:
        try:
            self._read_until_the_end()
        finally:
            with self._cond:
                self._reader_done = True
                mine = self._closing
            if mine:
                self._close_socket()

    def _read_until_the_end(self) -> None:
        while True:
            self._reading.wait()
            try:
                ready(self.sock)   # until bytes or the end arrive
                self._taking = True   # read but not yet taken in: not drained (waiting.Hopeless)
                data = self.sock.recv(65536)
            except (OSError, ValueError):
                data, reset = b"", True
            else:
                reset = False
            with self._cond:
                if data:
                    self.transcript.add(f"{self.label}<", data)
                    if len(self.received) < MAX_KEPT:
                        self.received += data
                else:
                    self.eof, self.reset = True, reset
                    self.transcript.add(f"{self.label}<", "[reset]" if reset else "[closed]")
                self._taking = False
                self._cond.notify_all()
            if not data:
                if not reset and self.answers_close:
                    self._answer_close()
                return

    def _answer_close(self) -> None:
        """Close our side once the candidate closed its own, as every real server does (its recv()
        returns b'' and it closes): a client that half-closes on !quit and waits for the server's close
        to end its reader thread then exits, as it does against the course's server."""
        with self._cond:   # under the lock: a vanish() in between must not follow this FIN with its reset
            if self._closing:
                return
            self.transcript.add(f"{self.label}>", "[close] (answering the candidate's)")
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    @timing.books("candidate", "the wire")
    def _wait(self, predicate, timeout: float, give_up: bool = False) -> bool | None:
        """settings.wait_until; `give_up`: None as soon as the bytes cannot come any more (waiting.py)."""
        hopeless = waiting.Hopeless(self._drained, time.monotonic() + timeout) if give_up else None
        return settings.wait_until(self._cond, predicate, timeout, hopeless)

    def _drained(self) -> bool:
        """Has the harness taken in everything that arrived? (Kernel queue first, then the reader.)
        Asked with a poll, not FIONREAD: the candidate's close counts no bytes, and on a loaded machine
        its end can wait a while for the reader to be scheduled; until then the connection is not
        drained (a wait for that close gave up as if nothing could come any more)."""
        if self.eof:
            return True   # the reader has taken in the end: nothing more can come
        try:
            if ready(self.sock, 0):
                return False
        except (OSError, ValueError):
            return True   # closed: nothing more can arrive
        return not self._taking and self._reading.is_set()

    def _why_not(self, found, timeout: float, began: float, what: str = "nothing complete") -> str:
        if self.eof:
            return "the connection was closed"
        if found is None:
            return f"{what}: {waiting.explain(time.monotonic() - began)}"
        return f"{what} within {timeout:.1f}s"

    def wait_taken_in(self, timeout: float) -> bool:
        """Until the harness has read every byte that has arrived on this connection. A test that floods
        a wire it does not check paces itself by this: on a loaded machine a starved reader would let the
        candidate's queue for this connection grow, and a server may rightly drop so slow a reader."""
        return bool(self._wait(self._drained, timeout))

    def pause_reading(self) -> None:
        """Play a client that never reads: what the candidate sends piles up in the kernel."""
        self._reading.clear()
        self.transcript.note(f"{self.label} stops reading")

    def resume_reading(self) -> None:
        self._reading.set()

    def unread(self) -> bytes:
        with self._cond:
            return bytes(self.received[self.consumed:])

    def has_line(self) -> bool:
        """Has a complete line arrived that nobody has read yet?"""
        with self._cond:
            return self.received.find(b"\n", self.consumed) >= 0

    def read_line(self, timeout: float | None = None, what: str = "a line") -> bytes:
        """The next line (with its `\\n`); a CheckFailure if none comes in time."""
        return self.read_until(b"\n", timeout, what)

    def read_until(self, end: bytes, timeout: float | None = None, what: str = "more bytes",
                   limit: int | None = None) -> bytes:
        """The bytes up to and including the next `end`; a CheckFailure if it does not come in time,
        or (with `limit`) if more than `limit` bytes came without it."""
        timeout = settings.wait(settings.EVENT) if timeout is None else timeout
        too_long = (lambda: len(self.received) - self.consumed > limit) if limit else (lambda: False)
        began = time.monotonic()
        found = self._wait(lambda: self.received.find(end, self.consumed) >= 0 or self.eof or too_long(), timeout,
                           give_up=True)
        with self._cond:
            at = self.received.find(end, self.consumed)
            if limit and not 0 <= at - self.consumed <= limit and too_long():
                raise CheckFailure(f"Expected {what} from the candidate on {self.label}, but more than {limit} "
                                   f"bytes came without {end!r}.", actual=bytes(self.received[self.consumed:
                                                                                              self.consumed + 400]))
            if at < 0:
                pending = bytes(self.received[self.consumed:])
                raise CheckFailure(f"Expected {what} from the candidate on {self.label}, but "
                                   f"{self._why_not(found, timeout, began)}.", actual=pending if pending else None)
            data = bytes(self.received[self.consumed:at + len(end)])
            self.consumed = at + len(end)
            return data

    def read_exact(self, n: int, timeout: float | None = None, what: str = "more bytes") -> bytes:
        """The next n bytes (binary protocols); a CheckFailure if they do not all come in time."""
        timeout = settings.wait(settings.EVENT) if timeout is None else timeout
        began = time.monotonic()
        found = self._wait(lambda: len(self.received) - self.consumed >= n or self.eof, timeout, give_up=True)
        with self._cond:
            if len(self.received) - self.consumed < n:
                pending = bytes(self.received[self.consumed:])
                why = self._why_not(found, timeout, began, "not all of them")
                raise CheckFailure(f"Expected {what} from the candidate on {self.label}, but {why}.",
                                   expected=f"{n} bytes", actual=pending if pending else "[nothing]")
            data = bytes(self.received[self.consumed:self.consumed + n])
            self.consumed += n
            return data

    def expect_line(self, expected: bytes, timeout: float | None = None, crlf_ok: bool = True) -> None:
        """The next line on the wire must be exactly `expected` (which ends in `\\n`)."""
        line = self.read_line(timeout, what=repr(expected))
        if line == expected or (crlf_ok and line == expected[:-1] + b"\r\n"):
            return
        raise CheckFailure(f"Wrong bytes from the candidate on {self.label}.", expected=expected, actual=line)

    @timing.books("window", "quiet (wire)")
    def expect_silence(self, window: float | None = None, why: str = "") -> None:
        """No byte may arrive during the window (nor may the connection close)."""
        window = settings.wait(settings.QUIET) if window is None else window
        before = len(self.received)
        if self._wait(lambda: len(self.received) > before or self.eof, window):
            data = self.unread()
            raise CheckFailure(f"The candidate sent something on {self.label}{why}; it should have sent nothing.",
                               expected=b"", actual=data if data else "[closed the connection]")

    def expect_closed(self, timeout: float | None = None, why: str = "") -> None:
        timeout = settings.wait(settings.EVENT) if timeout is None else timeout
        began = time.monotonic()
        closed = self._wait(lambda: self.eof, timeout, give_up=True)
        if closed is None:
            raise CheckFailure(f"The candidate kept {self.label} open{why}, and "
                               f"{waiting.explain(time.monotonic() - began)}; it should have closed it.")
        if not closed:
            raise CheckFailure(f"The candidate kept {self.label} open{why}; it should have closed it "
                               f"within {timeout:.1f}s.")

    def wait_closed(self, timeout: float) -> bool:
        return self._wait(lambda: self.eof, timeout)

    # --- sending ---------------------------------------------------------------------------

    def send(self, *messages: bytes, policy: str = "whole") -> None:
        pieces = plan(list(messages), policy, self.rng)
        variation.note_plan(list(messages), pieces)
        if variation.active("delivery") == "separate":   # a diagnosis's replay: each message on its own
            pieces = list(messages)
        elif variation.active("delivery") == "char-safe":
            pieces = variation.char_safe(pieces)
        for i, piece in enumerate(pieces):
            if i:
                time.sleep(PIECE_GAP)  # shaping the delivery, not synchronising with anything
            self.send_raw(piece)

    def send_raw(self, data: bytes) -> None:
        # bounded: a candidate that stops reading must not hold the test until its overall bound
        if not self.send_within(data, settings.wait(SEND_STALL)):
            raise CheckFailure(f"Could not send to the candidate on {self.label}: it took nothing more for "
                               f"{settings.wait(SEND_STALL):.1f}s (it stopped reading).")
        if variation.active("delivery") == "separate":
            # a diagnosis's replay: the program reads this write before the next one comes
            time.sleep(settings.wait(variation.SEPARATE_GAP))

    def send_within(self, data: bytes, timeout: float) -> bool:
        """Send data unless the candidate stops taking it for `timeout` seconds: True if all went."""
        self.transcript.add(f"{self.label}>", data)
        view = memoryview(data)
        while view:
            if not ready(self.sock, timeout, write=True):
                self.transcript.note(f"{self.label}: the candidate stopped reading; {len(view)} bytes unsent")
                return False
            try:
                view = view[self.sock.send(view, socket.MSG_DONTWAIT):]
            except BlockingIOError:
                continue
            except OSError as exc:
                raise CheckFailure(f"Could not send to the candidate on {self.label}: {exc}. "
                                   "Did it close the connection?") from None
        return True

    def vanish(self) -> None:
        """Close with a reset (SO_LINGER 0), as a killed client or a pulled cable does: no goodbye."""
        with self._cond:
            if self._closing:   # closed already: nothing left to reset
                return
            self._closing = True   # before the shutdown: the reader must not answer with a FIN
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transcript.add(f"{self.label}>", "[reset]")
        try:
            self.sock.shutdown(socket.SHUT_RD)   # sends nothing; wakes our reader, which holds the socket
        except OSError:
            pass
        self._hand_over_close()
        self.socket_closed.wait(settings.wait(settings.EVENT))   # the reset goes out when it is closed

    def half_close(self) -> None:
        """Stop sending (a FIN) and still read: the peer sees the end of this side only."""
        self.transcript.add(f"{self.label}>", "[half-close]")
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        self.transcript.add(f"{self.label}>", "[close]")
        with self._cond:
            self._closing = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)   # the goodbye (FIN) goes out now; it wakes our reader
        except OSError:
            pass
        self._hand_over_close()

    def _hand_over_close(self) -> None:
        with self._cond:
            self._closing = True
            mine = self._reader_done
        self._reading.set()   # a paused reader goes on, to read the end the shutdown made
        if mine:
            self._close_socket()

    def _close_socket(self) -> None:
        self.sock.close()
        self.socket_closed.set()


class ScriptedServer:
    """Listens on loopback and plays the server for a candidate client, connection by connection."""

    def __init__(self, transcript: Transcript, rng: random.Random, host: str = "127.0.0.1", port: int = 0):
        """port 0: a free one; a fixed port is for clients that connect only there (brace: 33002)."""
        self.transcript = transcript
        self.rng = rng
        try:
            self.listener = socket.create_server((host, port))
        except OSError as exc:
            raise HarnessError(f"the scripted server cannot listen on {host}:{port} ({exc.strerror}): another "
                               "program holds that port (outside a private network the run shares the "
                               "machine's ports)") from None
        self.host, self.port = self.listener.getsockname()[:2]
        self.peers: list[WirePeer] = []
        self.candidate_alive = lambda: True   # set by whoever starts the candidate: stop waiting once it exits
        self.candidate_remotes = lambda: []    # ... and where its sockets are connected, for a diagnosis

    @timing.books("candidate", "a connection")
    def accept(self, timeout: float | None = None, why: str = "") -> WirePeer:
        """The next connection; fails as soon as the candidate has exited, or after `timeout`."""
        timeout = settings.wait(settings.STARTUP) if timeout is None else timeout
        began = time.monotonic()
        deadline = began + timeout
        hopeless = waiting.Hopeless(until=deadline)
        while True:
            remaining = deadline - time.monotonic()
            if ready(self.listener, max(0.0, min(remaining, settings.POLL))):
                return self._take(self.listener.accept()[0])
            if not self.candidate_alive():
                pending = self.accept_pending()   # it may have connected just before it exited
                if pending:
                    return pending[0]
                raise CheckFailure(f"The candidate did not open a TCP connection to {self.host}:{self.port}"
                                   f"{why}: it exited without connecting.")
            if hopeless():
                pending = self.accept_pending()   # it may have connected just before the last look
                if pending:
                    return pending[0]
                raise CheckFailure(f"The candidate did not open a TCP connection to {self.host}:{self.port}"
                                   f"{why}: {waiting.explain(time.monotonic() - began)}.")
            if remaining <= 0:
                elsewhere = [a for a in self.candidate_remotes() if a != f"{self.host}:{self.port}"]
                raise CheckFailure(f"The candidate did not open a TCP connection to {self.host}:{self.port} "
                                   f"within {timeout:.1f}s{why}." + (
                                       f" It connected to {', '.join(elsewhere)}, not to the address and port "
                                       "it was given (--address/--port)." if elsewhere else ""))

    def accept_ready(self) -> WirePeer | None:
        """The oldest connection the candidate has opened and the harness not yet accepted, or None:
        never waits."""
        return self._take(self.listener.accept()[0]) if ready(self.listener, 0) else None

    def accept_pending(self) -> list[WirePeer]:
        """Every connection the candidate has already opened and the harness not yet accepted."""
        new = []
        while (peer := self.accept_ready()) is not None:
            new.append(peer)
        return new

    @timing.books("candidate", "the wire")
    def next_line(self, timeout: float | None = None, why: str = "") -> tuple[WirePeer, bytes]:
        """The first complete line on any open connection, old or new: (connection, line). For a
        client that may reuse a connection or open another one."""
        timeout = settings.wait(settings.STARTUP) if timeout is None else timeout
        began = time.monotonic()
        deadline = began + timeout
        hopeless = waiting.Hopeless(self._drained, deadline)
        while True:
            self.accept_pending()
            for peer in self.peers:
                if peer.has_line():
                    return peer, peer.read_line()
            stuck = hopeless()
            if stuck:
                self.accept_pending()
                if any(peer.has_line() for peer in self.peers):
                    continue
            if stuck or time.monotonic() >= deadline or not self.candidate_alive():
                state = "it exited" if not self.candidate_alive() else \
                    waiting.explain(time.monotonic() - began) if stuck else f"nothing within {timeout:.1f}s"
                raise CheckFailure(f"Expected a line from the candidate{why} on a connection to "
                                   f"{self.host}:{self.port}, but {state}.")
            time.sleep(0.01)  # polling several connections and the listener for the first line

    def _drained(self) -> bool:
        """No connection waits to be accepted, and every open one has been read to its end."""
        return not ready(self.listener, 0) and all(peer._drained() for peer in self.peers)

    def _take(self, sock: socket.socket) -> WirePeer:
        sock.settimeout(None)
        label = self.transcript.new_connection()
        self.transcript.note(f"candidate connected ({label})")
        peer = WirePeer(sock, self.transcript, label, self.rng)
        peer.answers_close = True
        self.peers.append(peer)
        return peer

    def close(self) -> None:
        self.listener.close()
        for peer in self.peers:
            peer.close()


def open_connection(host: str, port: int, timeout: float, source: str, receive_window: int | None):
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        if receive_window:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_window)
        if source:
            sock.bind((source, 0))
        sock.settimeout(timeout)
        sock.connect(address)
    except OSError:
        sock.close()
        raise
    sock.settimeout(None)
    return sock


class RawClients:
    """Opens connections to a server under test, each from its own loopback address (127.0.0.2, .3, …)
    so a per-address limit on the server cannot skew the results."""

    def __init__(self, host: str, port: int, transcript: Transcript, rng: random.Random):
        self.host, self.port = host, port
        self.transcript = transcript
        self.rng = rng
        self.peers: list[WirePeer] = []
        self.settle = lambda: None   # the plugin sets the server's settle window (settle_server)

    @timing.books("candidate", "accepting a connection")
    def connect(self, timeout: float | None = None, receive_window: int | None = None) -> WirePeer:
        """A new connection; `receive_window` (bytes) shrinks its receive buffer before the handshake,
        so a client that stops reading makes the server's sends block soon (back-pressure)."""
        timeout = settings.wait(settings.EVENT) if timeout is None else timeout
        n = len(self.peers) + 1
        source = f"127.0.0.{2 + (n - 1) % 250}" if self.host.startswith("127.") else ""
        try:
            sock = open_connection(self.host, self.port, timeout, source, receive_window)
        except OSError as exc:
            raise CheckFailure(f"Could not connect to the server at {self.host}:{self.port}: {exc}") from None
        peer = WirePeer(sock, self.transcript, self.transcript.new_connection(), self.rng)
        self.transcript.note(f"{peer.label} connected from {source or 'default address'}")
        self.peers.append(peer)
        return peer

    def close(self) -> None:
        for peer in self.peers:
            peer.close()

