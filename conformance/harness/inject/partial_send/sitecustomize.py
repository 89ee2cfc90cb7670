"""Partial-send injection: every socket.send() of this process transmits at most a few bytes.

Loaded by putting this folder first on PYTHONPATH. send() still returns the count it really
sent, so a client that honours the return value works and one that ignores it loses data.
Any sitecustomize the candidate's environment already had is imported afterwards.
"""
import os
import socket

_MAX = max(1, int(os.environ.get("CHATCONFORM_SEND_MAX", "3")))
_send = socket.socket.send


def _partial_send(self, data, *flags):
    return _send(self, memoryview(data).cast("B")[:_MAX], *flags)


socket.socket.send = _partial_send

from chatconform_chain import import_next_sitecustomize  # noqa: E402  (inject/common is on the path too)

import_next_sitecustomize(__file__)
