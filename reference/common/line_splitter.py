"""Sans-IO: complete lines out of a byte stream, whatever size its reads (recv(1) included). The
line protocols' codecs (cnlab, jsonl) frame with it, so their server and client split alike."""
from __future__ import annotations


class LineTooLong(Exception):
    """More than max_line bytes came without a line end (or in one line)."""


class LineSplitter:
    """Accumulates a byte stream and hands out its complete lines, without their `\\n`."""

    def __init__(self, max_line: int | None = None, whole_lines_too: bool = True):
        self._buf = bytearray()
        self._max_line = max_line
        self._whole_lines_too = whole_lines_too   # False: only what waits for its line end is bounded

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        lines = []
        while (end := self._buf.find(b"\n")) >= 0:
            line = bytes(self._buf[:end])
            del self._buf[: end + 1]
            if self._whole_lines_too:
                self._bound(len(line))
            lines.append(line)
        self._bound(len(self._buf))
        return lines

    def _bound(self, size: int) -> None:
        if self._max_line is not None and size > self._max_line:
            raise LineTooLong(size)

    @property
    def pending(self) -> bytes:
        return bytes(self._buf)
