"""The diagnosis of one failed test: its causes ranked, each with its evidence, where in the code
(when known) and a confidence. A cause with no evidence is never shown."""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import code, observe
from .causes import CAUSES
from .experiment import VARIABLES

SHOWN_AT = 0.5      # a cause below this confidence is not shown
MAX_SHOWN = 3
MECHANISM_WINS = 0.8   # a mechanism this sure hides behaviours (it explains them)
# UnicodeDecodeError's words for bytes that end or start inside a character (a read cut it)
CUT_CHARACTER = re.compile(r"UnicodeDecodeError.*(unexpected end of data|invalid continuation byte|invalid start byte)")


@dataclass(frozen=True)
class Rule:
    """Per protocol: a failed check that names a cause. `requirements`: the IDs it applies to (empty:
    any); `pattern`: a regular expression the failure's message must match; `fact`: a code fact
    that must be found too (the check alone cannot tell this cause from another)."""
    cause: str
    requirements: frozenset = frozenset()
    pattern: str = ""
    fact: bool = False
    confidence: float = 0.7
    evidence: str = ""   # what the evidence says; default: the failure's first line

    def applies(self, failed: list, message: str) -> bool:
        if self.requirements and not self.requirements & set(failed):
            return False
        return not self.pattern or re.search(self.pattern, message, re.S | re.I) is not None


def rules(*specs) -> list:
    """Rule(cause, "ID ID", pattern, ...) written short: rules(("sendall", "RT2", ""), ...)."""
    out = []
    for spec in specs:
        cause, ids, pattern, *rest = spec
        options = rest[0] if rest else {}
        out.append(Rule(cause, frozenset(ids.split()), pattern, **options))
    return out


# Failed checks whose own words name a cause, in every protocol (the checks are the harness's own)
GENERIC_RULES = rules(
    ("escapes-process-group", "", r"left \d+ process\(es\) running after it was stopped", {"confidence": 0.9}),
    ("busy-loop", "", r"it should be idle|% of a core", {"confidence": 0.85}),
    ("os-exit", "", r"os\._exit\(\)", {"confidence": 0.9}),
    ("sendall", "", r"uses sendall\(\)", {"confidence": 0.9}),
    ("localhost-only", "", r"listens on 'localhost'", {"confidence": 0.9}),
    ("one-client-stalls-all", "", r"stalled client must not delay|a client that stops reading|slow sender|while \w+ does "
     r"not read|is unfinished and \w+ is silent", {"confidence": 0.75}),
    # only where the failed check is the one about threads (BC12, CC7): every GUI failure's report lists the
    # widgets used off the GUI thread, which is no evidence for a failure of another kind
    ("gui-from-thread", "BC12 CC7", r"not the GUI's main thread|not the GUI thread|created off the main thread",
     {"confidence": 0.9}),
    ("io-in-gui-thread", "", r"the GUI thread is blocked", {"confidence": 0.85}),
    ("uncaught-exception", "", r"The program raised \w+", {"confidence": 0.85}),
    ("no-limit", "", r"memory grew|is not limited|kept what it refused", {"confidence": 0.75}),
    ("keeps-running", "", r"did not exit after|was still running [\d.]+s.*should have exited|keeps running after", {"confidence": 0.65}),
    ("connection-handling", "", r"kept wire#\d+ open after|should have closed it", {"confidence": 0.75}),
    ("one-recv-one-message", "", r"came only after more data had reached the program", {"confidence": 0.7}),
    ("shows-protocol-text", "", r"printed the protocol header", {"confidence": 0.8}),
    ("ignores-address-arguments", "", r"does not use its address arguments", {"confidence": 0.9}),
)


# what connect() raises where nobody listens or the address cannot be reached (the harness's network
# is loopback only: anything else is unreachable)
NOT_REACHED = re.compile(r"ConnectionRefusedError|Network is unreachable|No route to host|gaierror|"
                         r"Name or service not known|Temporary failure in name resolution|timed out")


# what a send() on a closed connection raises (its own close: EBADF; the peer's: EPIPE)
DEAD_SOCKET = re.compile(r"Bad file descriptor|BrokenPipeError|Broken pipe")


def dialled_elsewhere(found, tb, given: tuple | None, facts: tuple) -> bool:
    """A connect() that failed where the program was given an address the test served: which it dialled
    (its code's constants) and which it was given."""
    dials = next((f.text for f in facts if f.name == "dials" and f.file == tb.file and f.line == tb.line), None)
    given_text = f"{given[0]}:{given[1]}" if given else None
    if dials is None or given_text is None or dials == given_text:
        if not (given and "unreachable" in tb.exception and dials != given_text):
            return False   # refused with no other address in sight: a server that was not there, not a wrong address
    found.add("ignores-address-arguments", 0.95,
              f"{tb.thread} raised {tb.exception} at {tb.file}:{tb.line}: `{tb.text}`: "
              + (f"it dialled {dials} (the address in its code), " if dials else "it dialled another address, ")
              + f"not {given_text}, the address and port it was given, where the test served",
              f"{tb.file}:{tb.line}")
    return True


