"""`chatconform check PROTOCOL SUBMISSION [options]` (also `python -m conformance …`): a thin front over pytest.

Exit status: 0 every test passed, 1 a test failed, 2 a usage or harness error. With no
PROTOCOL and SUBMISSION it grades the bundled example submissions (one passes, one fails).
"""
from __future__ import annotations

import argparse
import faulthandler
import os
import signal
import subprocess
import sys
from pathlib import Path

from . import check_options, protocols
from .harness.variation import time_factor
from .harness import buffers, network
from .harness.results import report_usage_error
from .resources import FIXTURES, PACKAGE, SUITE_INI, harness_python

TEST_TIMEOUT = 60   # seconds a suite test may take at --timeout-scale 1 (as suite.ini says)
EXAMPLES = [  # (protocol, submission, expected verdict)
    ("cnlab", FIXTURES / "cnlab" / "select_client", "pass"),
    ("cnlab", FIXTURES / "cnlab" / "thread_not_daemon", "fail"),
]


CHECK_EXAMPLES = """examples:
  chatconform check cnlab path/to/submission
  chatconform check cnlab . --server 127.0.0.1:5378          # against the course's own running server
  chatconform check chat10 hw/ --role server --json report.json
  chatconform check brace hw/ --test brace/client/BC4-welcome[as-written] --seed 7"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="chatconform", description="chatconform: black-box conformance "
                                "checks for classroom chat protocols")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="check a submission (no arguments: grade the bundled examples)",
                       description="Check one submission against a protocol's suite: every failure names its "
                       "requirement, with expected vs actual, a transcript and a command that reruns it.",
                       epilog=CHECK_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("protocol", nargs="?", help="one of: " + ", ".join(protocols.NAMES))
    c.add_argument("submission", nargs="?", help="a submission folder or program file")
    for option in check_options.command_options():
        c.add_argument(*option.flags, **option.declaration())
    from .grade.commands import add_parsers
    add_parsers(sub)
    from .matrix.command import add_parser
    add_parser(sub)
    return p


def fail(message: str, args: argparse.Namespace) -> int:
    report_usage_error(message, args.json)
    return 2


def pytest_args(args: argparse.Namespace) -> list[str]:
    # no hypothesis plugin (1.4 s a run, for the codec tests only) and no assertion rewriting (the
    # suite reports through CheckFailure): a run starts in a second, not three
    # only the protocol's suite (of the role asked for) is collected: importing and collecting the
    # others cost every run a quarter of a second
    described = protocols.get(args.protocol)
    suite = described.suite("interop") if args.with_server else \
        [path for role in described.roles if args.role in ("all", role) for path in described.suite(role)]
    suite = [str(path) for path in suite] or [str(PACKAGE / args.protocol)]
    return [*suite, "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "--assert=plain",
            "--rootdir", str(PACKAGE.parent), "-c", str(SUITE_INI),
            "--protocol", args.protocol, "--submission", str(Path(args.submission).resolve()), "-rfE",
            # every test's own bound (suite.ini's 60 s, TEST_TIMEOUT) scales with the waits: a slow machine is slow throughout
            "--timeout", str(round(TEST_TIMEOUT * max(1.0, args.timeout_scale) * time_factor(args.experiment)
                                   * model_factor(getattr(args, "model_examples", None)))),
            *check_options.handed_on(args)]


def model_factor(examples: int | None) -> float:
    """A model-based test asked for more sessions than its protocol's own gets a bound (and a search
    time, run/model_test.py) that grows with them; the fewest any model draws is MODEL_EXAMPLES."""
    return max(1.0, examples / MODEL_EXAMPLES) if examples else 1.0


MODEL_EXAMPLES = 15   # sendto's (the fewest): the other models' bounds grow no slower


def check(args: argparse.Namespace) -> int:
    if args.protocol not in protocols.NAMES:
        return fail(f"unknown protocol {args.protocol!r} (choose from {', '.join(protocols.NAMES)})", args)
    if args.submission is None:
        return fail("missing SUBMISSION (a folder or a program file)", args)
    if not Path(args.submission).exists():
        return fail(f"submission not found: {args.submission}", args)
    if args.timeout_scale <= 0:
        return fail("--timeout-scale must be positive", args)
    if args.server:
        os.environ[network.VARIABLE + "_WHY"] = "the machine's (--server: the run must reach that server)"
    else:
        why = network.enter_private()
        if why:
            os.environ[network.VARIABLE + "_WHY"] = why
        else:
            try:
                network.loopback_up()
            except OSError as exc:
                return fail(f"could not bring up loopback in the private network namespace: {exc}", args)
            buffers.lower_limits()
    fixed_port = "the --server-cmd has no {port}: the server takes its default port" \
        if args.server_cmd and "{port}" not in args.server_cmd else \
        f"{args.protocol} clients connect to one fixed address"
    try:
        jobs = check_options.jobs_of(args.jobs)
    except ValueError as exc:
        return fail(str(exc), args)
    if args.test and len(args.test) < jobs:   # a worker with no test only costs its start
        args.jobs = jobs = len(args.test)
    if jobs > 1 and fixed_port and not network.workers_private():
        if str(args.jobs) != "auto":
            print(f"chatconform: {fixed_port}, and parallel workers cannot have networks of their own here, so the "
                  "tests run one at a time (-j ignored)", file=sys.stderr)
        args.jobs = "1"
    import pytest
    code = pytest.main(pytest_args(args))
    return {0: 0, 1: 1}.get(int(code), 2)


def examples() -> int:
    """Grade the bundled examples; succeed when each gets the verdict it is meant to get."""
    ok = True
    for protocol, submission, expected in EXAMPLES:
        rel = os.path.relpath(submission)
        print(f"\n===== example: chatconform check {protocol} {rel}   (expected to {expected})", flush=True)
        code = subprocess.call(harness_python("check", protocol, str(submission)))
        verdict = {0: "pass", 1: "fail"}.get(code, "error")
        ok &= verdict == expected
        print(f"===== {rel}: {verdict.upper()} (exit {code}); expected {expected}", flush=True)
    print("\nThe failing report above is meant to fail: it shows what a student sees." if ok
          else "\nAn example did not get its expected verdict.")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # `kill -USR1 PID` prints where every thread of a chatconform that seems stuck is (stderr)
    if hasattr(signal, "SIGUSR1") and signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL:
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    args = parser().parse_args(argv)
    if args.command == "check":
        if args.protocol is None and args.submission is None:
            return examples()
        return check(args)
    if args.command == "matrix":
        from .matrix.command import matrix
        return matrix(args)
    from .grade import commands
    return {"grade": commands.grade, "gradescope-bundle": commands.gradescope_bundle,
            "classroom-workflow": commands.classroom_workflow, "kelvin-action": commands.kelvin_action}[args.command](args)
