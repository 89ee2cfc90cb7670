"""Partial-send injection: every socket.send() of this process transmits at most a few bytes.

Loaded by putting this folder first on PYTHONPATH. send() still returns the count it really
sent, so a client that honours the return value works and one that ignores it loses data.
Any sitecustomize the candidate's environment already had is imported afterwards.
"""
import os
import socket
import sys

_MAX = max(1, int(os.environ.get("CHATCONFORM_SEND_MAX", "3")))
_send = socket.socket.send


def _partial_send(self, data, *flags):
    return _send(self, memoryview(data).cast("B")[:_MAX], *flags)


socket.socket.send = _partial_send

# honour the next sitecustomize on the path, if there is one
_here = os.path.dirname(os.path.abspath(__file__))
_self = sys.modules.pop("sitecustomize", None)
_saved = sys.path[:]
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
try:
    import sitecustomize  # noqa: F401
except ImportError:
    pass
finally:
    sys.path[:] = _saved
    if _self is not None:
        sys.modules["sitecustomize"] = _self  # the import system expects to find this module