class Found:
    def __init__(self):
        self.causes: dict = {}

    def add(self, cause: str, confidence: float, evidence: str, where: str | None = None) -> None:
        if cause not in CAUSES:
            return
        entry = self.causes.setdefault(cause, {"cause": cause, "confidence": 0.0, "evidence": [], "where": None})
        entry["confidence"] = max(entry["confidence"], confidence)
        if evidence and evidence not in entry["evidence"]:
            entry["evidence"].append(evidence)
        if where and not entry["where"]:
            entry["where"] = where


def diagnose(failed: list, message: str, seen: dict, replays: dict, facts: tuple, protocol_rules: list,
             rerun: str = "", role: str | None = None) -> list:
    """Ranked causes of one failed test. `seen`: observe.capture's dict; `replays`: variable ->
    passed?; `facts`: the submission's code facts."""
    found = Found()
    first_line = message.strip().splitlines()[0] if message.strip() else ""
    for program in seen.get("printed", []):
        for tb in observe.tracebacks(program["lines"]):
            if tb.exception.split(":")[0].split(".")[-1] in ("KeyboardInterrupt", "SystemExit"):
                continue
            if NOT_REACHED.search(tb.exception) and re.search(r"\bconnect\(|create_connection\(", tb.text or "") \
                    and dialled_elsewhere(found, tb, program.get("given"), facts):
                continue   # the exception is what dialling the wrong address raises: the address is the cause
            found.add("uncaught-exception", 0.9, f"{tb.thread} raised {tb.exception}" +
                      (f" at {tb.file}:{tb.line}: `{tb.text}`" if tb.file else ""),
                      f"{tb.file}:{tb.line}" if tb.file else None)
            if CUT_CHARACTER.search(tb.exception) and ".decode(" in (tb.text or ""):
                # what decoding a piece of a character raises: the bytes were decoded before the message was whole
                found.add("decode-per-chunk", 0.92, f"{tb.thread} raised {tb.exception.split(':')[0]} decoding a "
                          f"piece of a character" + (f" at {tb.file}:{tb.line}: `{tb.text}`" if tb.file else ""),
                          f"{tb.file}:{tb.line}" if tb.file else None)
    reader_died = any(tb.thread not in ("the main thread", "a Tk callback")
                      for program in seen.get("printed", []) for tb in observe.tracebacks(program["lines"]))
    for thread, unread, threads in ([] if reader_died else observe.keyboard_waits(seen)):
        # (a reader thread that raised is why nothing reads the socket: its traceback says so, not the keyboard)
        found.add("blocking-input", 0.9, f"when the test gave up, the program's {'only thread' if threads == 1 else 'thread ' + repr(thread)} "
                  f"was waiting for the keyboard alone (input(), or a select() on it) with {unread} bytes unread on its socket, which "
                  "no thread was waiting to read")
    for thread, queued in observe.blocked_sends(seen) if "nothing" in first_line else ():   # something never came
        found.add("one-client-stalls-all" if role == "server" else "io-in-gui-thread", 0.8,
                  f"when the test gave up, thread {thread!r} was blocked in send() with {queued} bytes queued that "
                  "the peer had not taken")
    wording = observe.similar_line(seen.get("expected") or "", seen.get("actual") or "")
    if wording and "to print" in first_line and not re.search(r"wire#\d", first_line):   # a terminal's text only
        found.add("own-wording", 0.7, f"the text says {seen['expected'].strip().splitlines()[0]!r}; it printed {wording!r}")
    if seen.get("hint"):
        found.add(seen["hint"], 0.8, first_line)
    for variable, passed in replays.items():
        if passed:
            _, cause, how = VARIABLES[variable]
            found.add(cause, 0.85 if variable.startswith("delivery") else 0.75,
                      f"the same test {how} (rerun: {rerun} --experiment {variable})" if rerun else f"the same test {how}")
    if "ignores-address-arguments" in found.causes and found.causes["ignores-address-arguments"]["where"]:
        # its connect() failed at another address: it never reached the test's server, so no rule about what
        # it does there (its sends, its framing) has any evidence; the address is all there is to say
        return _shown(found, facts, role, seen, only="ignores-address-arguments")
    crashed = "uncaught-exception" in found.causes
    for rule in [*GENERIC_RULES, *protocol_rules]:
        if crashed and rule.fact and rule.cause == "substring-header":
            continue   # a reader that raised is its own evidence; a header matched by substring needs its own
        if rule.applies(failed, message):
            located = code.locating(facts, rule.cause, role)
            if rule.fact and not located:
                continue
            found.add(rule.cause, rule.confidence, rule.evidence or first_line)
    dead_sends = [tb for program in seen.get("printed", []) for tb in observe.tracebacks(program["lines"])
                  if DEAD_SOCKET.search(tb.exception) and re.search(r"\bsend(all)?\(", tb.text or "")]
    if "login-flow" in found.causes and dead_sends and "uncaught-exception" in found.causes and \
            len(found.causes["uncaught-exception"]["evidence"]) == len(dead_sends):
        # a send on a connection already closed (the server closed it after a refused name) is what reusing
        # it raises: the flow is the cause (a new connection per attempt), catching the error would not help
        del found.causes["uncaught-exception"]
        tb = dead_sends[0]
        entry = found.causes["login-flow"]
        entry["confidence"], entry["where"] = 0.9, f"{tb.file}:{tb.line}" if tb.file else entry["where"]
        entry["evidence"].insert(0, f"{tb.thread} raised {tb.exception} at {tb.file}:{tb.line}: `{tb.text}`: it "
                                    "sent on a connection that was already closed, instead of opening a new one")
    if "keeps-running" in found.causes and observe.main_thread_on_keyboard(seen):
        # a non-daemon thread keeps a process alive only after its main thread is done; one that still asks
        # for input did not end where it should have (its flow is the cause, e.g. BUSY not handled as the end)
        del found.causes["keeps-running"]
    return _shown(found, facts, role, seen)


