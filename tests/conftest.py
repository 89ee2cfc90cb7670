import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
collect_ignore = ["toy"]   # a sixth protocol's folders (test_registry.py lays them into a copy of the checkout)


def reference_module(protocol: str, name: str):
    """Import reference/<protocol>/<name>.py under a unique name (each protocol has a codec.py),
    with the references' shared reference/common importable as they find it."""
    common = str(ROOT / "reference" / "common")
    if common not in sys.path:
        sys.path.append(common)
    path = ROOT / "reference" / protocol / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"reference_{protocol}_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


# Broken fixtures measured far slower than their kind (every wait of theirs runs its full window).
SLOW_FIXTURES = {"chat10/client_no_join": 120, "cnlab/reuses_socket_after_reject": 60, "cnlab/waits_for_rest": 60,
                 "chat10/client_hides_sender": 50, "brace/partial_reads_shown": 50, "brace/private_not_shown": 45}


def _weight(item) -> float:
    """A rough cost in seconds, so the slowest items start first and no worker is left with a long
    tail (the self-test's items are whole suite runs of very different lengths)."""
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec else {}
    if isinstance(params.get("fixture"), Path):
        fixture = params["fixture"]
        from conformance.selftest.fixtures import role_args
        gui = fixture.parent.name == "chat10" and role_args(fixture) != ["--role", "server"]
        correct = (fixture / "expected.json").read_text().strip() == "[]"
        return SLOW_FIXTURES.get(f"{fixture.parent.name}/{fixture.name}", (60 if gui else 20) + (20 if correct else 0))
    if "protocol" in params and item.originalname == "test_reference_passes_every_test":
        return {"chat10": 90, "sendto": 45, "jsonl": 40, "cnlab": 30}.get(params["protocol"], 30)
    if item.originalname == "test_a_real_style_class_graded_in_parallel_resumed_and_shown_in_a_browser":
        return 100   # the real-style class graded, twice
    if item.module.__name__.endswith("test_install"):
        return 80    # one worker (xdist_group): a wheel, an environment and a dozen checks
    if item.originalname in ("test_a_failure_is_diagnosed_and_its_verdict_is_unchanged",
                             "test_a_replay_keeps_the_seed_and_changes_only_its_variable"):
        return 8
    if item.originalname == "test_gradescope_results_are_rewritten_while_the_tests_run":
        return 20
    if item.originalname == "test_ctrl_c_stops_every_check_and_leaves_complete_files_only":
        return 10
    if item.originalname == "test_examples_mode_grades_one_passing_and_one_failing":
        return 40
    if "case" in params and item.module.__name__.endswith("test_hostile"):
        return 15
    return 1


def pytest_collection_modifyitems(config, items):
    items.sort(key=_weight, reverse=True)


def pytest_terminal_summary(terminalreporter):
    """One line at the end: what this machine could not test, and which package would let it."""
    from tests.system import NOT_TESTED
    reasons: dict = {}
    for report in terminalreporter.stats.get("skipped", []):
        text = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if NOT_TESTED in text:
            why = text[text.index(NOT_TESTED) + len(NOT_TESTED) + 2:]
            needs = why[why.index("needs "):] if "needs " in why else why
            reasons[needs] = reasons.get(needs, 0) + 1
    if reasons:
        terminalreporter.write_line("Not tested on this machine: " + "; ".join(
            f"{count} test(s) that need {needs.removeprefix('needs ')}" for needs, count in sorted(reasons.items())),
            yellow=True, bold=True)
