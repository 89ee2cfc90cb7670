"""Waiting for a descriptor to be ready, with poll(): select() refuses descriptors numbered 1024 and
up, which a test that opens hundreds of connections reaches."""
from __future__ import annotations

import math
import select


def ready(fd, timeout: float | None = None, write: bool = False) -> bool:
    """True once `fd` (a descriptor or an object with fileno()) can be read (or written) without
    blocking, its end or an error included, as select() says; False after `timeout` seconds (None:
    wait for ever)."""
    poller = select.poll()
    poller.register(fd, select.POLLOUT if write else select.POLLIN)
    return bool(poller.poll(None if timeout is None else max(0, math.ceil(timeout * 1000))))