def _shown(found, facts: tuple, role, seen: dict, only: str | None = None) -> list:
    if only:
        found.causes = {only: found.causes[only]}
    for entry in found.causes.values():   # code facts locate, and make a cause more likely
        located = code.locating(facts, entry["cause"], role)
        if located:
            # of several such lines, the one that writes what the test waited for (b'HELLO-FROM ada' -> the
            # line that sends HELLO-FROM), where one does
            word = re.match(r"\W*([A-Za-z][\w-]{2,})", seen.get("expected") or "")
            fact = next((f for f in located if word and word.group(1) in f.text), located[0])
            entry["confidence"] = min(0.95, entry["confidence"] + 0.1)
            entry["where"] = entry["where"] or fact.where
            entry["evidence"].append(f"{fact.where}: `{fact.text}`")
    ranked = sorted(found.causes.values(), key=lambda e: -e["confidence"])
    if any(CAUSES[e["cause"]].level == "mechanism" and e["confidence"] >= MECHANISM_WINS for e in ranked):
        ranked = [e for e in ranked if CAUSES[e["cause"]].level == "mechanism"]
    shown = [e for e in ranked if e["confidence"] >= SHOWN_AT][:MAX_SHOWN]
    return [{"cause": e["cause"], "title": CAUSES[e["cause"]].title, "evidence": "; ".join(e["evidence"]),
             "where": e["where"], "confidence": round(e["confidence"], 2), "fix": CAUSES[e["cause"]].fix}
            for e in shown]


def proved(diagnoses: list) -> bool:
    """Does the first cause already rest on proof (a mechanism, very likely)? Then no replay is needed."""
    return bool(diagnoses) and CAUSES[diagnoses[0]["cause"]].level == "mechanism" and diagnoses[0]["confidence"] >= 0.85


def confidence_word(value: float) -> str:
    return "very likely" if value >= 0.85 else "likely" if value >= 0.7 else "possibly"


def render(diagnoses: list) -> list:
    """The lines under a failure report."""
    if not diagnoses:
        return []
    out = ["Likely cause (found by chatconform's diagnosis; docs/diagnoses.md):"]
    for d in diagnoses:
        out.append(f"  [{confidence_word(d['confidence'])}] {d['cause']}: {d['title']}"
                   + (f"  (at {d['where']})" if d.get("where") else ""))
        out.append(f"    evidence: {d['evidence']}")
        out.append(f"    usual fix: {d['fix']}")
    return out + [""]


def diagnosis_text(diagnoses: list | None) -> str:
    """The diagnosis as feedback pages and platform files show it ('' if none)."""
    return "\n".join(render(diagnoses or [])) if diagnoses else ""


def top_cause(tests: list) -> str | None:
    """A submission's leading cause: the one most sure, then the one most failed tests name."""
    score: dict = {}
    for test in tests:
        for rank, d in enumerate(test.get("diagnoses") or []):
            best, count = score.get(d["cause"], (0.0, 0))
            score[d["cause"]] = (max(best, d["confidence"] - 0.01 * rank), count + 1)
    if not score:
        return None
    return max(score, key=lambda c: score[c])
