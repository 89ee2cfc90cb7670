"""chat10: CHAT/1.0 headers and a Msg-len payload; students write the server and a Tkinter client."""
from conformance.harness.programs import Layout
from conformance.protocol import Protocol

from . import spec

PROTOCOL = Protocol(
    name="chat10",
    roles=("client", "server"),
    student_roles=("client", "server"),
    default_port=8765,
    # the text's defaults: --target localhost, --port 8765; the client is served there (in the run's
    # private network) and still started with --target/--port; CC1's target-port test serves elsewhere
    client_address=("127.0.0.1", 8765),
    client_layouts=(Layout("client.py", "{python} client.py --target {host} --port {port} --username {username}"),),
    server_layouts=(Layout("server.py", "{python} server.py --port {port}"),),
    requirements=spec.REQUIREMENTS,
    beyond_text=spec.BEYOND_TEXT,
    gui_toolkit="tk",    # a Tk window and its main loop, on Xvfb
    fresh_server=True,   # one test's state never reaches another
    detection=((r"CHAT/1\.0", "the CHAT/1.0 start line"), (r"Msg-len", "the Msg-len header"),
               (r"\btkinter\b", "tkinter")),
    selftest_timeout_scale=2,
)
