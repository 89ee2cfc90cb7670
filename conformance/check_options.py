"""The options of `chatconform check`, declared once: the command line (cli.py) parses them, hands
them on to the suite (pytest, run/options.py) and a failure's rerun command repeats the ones that
change what a test does (run/identity.py)."""
from __future__ import annotations

import os
from dataclasses import dataclass

from .diagnose.experiment import VARIABLES
from .harness.machine import AUTO_JOBS_HELP, auto_jobs
from .protocol import ROLES
from .protocols import NAMES


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]
    help: str
    type: type | None = None
    metavar: str | None = None
    default: object = None
    choices: tuple | None = None
    action: str | None = None    # "store_true" or "append"
    # "both": the command takes it and hands it on; "command": the command's alone (handed to pytest
    # its own way, below); "suite": the suite's alone (the command fills it in)
    where: str = "both"
    suite_dest: str | None = None   # the suite's name for it, where pytest or a plugin has the plain one
    path: bool = False              # a file or folder: handed on absolute
    rerun: str = ""                 # "given": the rerun command repeats it when given; "changed": when not the default

    @property
    def flag(self) -> str:
        """Its first long flag, as argparse names its destination after it."""
        return next((f for f in self.flags if f.startswith("--")), self.flags[0])

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    def declaration(self, suite: bool = False) -> dict:
        """The keyword arguments of argparse's add_argument (pytest's addoption takes the same)."""
        kwargs = {"help": self.help}
        if self.action:
            kwargs["action"] = self.action
        if self.action == "append":
            kwargs["default"] = []
        elif self.default is not None:
            kwargs["default"] = self.default
        for name in ("type", "metavar", "choices"):
            if getattr(self, name) is not None:
                kwargs[name] = getattr(self, name)
        if suite and self.suite_dest:
            kwargs["dest"] = self.suite_dest
        return kwargs


