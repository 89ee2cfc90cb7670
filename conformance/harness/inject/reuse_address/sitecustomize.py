"""Reuse-address injection, for a server that listens on its fixed default port (it reads no arguments).

In the run's network that port is also where the client tests serve (cnlab: 127.0.0.1:5378), and the
connections they closed first wait there in TIME_WAIT for a minute: a server that binds without
SO_REUSEADDR would fail with "Address already in use", as it never would on a machine of its own (or
when restarted by the harness after a crash). So every TCP socket of this process sets SO_REUSEADDR
before it binds: two listeners still cannot share a port. Loaded by putting this folder first on
PYTHONPATH; any sitecustomize the candidate's environment already had is imported afterwards.
"""
import socket

_bind = socket.socket.bind


def _bind_reusing(self, address):
    if self.type & socket.SOCK_STREAM and self.family in (socket.AF_INET, socket.AF_INET6):
        try:
            self.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        except OSError:
            pass
    return _bind(self, address)


socket.socket.bind = _bind_reusing

from chatconform_chain import import_next_sitecustomize  # noqa: E402  (inject/common is on the path too)

import_next_sitecustomize(__file__)
