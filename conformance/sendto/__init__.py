"""sendto: binary packets (reference/sendto/PROTOCOL.md); students write the client and the server."""
from conformance.harness.programs import Layout
from conformance.protocol import Protocol

from . import spec

PROTOCOL = Protocol(
    name="sendto",
    roles=("client", "server"),
    student_roles=("client", "server"),
    default_port=6000,
    # served where the protocol's own definition puts the server, in the run's private network; the
    # client is still started with HOST PORT, and SC1's elsewhere test serves at another address
    client_address=("127.0.0.1", 6000),
    client_layouts=(Layout("client.py", "{python} client.py {host} {port}"),),
    server_layouts=(Layout("server.py", "{python} server.py --port {port}"),),
    requirements=spec.REQUIREMENTS,
    beyond_text=spec.BEYOND_TEXT,
    fresh_server=True,   # one test's state never reaches another
    detection=((r"\bstruct\b", "the struct module"), (r"0x8[123]|\\x8[123]", "response types 0x81-0x83"),
               (r"\bsendto\b.*|\blogout\b", "the sendto/logout commands")),
    selftest_reference_args=("--server-cmd", "{python} server.py --port {port} --max-clients 30",
                             "--server-max-clients", "30"),
    selftest_timeout_scale=2,
    selftest_unfailed=("SC1",),   # a client that cannot connect fails every test
)