OPTIONS = (
    Option(("--protocol",), "the protocol to check", choices=NAMES, where="suite"),
    Option(("--submission",), "the submission: a folder or a program file", where="suite"),
    Option(("--role",), "which programs to check (default all: every program the submission has)",
           choices=(*ROLES, "all"), default="all"),
    Option(("--server",), "an already-running server (e.g. the course's own on 127.0.0.1:5378): the live client "
           "tests use it instead of the reference server, and the server suite tests it (default: none; the "
           "reference server is started)", metavar="HOST:PORT", rerun="given"),
    Option(("--with-server",), "interop (what `chatconform matrix` runs): the client of the submission talks to the "
           "server of this other submission folder (or reference/PROTOCOL), in the protocol's interop conversation "
           "instead of its suites (default: none)", metavar="FOLDER", path=True, rerun="given"),
    Option(("--model-examples",), "the model-based server tests: how many random sessions each draws (default: the "
           "protocol's own, e.g. 40 for jsonl; its search time and the test's bound grow with N; bench/model_stability.py "
           "runs many more)", type=int, metavar="N",
           rerun="given"),
    Option(("--replay",), "a model-based test runs exactly the session in this witness file (as a failure "
           "wrote it) instead of drawing new ones (default: draw)", metavar="FILE", path=True, rerun="given"),
    Option(("--client-cmd",), "how to start the client, with {python} {dir} {host} {port} filled in, e.g. "
           "\"{python} {dir}/chat.py --address {host} --port {port}\" (default: the program found in the submission)",
           metavar="TEMPLATE", rerun="given"),
    Option(("--server-cmd",), "how to start the server, as --client-cmd; without {port} the server takes the "
           "protocol's default port (default: the program found)", metavar="TEMPLATE", rerun="given"),
    Option(("--server-max-clients",), "cnlab: the user limit of the server under test, which enables its BUSY test; "
           "sendto: its connection limit (default: not given, those tests are skipped and cost nothing)",
           type=int, metavar="N", rerun="given"),
    Option(("--server-max-users",), "jsonl: the server's user limit, which enables its max-users test (default: not "
           "given, skipped)", type=int, metavar="N", rerun="given"),
    Option(("--timeout-scale",), "multiply every wait, quiet window and each test's bound by F; 2-3 on a slow or "
           "busy machine (default 1)", type=float, default=1.0, metavar="F", rerun="changed"),
    Option(("--bonus",), "also check bonus features (jsonl: the web view; default: off, left out of the maximum)",
           action="store_true", rerun="given"),
    Option(("--json",), "write the results as a JSON document (default: none)", metavar="FILE",
           suite_dest="chatconform_json", path=True),
    Option(("--junit",), "write the results as JUnit XML (default: none)", metavar="FILE",
           suite_dest="chatconform_junit", path=True),
    Option(("--json-every-test",), "rewrite the --json document after every test, so that a platform's global "
           "timeout still leaves the results so far (default: once, at the end)", action="store_true",
           suite_dest="chatconform_json_every_test"),
    Option(("-k",), "only tests whose name, stable id or requirement ID matches (pytest's -k, e.g. \"RI4 or RC1\"; "
           "default: all)", metavar="EXPR", where="command"),
    Option(("--test",), "only the test with this stable id, e.g. cnlab/client/RI4-in-use; repeatable (default: all)",
           metavar="ID", action="append", suite_dest="chatconform_tests"),
    Option(("--seed",), "the seed of the random names and messages; a run prints its own, and --seed reproduces it "
           "(default: a new one)", type=int),
    Option(("--no-diagnose",), "verdicts only: no diagnosis of failures, no replays (default: diagnose)",
           action="store_true", suite_dest="chatconform_no_diagnose"),
    Option(("--experiment",), "run with one variable changed, as a diagnosis's replay does ("
           + ", ".join(sorted(VARIABLES)) + "; default: none)", choices=tuple(sorted(VARIABLES)), metavar="VAR=VALUE",
           suite_dest="chatconform_experiment"),
    Option(("--profile",), "record where each test's time goes (starting programs, waiting for the candidate, "
           "each deliberate window) in the --json document; bench/profile_check.py prints it as a table "
           "(default: off)", action="store_true", suite_dest="chatconform_profile"),
    Option(("-j", "--jobs", "-n", "--workers"), "tests at once, each with its own candidate, ports, private network "
           "and transcript (pytest-xdist workers); 1: one at a time in this process (default auto: "
           + AUTO_JOBS_HELP + ")", default="auto", metavar="N", where="command"),
    Option(("--shown-as",), "how reports name the submission (grade: '.', so that nothing shows the grader's "
           "folders; default: the path as given)", metavar="PATH"),
    Option(("--rerun-prefix",), "how the rerun hint in a failure report starts (default: chatconform check)",
           default="chatconform check", where="suite"),
    Option(("-v", "--verbose"), "one line per test (default: quiet)", action="store_true", where="command"),
)


def jobs_of(value) -> int:
    """-j's value as a number of tests at once: auto (what this machine allows), N, or 0 (= 1, as -n 0 was)."""
    if str(value) == "auto":
        return auto_jobs()
    try:
        return max(1, int(value))
    except ValueError:
        raise ValueError(f"-j takes a number or auto, not {value!r}") from None


def command_options() -> list[Option]:
    return [o for o in OPTIONS if o.where != "suite"]


def suite_options() -> list[Option]:
    return [o for o in OPTIONS if o.where != "command"]


def handed_on(args) -> list[str]:
    """The suite's arguments for what the command was given (its own: -k, -n and -v, as pytest's)."""
    out = []
    for option in OPTIONS:
        if option.where != "both":
            continue
        value = getattr(args, option.dest)
        if option.action == "store_true":
            out += [option.flag] if value else []
        elif option.action == "append":
            for one in value:
                out += [option.flag, str(one)]
        elif value is not None:
            out += [option.flag, os.path.abspath(value) if option.path and value else str(value)]
    if args.k is not None:
        out += ["-k", args.k]
    jobs = jobs_of(args.jobs)
    if jobs > 1:
        out += ["-n", str(jobs)]
    out.append("-v" if args.verbose else "-q")
    return out


def repeated(suite_option) -> list[str]:
    """What a rerun command repeats of this run's options (pytest's config.option)."""
    out = []
    for option in OPTIONS:
        value = getattr(suite_option, option.suite_dest or option.dest, None)
        if option.rerun == "given" and value is not None and value is not False:   # 0 is a value
            out += [option.flag] if option.action == "store_true" else [option.flag, str(value)]
        elif option.rerun == "changed" and value != option.default:
            out += [option.flag, str(value)]
    return out
