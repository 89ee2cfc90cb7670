"""What each protocol's self-test gives `check` besides the submission: shared by the self-test
(tests/test_selftest.py) and bench/verdict_stability.py, so both judge the fixtures alike."""

# The reference server started with a known user limit, so the BUSY test runs too.
REFERENCE_SERVER = {"cnlab": ["--server-cmd", "{python} server.py --host {host} --port {port} --max-clients 4",
                              "--server-max-clients", "4"],
                    "jsonl": ["--server-cmd", "{python} server.py --port {port} --max-users 3",
                              "--server-max-users", "3", "--bonus"],
                    "sendto": ["--server-cmd", "{python} server.py --port {port} --max-clients 30",
                               "--server-max-clients", "30"],
                    "chat10": [], "brace": []}


# jsonl's suite moves tens of MB through Python servers (JS9, JS11); with two suites running at
# once on a 2-core machine its waits get twice the time. (cnlab keeps 1: its RT5 bound is a verdict.)
TIMEOUT_SCALE = {"cnlab": [], "jsonl": ["--timeout-scale", "2"], "sendto": ["--timeout-scale", "2"],
                 "chat10": ["--timeout-scale", "2"], "brace": ["--timeout-scale", "2"]}
