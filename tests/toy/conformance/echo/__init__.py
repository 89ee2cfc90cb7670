"""echo: a server sends every line back to its sender (the registry's toy sixth protocol)."""
from conformance.harness.programs import Layout
from conformance.protocol import MUST, Protocol

PROTOCOL = Protocol(
    name="echo",
    roles=("server",),
    student_roles=("server",),
    default_port=7007,
    client_address=("127.0.0.1", 7007),
    client_layouts=(),
    server_layouts=(Layout("server.py", "{python} server.py --port {port}"),),
    requirements={"EC1": (MUST, "The server sends every line it receives back to its sender, unchanged.")},
    fresh_server=True,
    detection=((r"\becho\b", "the word echo"),),
)
