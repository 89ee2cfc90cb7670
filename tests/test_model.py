"""The model-based tests' engine and history checker, without a server: shrinking to a minimal script,
one run per script, the time bound, and the checker's verdicts on made-up histories."""
from __future__ import annotations

import pytest

from conformance.harness import model
from conformance.harness.model import Violation
from conformance.jsonl import model as jsonl_model
from conformance.jsonl.model import Broken, Member, Session


def test_a_failing_script_is_shrunk_to_its_essence_and_each_script_runs_once():
    runs = []

    def run(script):
        runs.append(script)
        kinds = [s["do"] for s in script]
        if "setname" in kinds and "leave" in kinds[kinds.index("setname"):]:
            return Violation("JS10", "a rename then a departure")
        return None

    found, count = model.explore(jsonl_model.steps(), run, seed=5, examples=200, budget_s=60)
    assert found is not None and found.requirement == "JS10"
    # the opening connects do not matter to this made-up bug: dropping steps removes them too
    assert [s["do"] for s in found.script] == ["setname", "leave"]
    assert count == len(runs) == len({repr(r) for r in runs})    # never the same script twice


def test_steps_that_do_not_matter_are_dropped():
    """Hypothesis draws a script's length first and seldom removes steps in the middle: dropping runs of
    steps (half, a quarter, … one) does, where the same requirement still fails."""
    def run(script):
        kinds = [s["do"] for s in script]
        if kinds.count("connect") >= 2 and "stall" in kinds:
            return Violation("JS11", "a stall among two members")
        if "slow" in kinds:
            return Violation("JS7", "another requirement")
        return None
    planted = Violation("JS11", "x", script=[{"do": k} for k in
                                             ("connect", "send", "connect", "slow", "burst", "connect", "stall")])
    found = model.fewer_steps(planted, run)
    assert [s["do"] for s in found.script] == ["connect", "connect", "stall"]


def test_the_same_seed_draws_the_same_scripts():
    def drawn(seed):
        seen = []
        model.explore(jsonl_model.steps(), lambda s: seen.append(s), seed=seed, examples=10, budget_s=60)
        return seen
    assert drawn(3) == drawn(3) and drawn(3) != drawn(4)


def test_out_of_time_scripts_count_as_passing():
    found, count = model.explore(jsonl_model.steps(), lambda s: Violation("JS3", "x"), seed=1, examples=50,
                                 budget_s=0)
    assert found is None and count == 0


def test_a_witness_file_round_trips_and_a_bad_one_is_refused(tmp_path):
    path = tmp_path / "w.json"
    model.save_witness(str(path), "jsonl", Violation("JS3", "lost", script=[{"do": "connect"}]), 7)
    assert model.load_witness(str(path)) == [{"do": "connect"}]
    path.write_text('{"script": [{"who": 1}]}')
    with pytest.raises(ValueError, match="holds no script"):
        model.load_witness(str(path))


class Wire:
    label = "wire#1"


def session(*members) -> Session:
    s = Session(connect=None, settle=None)
    for i, name in enumerate(members):
        m = Member(Wire(), name, i)
        s.members.append(m)
        s.everyone.append(m)
    return s


def judged(s: Session) -> str | None:
    try:
        s.judge()
    except Broken as exc:
        return exc.violation.requirement
    return None


def test_the_checker_names_each_broken_property():
    s = session("a", "b")
    s.owed = {"m1": ("a", 0, {0, 1}), "m2": ("a", 0, {0, 1})}
    s.how = {"m1": "short", "m2": "pipelined"}
    s.everyone[0].sent = ["m1", "m2"]
    s.everyone[0].log = [("a", "m1"), ("a", "m2")]
    s.everyone[1].log = [("a", "m1"), ("a", "m2")]
    assert judged(s) is None
    s.everyone[1].log = [("a", "m2"), ("a", "m1")]
    assert judged(s) == "JS7"                       # out of order, and one was pipelined: the framing
    s.everyone[1].log = [("a", "m1"), ("a", "m1"), ("a", "m2")]
    assert judged(s) == "JS3"                       # a message twice
    s.everyone[1].log = [("b", "m1"), ("a", "m2")]
    assert judged(s) == "JS3"                       # under the wrong name
    s.everyone[0].renamed = True
    assert judged(s) == "JS4"                       # ... after its sender renamed
    s.everyone[0].renamed = False
    s.owed["m3"] = ("a", 0, {0})                    # sent before b joined
    s.everyone[0].sent.append("m3")
    s.everyone[1].log = [("a", "m1"), ("a", "m2"), ("a", "m3")]
    assert judged(s) == "JS3"                       # a message it must not get


def test_a_model_test_says_nothing_of_what_its_sessions_never_put_to_the_test():
    """A model test that failed on CS6 had judged CS2 in its passing sessions and drew no step for CS4:
    CS2 is not 'not evaluated' because of it, and CS4 is decided by its scenario test alone."""
    from conformance.harness.results import Results, TestRecord
    results = Results("chat10", "x", 1)
    results.records = {
        "model": TestRecord("model", ["CS3", "CS2", "CS4", "CS6"], "server", outcome="failed",
                            failed_requirements=["CS6"], evaluated=["CS2", "CS3"], unexercised=["CS4"]),
        "leave": TestRecord("leave", ["CS4"], "server", evaluated=["CS4"]),
        "join": TestRecord("join", ["CS2"], "server", evaluated=["CS2"])}
    assert results.by_requirement() == {"CS3": "passed", "CS2": "passed", "CS4": "passed", "CS6": "failed"}
    results.records["model"].evaluated = ["CS3"]   # stopped before judging CS2: that stays honest
    assert results.by_requirement()["CS2"] == "not evaluated"
