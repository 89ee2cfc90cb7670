"""cnlab: the course's line protocol (HELLO-FROM, SEND, DELIVERY); students write the client, the
server is given (its suite checks the course's server and the reference)."""
from conformance.harness.programs import Layout
from conformance.protocol import Protocol

from . import spec

PROTOCOL = Protocol(
    name="cnlab",
    roles=("client", "server"),
    student_roles=("client",),
    default_port=5378,
    # The assignment's tests serve at 127.0.0.1:5378 and start the client with exactly that address, so
    # a client that dials it without reading its arguments (the course's old template) passes them.
    # Whether a client honours --address/--port is judged once, by CL1 (serving elsewhere), a warning
    # beyond the text.
    client_address=("127.0.0.1", 5378),
    client_layouts=(
        Layout("client.py", "{python} client.py --address {host} --port {port}"),
        Layout("chat_client_check/client.py", "{python} chat_client_check/client.py --address {host} --port {port}"),
        Layout("a1_chat_client", "{python} -m a1_chat_client -a {host} -p {port}"),
    ),
    server_layouts=(Layout("server.py", "{python} server.py --host {host} --port {port}"),),
    requirements=spec.REQUIREMENTS,
    beyond_text=spec.BEYOND_TEXT,
    # the server suite shares one server: one that dies when a test's clients hang up breaks this (never
    # the test's own requirement, nor the next test's)
    disconnect_requirement="SV12",
    header_words=spec.HEADERS,
    reference_server_args=("--delaybot-pause", "0.5"),
    detection=((r"HELLO-FROM", "the HELLO-FROM handshake"), (r"DELIVERY|SEND-OK|BAD-DEST-USER", "cnlab replies"),
               (r"--address", "the --address option")),
    # the reference server started with a known client limit, so the BUSY test runs too
    selftest_reference_args=("--server-cmd", "{python} server.py --host {host} --port {port} --max-clients 4",
                             "--server-max-clients", "4"),
    selftest_timeout_scale=1,   # its RT5 bound is a verdict
    # a broken RA1/RT1 (the handshake) or SV1 (the server's greeting) fails every test; SV5 needs a known limit
    selftest_unfailed=("RA1", "RT1", "SV1", "SV5"),
)
