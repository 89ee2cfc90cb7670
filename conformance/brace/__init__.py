"""brace: {HEADER}payload with no delimiter; students write a PyQt5 client, the server is given."""
from conformance.harness.programs import Layout
from conformance.protocol import Protocol

from . import spec

PROTOCOL = Protocol(
    name="brace",
    roles=("client",),   # the server is handed out (reference/brace/server.py behaves like it)
    student_roles=("client",),
    default_port=33002,
    # real submissions take host and port from fields in the window, or ignore them and always connect
    # to 127.0.0.1:33002: the scripted and the live server listen there (in the run's private network)
    client_address=("127.0.0.1", 33002),
    client_layouts=(Layout("client.py", "{python} client.py"),),
    server_layouts=(),
    requirements=spec.REQUIREMENTS,
    gui_toolkit="qt",    # Qt's offscreen platform: no X server
    fresh_server=True,
    detection=((r"\{REGISTER\}|[\"']REGISTER[\"']", "the {REGISTER} header"), (r"\bPyQt5\b", "PyQt5"),
               (r"\{QUIT\}|\{CLIENTS\}|[\"']CLIENTS[\"']", "the {QUIT}/{CLIENTS} headers")),
    selftest_timeout_scale=2,
)
