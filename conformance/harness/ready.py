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
    events = poller.poll(None if timeout is None else max(0, math.ceil(timeout * 1000)))
    # a hang-up makes a descriptor readable (its end) but not writable: a closed terminal's master
    # reports POLLHUP for ever, and a writer that took it for "writable" would spin on EAGAIN
    wanted = select.POLLOUT | select.POLLERR | select.POLLNVAL if write else ~0
    return any(mask & wanted for _, mask in events)
