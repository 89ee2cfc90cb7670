"""Diagnoses (conformance/diagnose/): each source of evidence on a fixture that has the cause and on a
correct one that must not get it; replays keep the seed and change only their variable; a diagnosis
never changes a verdict; docs/diagnoses.md lists every cause."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from conformance.diagnose import causes, code, engine, observe
from conformance.harness import state, variation
from conformance.selftest.checks import ROOT, check
from conformance.selftest.fixtures import materialize

FIXTURES = ROOT / "fixtures"
CNLAB_HEADERS = tuple(__import__("conformance.cnlab.diagnose", fromlist=["HEADERS"]).HEADERS)


def facts_of(fixture: Path, tmp_path: Path, headers=CNLAB_HEADERS) -> set:
    return {f.name for f in code.facts(str(materialize(fixture, tmp_path)), headers)}


# --- code facts: on the broken fixture, never on its correct base ------------------------------
@pytest.mark.parametrize("fixture, fact", [
    ("cnlab/uses_sendall", "sendall"), ("cnlab/ignores_send_count", "send-result-unused"),
    ("cnlab/header_by_substring", "substring-header"), ("cnlab/quits_with_os_exit", "os-exit"),
    ("cnlab/escapes_with_setsid", "setsid"), ("cnlab/waits_for_rest", "sleep-after-recv"),
    ("cnlab/server_one_line_per_read", "recv-no-buffer"),
])
def test_a_code_fact_is_found_where_the_bug_is_and_not_in_the_base(fixture, fact, tmp_path):
    broken = FIXTURES / fixture
    base = broken.parent / json.loads((broken / "mutation.json").read_text())["base"]
    found = code.facts(str(materialize(broken, tmp_path / "b")), CNLAB_HEADERS)
    assert fact in {f.name for f in found}
    assert fact not in facts_of(base, tmp_path / "a")
    line = next(f for f in found if f.name == fact)
    assert line.line > 0 and line.text   # it points at a line, with its text


def test_code_facts_never_run_the_program(tmp_path):
    (tmp_path / "client.py").write_text("raise SystemExit('imported!')\nsock.sendall(b'x')\n")
    (tmp_path / "broken.py").write_text("def (:\n")   # a syntax error is skipped, not fatal
    assert [f.name for f in code.facts(str(tmp_path), ())] == ["sendall"]


# --- observations -------------------------------------------------------------------------------
def test_a_traceback_is_read_with_its_thread_file_and_line():
    lines = ["Exception in thread Thread-1 (listen):", "Traceback (most recent call last):",
             '  File "/usr/lib/python3.11/threading.py", line 1045, in _bootstrap_inner',
             "    self.run()", '  File "/tmp/chatconform-scratch-ab12/hw/client.py", line 42, in listen',
             "    kind = HANDLERS[header]", "KeyError: 'WHAT-IS-THIS'"]
    [tb] = observe.tracebacks(lines)
    assert (tb.thread, tb.file, tb.line, tb.text) == ("Thread-1 (listen)", "client.py", 42, "kind = HANDLERS[header]")
    assert tb.exception == "KeyError: 'WHAT-IS-THIS'"
    assert observe.tracebacks(["Welcome to Chat Client. Enter your login:", "From bob: Traceback is a word"]) == []


def test_blocked_on_the_keyboard_needs_bytes_no_thread_waits_for():
    program = {"threads": [{"name": "python", "state": "S", "call": "read", "fds": [0]}],
               "sockets": [{"fd": 3, "unread": 41, "unsent": 0}], "kinds": {"0": "keyboard"}}
    assert observe.keyboard_waits({"programs": [program]}) == [("python", 41, 1)]
    reader = {"name": "listen", "state": "S", "call": "recvfrom", "fds": [3]}   # a thread reads the socket
    assert observe.keyboard_waits({"programs": [{**program, "threads": program["threads"] + [reader]}]}) == []
    assert observe.keyboard_waits({"programs": [{**program, "sockets": [{"fd": 3, "unread": 0, "unsent": 0}]}]}) == []


def test_a_send_blocked_on_a_peer_that_does_not_read():
    program = {"threads": [{"name": "Thread-3 (serve)", "state": "S", "call": "sendto", "fds": [5]}],
               "sockets": [{"fd": 5, "unread": 0, "unsent": 2_000_000}], "kinds": {}}
    assert observe.blocked_sends({"programs": [program]}) == [("Thread-3 (serve)", 2_000_000)]
    found = engine.diagnose(["CS11"], "Expected a TEXT, but nothing complete within 2.0s.", {"programs": [program]}, {}, (),
                            [], role="server")
    assert found[0]["cause"] == "one-client-stalls-all"
    idle = {**program, "sockets": [{"fd": 5, "unread": 0, "unsent": 0}]}
    assert observe.blocked_sends({"programs": [idle]}) == []


def test_own_wording_is_a_close_line_not_any_line():
    expected = "The message was sent succesfully\nThe message was sent successfully"
    assert observe.similar_line(expected, "Welcome!\nMessage sent!") == "Message sent!"
    assert observe.similar_line(expected, "Welcome!\nThe message was sent successfully") is None
    assert observe.similar_line("Success", "Welcome\nFrom bob: hi") is None


# --- experiments --------------------------------------------------------------------------------
def test_char_safe_moves_every_cut_out_of_a_character():
    data = "ahoj Žluťoučký kůň\n".encode()
    pieces = [data[i:i + 3] for i in range(0, len(data), 3)]
    safe = variation.char_safe(pieces)
    assert b"".join(safe) == data
    assert all(p.decode("utf-8") for p in safe)   # every piece decodes on its own


def test_a_plan_notes_cuts_joins_and_split_characters():
    variation.begin_test()
    variation.note_plan([b"a\n", b"b\n"], [b"a\nb\n"])
    assert state.current().seen.get("joined") and not state.current().seen.get("cut")
    variation.begin_test()
    variation.note_plan(["ž\n".encode()], ["ž\n".encode()[:1], "ž\n".encode()[1:]])
    assert state.current().seen.get("cut") and state.current().seen.get("utf8")
    variation.begin_test()


# --- the engine ---------------------------------------------------------------------------------
def test_no_evidence_no_diagnosis():
    assert engine.diagnose(["RI4"], "Expected a line, but nothing within 2.0s.", {}, {}, (), []) == []


def test_a_proved_mechanism_hides_behaviours_and_facts_locate_it():
    fact = code.Fact("recv-no-buffer", "client.py", 34, "data = sock.recv(1024)")
    rules = engine.rules(("message-not-shown", "RT3", r"print a line"))
    found = engine.diagnose(["RT3"], "Expected the candidate to print a line", {}, {"delivery=separate": True},
                            (fact,), rules, rerun="chatconform check cnlab hw --test X --seed 1")
    assert [d["cause"] for d in found] == ["one-recv-one-message"]
    assert found[0]["where"] == "client.py:34" and "--experiment delivery=separate" in found[0]["evidence"]
    # without the replay's evidence the behaviour is all there is to say
    assert [d["cause"] for d in engine.diagnose(["RT3"], "Expected the candidate to print a line", {}, {}, (fact,),
                                                rules)] == ["message-not-shown"]


def test_a_rule_that_needs_a_fact_says_nothing_without_it():
    rules = engine.rules(("ignores-send-count", "RT4", "", {"fact": True}))
    assert engine.diagnose(["RT4"], "Wrong bytes", {}, {}, (), rules) == []
    fact = code.Fact("send-result-unused", "client.py", 9, "sock.send(data)")
    assert engine.diagnose(["RT4"], "Wrong bytes", {}, {}, (fact,), rules)[0]["cause"] == "ignores-send-count"


# --- what real programs taught (cnlab clients by others, judged by reading their code) -----------
def test_a_reader_that_raised_is_not_offered_a_header_cause():
    """A recv(1) reader thread that died on an IndexError: the traceback is the evidence; a header
    matched by substring elsewhere in the code is not offered for it."""
    from conformance.cnlab.diagnose import RULES
    fact = code.Fact("substring-header", "client.py", 30, 'if "DELIVERY" in line:')
    lines = ["Exception in thread Thread-1 (reader):", "Traceback (most recent call last):",
             '  File "/tmp/x/client.py", line 31, in reader', "    sender = parts[1]",
             "IndexError: list index out of range"]
    seen = {"printed": [{"lines": lines}]}
    causes = [d["cause"] for d in engine.diagnose(["RI10"], "Expected a line, but nothing within 2.0s.", seen, {},
                                                  (fact,), RULES)]
    assert causes == ["uncaught-exception"]
    assert "substring-header" in [d["cause"] for d in engine.diagnose(["RI10"], "Expected a line", {}, {}, (fact,),
                                                                       RULES)]


def test_a_reader_that_died_is_not_a_keyboard_wait_and_thread_notes_are_no_evidence():
    """The main thread waits for the keyboard with bytes unread because the reader thread died (its
    traceback): blocking-input is not offered. A GUI failure's report lists widgets used off the GUI
    thread under every failure; that is evidence for the thread check (BC12, CC7) only."""
    program = {"threads": [{"name": "python", "state": "S", "call": "read", "fds": [0]}],
               "sockets": [{"fd": 3, "unread": 41, "unsent": 0}], "kinds": {"0": "keyboard"}}
    died = ["Exception in thread Thread-1 (listen):", "Traceback (most recent call last):",
            '  File "/tmp/x/client.py", line 40, in listen', "    text = data.decode()",
            "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xc5"]
    seen = {"programs": [program], "printed": [{"lines": died}]}
    causes = [d["cause"] for d in engine.diagnose(["RT3"], "Expected a line, but nothing within 2.0s.", seen, {}, (), [])]
    assert "blocking-input" not in causes and "uncaught-exception" in causes
    note = "Expected: 'bob: <b>x</b>'\nA widget used from the thread 'net', not the GUI thread (QLabel.setText)"
    assert engine.diagnose(["BC13"], note, {}, {}, (), []) == []
    assert engine.diagnose(["BC12"], note, {}, {}, (), [])[0]["cause"] == "gui-from-thread"


def test_a_reader_that_died_decoding_part_of_a_character_is_decode_per_chunk():
    """recv(1) decoded byte by byte (a real reader's shape): UnicodeDecodeError 'unexpected end of data'
    at a .decode( line is a character cut across reads, not just any crash."""
    died = ["Exception in thread Thread-2 (receiver):", "Traceback (most recent call last):",
            '  File "/tmp/x/client.py", line 31, in lines', '    char = char.decode("utf-8")',
            "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xc5 in position 0: unexpected end of data"]
    shown = engine.diagnose(["RT3"], "Expected a line", {"printed": [{"lines": died}]}, {}, (), [])
    assert [d["cause"] for d in shown] == ["decode-per-chunk", "uncaught-exception"]
    assert shown[0]["where"] == "client.py:31"
    other = [*died[:-1], "UnicodeDecodeError: 'ascii' codec can't decode byte 0xc5: ordinal not in range(128)"]
    assert "decode-per-chunk" not in [d["cause"] for d in engine.diagnose(["RT3"], "x", {"printed": [{"lines": other}]},
                                                                          {}, (), [])]


def test_keeps_running_needs_a_main_thread_that_is_done():
    """A program that did not exit after BUSY while its main thread asks for a name again is held by its
    own flow, not by a non-daemon thread (a real client's shape): keeps-running is not offered then."""
    program = {"pid": 7, "threads": [{"tid": 7, "name": "python", "state": "S", "call": "read", "fds": [0]},
                                     {"tid": 8, "name": "python", "state": "S", "call": "recvfrom", "fds": [3]}],
               "sockets": [{"fd": 3, "unread": 0, "unsent": 0}], "kinds": {"0": "keyboard", "3": "socket"}}
    message = "The client did not exit after BUSY: it was still running 2.0s later, where it should have exited"
    asking = engine.diagnose(["RA3"], message, {"programs": [program]}, {}, (), [])
    assert "keeps-running" not in [d["cause"] for d in asking]
    program["threads"][0].update(call="futex", fds=[])   # the main thread done, waiting for the others to end
    assert "keeps-running" in [d["cause"] for d in engine.diagnose(["RA3"], message, {"programs": [program]}, {}, (), [])]


def test_facts_are_read_only_in_the_files_the_program_runs(tmp_path):
    """A real submission kept an old copy of its client (refrac.py) that nothing imports: a fact there
    must not locate a cause. The files run: the entry, what it imports, through packages and relative imports."""
    (tmp_path / "a1_client").mkdir()
    (tmp_path / "a1_client" / "__main__.py").write_text("from a1_client import net\nimport helpers\n")
    (tmp_path / "a1_client" / "__init__.py").write_text("")
    (tmp_path / "a1_client" / "net.py").write_text("from .wire import read\n")
    (tmp_path / "a1_client" / "wire.py").write_text("def read(s):\n    return s.recv(1).decode()\n")
    (tmp_path / "helpers.py").write_text("X = 1\n")
    (tmp_path / "refrac.py").write_text("def read(s):\n    return s.recv(9).decode()\n")
    entry = code.entry_file("{python} -m a1_client --address {host}", tmp_path)
    assert entry == tmp_path / "a1_client" / "__main__.py"
    used = code.imported_files(str(tmp_path), entry)
    assert used == {"a1_client/__main__.py", "a1_client/__init__.py", "a1_client/net.py", "a1_client/wire.py",
                    "helpers.py"}
    assert code.entry_file("{python} refrac.py", tmp_path) == tmp_path / "refrac.py"


def test_own_wording_is_other_words_not_other_spaces():
    """A delivered message whose inner spaces were collapsed (split() and join) is not a text in the
    program's own words."""
    assert observe.similar_line("From bob: a  b   c", "Welcome\nFrom bob: a b c") is None
    assert observe.similar_line("The message was sent succesfully", "Message was sent!") == "Message was sent!"


def test_blocking_input_is_located_at_the_input_the_chat_waits_in(tmp_path):
    """The login's input() comes first; the main loop's input("") is where the program waits while
    messages pile up: that is the line shown."""
    (tmp_path / "client.py").write_text(
        "import socket\n"
        "def main():\n"
        "    s = socket.create_connection(('127.0.0.1', 5378))\n"
        "    name = input('login: ')\n"
        "    s.send(('HELLO-FROM ' + name + '\\n').encode())\n"
        "    while True:\n"
        "        line = input('')\n"
        "        s.send(line.encode())\n"
        "        print(s.recv(1024))\n")
    [fact] = [f for f in code.facts(str(tmp_path), ()) if f.name == "input-and-recv"]
    assert fact.line == 7 and "input('')" in fact.text


def test_every_cause_is_documented_and_every_planted_cause_exists():
    text = (ROOT / "docs" / "diagnoses.md").read_text()
    assert causes.markdown().strip() in text   # docs/diagnoses.md is written from causes.py
    for path in FIXTURES.glob("*/*/mutation.json"):
        spec = json.loads(path.read_text())
        if "bug" in spec:
            assert spec.get("cause") in causes.CAUSES, path


# --- whole runs ---------------------------------------------------------------------------------
CASES = [   # fixture, one failing test, the cause its diagnosis must lead with, what its evidence says
    ("cnlab/splits_each_recv", "cnlab/client/RT3-framing[chops]", "one-recv-one-message", "--experiment delivery=separate"),
    ("cnlab/blocks_on_input", "cnlab/client/RT6-receive-while-idle", "blocking-input", "unread on its socket"),
    ("cnlab/crashes_on_unknown_header", "cnlab/client/RT7-unexpected-header[unknown-header]", "uncaught-exception",
     "client.py:"),
    ("jsonl/client_decodes_each_chunk", "jsonl/client/JC7-framing[bytewise]", "decode-per-chunk", "delivery=char-safe"),
    ("sendto/server_crashes_on_unknown_type", "sendto/server/SS7-malformed[list-with-body]", "uncaught-exception",
     "server.py:"),   # a server's own output, read from the test's start
    ("chat10/server_echoes_text", "chat10/server/CS3-text", "wrong-recipients", "own TEXT back"),
    # a widget written from the receive thread before the window exists: the program's NameError, not the probe's
    ("brace/window_written_before_shown", "brace/client/BC4-welcome[handed-out]", "uncaught-exception",
     "NameError: name 'window' is not defined"),
]


@pytest.mark.parametrize("fixture, test, cause, evidence", CASES, ids=[c[0] for c in CASES])
def test_a_failure_is_diagnosed_and_its_verdict_is_unchanged(fixture, test, cause, evidence, tmp_path):
    folder = materialize(FIXTURES / fixture, tmp_path)
    protocol = fixture.split("/")[0]
    _, diagnosed, output = check(protocol, folder, tmp_path, "--test", test, "--seed", "77")
    [record] = diagnosed["tests"]
    assert record["outcome"] == "failed", output
    assert record["diagnoses"] and record["diagnoses"][0]["cause"] == cause, record["diagnoses"]
    assert evidence in record["diagnoses"][0]["evidence"] + (record["diagnoses"][0]["where"] or "")
    assert "Likely cause" in output   # under the failure in the terminal report
    _, plain, _ = check(protocol, folder, tmp_path, "--test", test, "--seed", "77", "--no-diagnose")
    [alone] = plain["tests"]
    assert (alone["outcome"], alone["failed_requirements"]) == (record["outcome"], record["failed_requirements"])
    assert plain["requirements"] == diagnosed["requirements"] and alone["diagnoses"] == []


def wire_and_screen(transcript: str) -> tuple:
    """What was sent to the program, what it sent and printed: the bytes, in order, with no timing and
    no cuts."""
    rows = re.findall(r"^\+\s*[\d.]+s (\S+)\s+(.*)$", transcript, re.M)
    joined = {}
    for channel, text in rows:
        if channel.startswith(("wire", "term")):
            joined[channel] = joined.get(channel, "") + text

    def whole(escaped: re.Match) -> str:   # a character cut between two pieces shows as \\xNN (visible())
        return bytes.fromhex(escaped.group(0).replace("\\\\x", "")).decode("utf-8", "backslashreplace")
    joined = {channel: re.sub(r"(?:\\\\x[0-9a-f]{2})+", whole, text) for channel, text in joined.items()}
    return joined, sum(1 for channel, _ in rows if channel == "wire#1>")


def test_a_replay_keeps_the_seed_and_changes_only_its_variable(tmp_path):
    """The correct select() client under the chops test: the same conversation, byte for byte, with
    and without `--experiment delivery=separate`; only how the bytes were cut into writes differs."""
    folder = FIXTURES / "cnlab" / "select_client"
    test = "cnlab/client/RT3-framing[chops]"
    _, plain, _ = check("cnlab", folder, tmp_path, "--test", test, "--seed", "5")
    _, replayed, _ = check("cnlab", folder, tmp_path, "--test", test, "--seed", "5", "--experiment", "delivery=separate")
    # the transcript is kept for a failed test only: rerun each as a failure is not possible, so compare
    # what --json keeps for a passed test: its outcome, and the transcript where present
    assert plain["tests"][0]["outcome"] == replayed["tests"][0]["outcome"] == "passed"
    first, pieces_first = wire_and_screen(plain["tests"][0]["transcript"])
    second, pieces_second = wire_and_screen(replayed["tests"][0]["transcript"])
    assert first == second   # the same names, messages and replies
    assert pieces_first > pieces_second   # chops cut the messages; separate sends each whole


def test_correct_programs_get_no_diagnosis(tmp_path):
    _, document, _ = check("cnlab", FIXTURES / "cnlab" / "select_client", tmp_path, "--test", "cnlab/client/RI10-delivery",
                           "--test", "cnlab/client/RT3-framing[chops]")
    assert document["tests"] and all(t["outcome"] == "passed" and t["diagnoses"] == [] for t in document["tests"])


def test_a_connect_that_failed_elsewhere_names_both_addresses():
    """A client hard-wired to another address (real clients dial a lab machine's or the course's public
    server): its connect() fails, and the diagnosis says which address it dialled and which it was given,
    instead of a bare crash; a refusal at the address it was given stays a crash."""
    source = "import socket\nhost_port = ('192.168.56.1', 5353)\nsock = socket.socket()\nsock.connect(host_port)\n"
    facts = code.facts_of_tree(ast.parse(source), "chat.py", source.splitlines(), ())
    assert [f.text for f in facts if f.name == "dials"] == ["192.168.56.1:5353"]
    died = ["Traceback (most recent call last):", '  File "/tmp/x/chat.py", line 4, in <module>',
            "    sock.connect(host_port)", "OSError: [Errno 101] Network is unreachable"]
    printed = {"lines": died, "given": observe.given_address(["python", "chat.py", "--address", "127.0.0.1",
                                                             "--port", "5378"])}
    shown = engine.diagnose(["RI2"], "Expected a line", {"printed": [printed]}, {}, tuple(facts), [])
    assert shown[0]["cause"] == "ignores-address-arguments" and shown[0]["where"] == "chat.py:4"
    assert "dialled 192.168.56.1:5353" in shown[0]["evidence"] and "not 127.0.0.1:5378" in shown[0]["evidence"]
    # it never reached the test's server: what a rule would say of its sends has no evidence
    rules = engine.rules(("ignores-send-count", "RT4", r"", {"confidence": 0.8}))
    shown = engine.diagnose(["RT4"], "Expected a line", {"printed": [printed]}, {}, tuple(facts), rules)
    assert [d["cause"] for d in shown] == ["ignores-address-arguments"]
    refused = [*died[:-1], "ConnectionRefusedError: [Errno 111] Connection refused"]
    same = tuple(f for f in code.facts_of_tree(ast.parse(source.replace("192.168.56.1', 5353", "127.0.0.1', 5378")),
                                               "chat.py", source.splitlines(), ()))
    shown = engine.diagnose(["RI2"], "Expected a line", {"printed": [{**printed, "lines": refused}]}, {}, same, [])
    assert shown[0]["cause"] == "uncaught-exception"


def test_a_retry_sent_on_the_closed_connection_is_the_login_flow():
    """A real client keeps one connection for its life: after a refused name the server closes it and the
    next HELLO-FROM raises EBADF. The flow is the cause (catching the error would not log it in)."""
    died = ["Exception in thread Thread-2 (sendMsg):", "Traceback (most recent call last):",
            '  File "/tmp/x/client.py", line 119, in sendMsg', '    self.sock.send(f"HELLO-FROM {name}\\n".encode())',
            "OSError: [Errno 9] Bad file descriptor"]
    rules = engine.rules(("login-flow", "RA2 RA4", r"", {"confidence": 0.75}))
    shown = engine.diagnose(["RA4"], "Expected a line", {"printed": [{"lines": died}]}, {}, (), rules)
    assert shown[0]["cause"] == "login-flow" and shown[0]["where"] == "client.py:119"
    assert "uncaught-exception" not in [d["cause"] for d in shown]
    shown = engine.diagnose(["RI10"], "Expected a line", {"printed": [{"lines": died}]}, {}, (), rules)
    assert shown[0]["cause"] == "uncaught-exception"   # elsewhere, no flow to blame
