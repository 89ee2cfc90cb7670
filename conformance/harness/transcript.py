"""A timestamped log of one test: what the terminal showed, what was typed, the wire both ways."""
from __future__ import annotations

import threading
import time

MAX_EVENT_CHARS = 400      # one event is cut in the middle past this
MAX_EVENTS = 2000          # a flooding candidate does not grow the log without bound


_ESCAPES = str.maketrans({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"})


def visible(data: bytes | str) -> str:
    """Show invisible characters: b'hi\\r\\n\\x00' -> 'hi\\r\\n\\x00' (escaped), tabs and spaces kept."""
    text = data.decode("utf-8", "backslashreplace") if isinstance(data, bytes) else data
    text = text.translate(_ESCAPES)
    if text.isprintable():   # the usual case, checked in C
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def clip(text: str, limit: int = MAX_EVENT_CHARS, marker: str = "…[{} more chars]…") -> str:
    """text cut in the middle to `limit` characters; `marker` says how many went."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}{marker.format(len(text) - limit)}{text[-half:]}"


def shown(data: bytes | str, limit: int = MAX_EVENT_CHARS) -> str:
    """clip(visible(data)), without escaping the middle of a large event that is cut anyway."""
    if len(data) <= 2 * limit:
        return clip(visible(data), limit)
    half = limit // 2
    unit = "bytes" if isinstance(data, bytes) else "chars"
    return f"{visible(data[:half])}…[{len(data) - 2 * half} more {unit}]…{visible(data[-half:])}"


class Transcript:
    """Events are (seconds since start, channel, text); channels read like `term>` or `wire#1<`."""

    def __init__(self):
        self.start = time.monotonic()
        self.events: list[tuple[float, str, str]] = []
        self.dropped = 0
        self.connections = 0
        self._lock = threading.Lock()

    def new_connection(self) -> str:
        """The label of the next connection of this test, unique across all its peers: wire#1, wire#2, …"""
        with self._lock:
            self.connections += 1
            return f"wire#{self.connections}"

    def add(self, channel: str, data: bytes | str) -> None:
        with self._lock:
            if len(self.events) >= MAX_EVENTS:
                self.dropped += 1
                return
            self.events.append((time.monotonic() - self.start, channel, shown(data)))

    def note(self, text: str) -> None:
        self.add("note", text)

    def restart(self, why: str) -> None:
        """Forget the events so far (a model test's earlier sessions: the witness's replay is what counts)."""
        with self._lock:
            self.events.clear()
            self.dropped = 0
            self.start = time.monotonic()
        self.note(why)

    def render(self) -> str:
        with self._lock:
            lines = [f"+{t:7.3f}s {channel:<9} {text}" for t, channel, text in self.events]
            if self.dropped:
                lines.append(f"... {self.dropped} more events not kept")
        return "\n".join(lines)


LEGEND = ("term<  printed by the candidate    term>  typed into it\n"
          "wire#N< bytes the candidate sent on connection N    wire#N> bytes sent to it")
