"""jsonl: JSON lines ({"type", "data"}); students write the client and the server."""
from conformance.harness.programs import Layout
from conformance.protocol import Protocol

from . import spec

PROTOCOL = Protocol(
    name="jsonl",
    roles=("client", "server"),
    student_roles=("client", "server"),
    default_port=5555,
    # served where the examples put the server, in the run's private network; the client is still
    # started with SERVER PORT, and JC1's elsewhere test serves at another address
    client_address=("127.0.0.1", 5555),
    client_layouts=(Layout("client.py", "{python} client.py {host} {port}"),),
    server_layouts=(Layout("server.py", "{python} server.py --port {port}"),),
    requirements=spec.REQUIREMENTS,
    beyond_text=spec.BEYOND_TEXT,
    fresh_server=True,   # one test's state never reaches another
    reference_server_args=("--history", "100"),
    detection=((r"[\"']type[\"']\s*:", "JSON objects with a \"type\""), (r"\bjson\b", "the json module"),
               (r"setname|[\"']history[\"']", "the setname/history commands")),
    selftest_reference_args=("--server-cmd", "{python} server.py --port {port} --max-users 3",
                             "--server-max-users", "3", "--bonus"),
    # its suite moves tens of MB through Python servers (JS9, JS11): with two suites running at once on
    # a 2-core machine its waits get twice the time
    selftest_timeout_scale=2,
    selftest_unfailed=("JS2", "JS12"),   # a broken JS2 (naming) fails every test; JS12 is a bonus
)
