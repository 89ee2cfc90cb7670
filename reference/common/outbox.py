"""What the reference servers share: a per-client outbox, so a slow reader only blocks itself."""
from __future__ import annotations

import asyncio
import logging

log = logging.getLogger("reference")


class Outbox:
    """Serialises everything written to one client; a slow reader only ever blocks its own task."""

    def __init__(self, writer: asyncio.StreamWriter, max_backlog: int = 8 * 1024 * 1024):
        self.writer = writer
        self.max_backlog = max_backlog
        self.queue: asyncio.Queue = asyncio.Queue()
        self.backlog = 0
        self.task = asyncio.ensure_future(self._run())

    def put(self, data: bytes, pieces: list[bytes] | None = None, pause: float = 0.0) -> None:
        """Queue data, or data cut into pieces sent `pause` seconds apart (delaybot)."""
        if self.writer.is_closing():
            return
        self.backlog += len(data)
        if self.backlog > self.max_backlog:
            log.warning("dropping a client that does not read (%d bytes queued)", self.backlog)
            self.close()
            return
        self.queue.put_nowait((data, pieces or [data], pause))

    def close(self, after_pending: bool = False) -> None:
        if after_pending:
            self.queue.put_nowait(None)
        else:   # dropping a client: abort, since a graceful close would wait for it to read
            self.task.cancel()
            self.writer.transport.abort()

    async def _run(self) -> None:
        try:
            while True:
                item = await self.queue.get()
                if item is None:
                    break
                data, pieces, pause = item
                for i, piece in enumerate(pieces):
                    if i:
                        await asyncio.sleep(pause)
                    self.writer.write(piece)
                    await self.writer.drain()
                self.backlog -= len(data)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.writer.close()
