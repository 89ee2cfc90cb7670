"""The two exceptions a check raises: CheckFailure carries what a student needs to fix the program;
HarnessError says the harness could not judge (the test is an error, no requirement is charged)."""
from __future__ import annotations

from contextlib import contextmanager

from .state import current
from .transcript import clip, shown


class HarnessError(Exception):
    """Not the candidate's fault: a usage or set-up problem, or a fault of the harness's own (a probe
    command that raised): the test is an `error` with this one line, never a failure (exit status 2)."""


class CheckFailure(AssertionError):
    """A conformance check failed.

    `requirement` narrows which of the test's requirement IDs the failure is about (a test
    carries several only when one behaviour serves them all; a post-check like RI1 names its own).
    """

    def __init__(self, what: str, expected=None, actual=None, requirement: str | tuple | None = None,
                 cause: str | None = None):
        self.what = what
        self.cause = cause   # a diagnosis's cause (diagnose/causes.py) where the check itself sees it
        self.expected = expected
        self.actual = actual
        self.requirement = requirement
        super().__init__(self.describe())

    def blamed(self, ids: list) -> list:
        """The requirement IDs this failure is about: its own, or else all of the test's."""
        if not self.requirement:
            return list(ids)
        return [self.requirement] if isinstance(self.requirement, str) else list(self.requirement)

    def describe(self) -> str:
        lines = [self.what]
        if self.expected is not None:
            lines.append(f"Expected: {show(self.expected)}")
        if self.actual is not None:
            lines.append(f"Actual:   {show(self.actual)}")
        return "\n".join(lines)


def show(value) -> str:
    if isinstance(value, (bytes, str)):
        prefix = "b" if isinstance(value, bytes) else ""
        return f"{prefix}'{shown(value, 600)}'"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return clip(str(value), 600)


# The requirements the running test has judged and found met so far (an `about` block that ended
# without a failure) are kept in the run's state (`evaluated`, reset before every test): when the test
# fails later on another requirement, these stay "passed", and its other requirements, never reached,
# are "not evaluated" (results.py).


@contextmanager
def about(*requirements: str):
    """Failures inside this block are about these requirements (unless they already name one); a
    block that ends without one has evaluated them, and found them met."""
    try:
        yield
    except CheckFailure as exc:
        if exc.requirement is None:
            exc.requirement = requirements[0] if len(requirements) == 1 else requirements
        raise
    evaluated = current().evaluated
    evaluated.extend(r for r in requirements if r not in evaluated)


class Findings:
    """Soft assertions: a check's failure is recorded and the conversation goes on, so that a wording
    check never stops the behaviour check after it, and one bug that breaks two requirements is
    charged to both. `raise_any()` at the end raises what was found (one failure naming every
    requirement it found broken)."""

    def __init__(self):
        self.failures: list = []

    @contextmanager
    def check(self, *requirements: str):
        try:
            with about(*requirements):
                yield
        except CheckFailure as exc:
            self.failures.append(exc)

    def raise_any(self) -> None:
        if len(self.failures) == 1:
            raise self.failures[0]
        if self.failures:
            blamed = [r for f in self.failures for r in f.blamed([])]
            raise CheckFailure("\n\n".join(f"[{', '.join(f.blamed([]))}] {f.describe()}" for f in self.failures),
                               requirement=tuple(dict.fromkeys(blamed)))
