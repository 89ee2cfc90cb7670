"""The self-test: the reference passes everything; every fixture fails exactly its manifest."""
import importlib
import json

import pytest

from tests.system import need
from conformance.selftest.arguments import REFERENCE_SERVER, TIMEOUT_SCALE
from conformance.selftest.checks import ROOT, check, explain, failed_requirements
from conformance.selftest.fixtures import check_args, fixtures, materialize, role_args

pytestmark = pytest.mark.timeout(900)
GUI_PROTOCOLS = {"chat10"}   # Tk on Xvfb; brace's Qt clients draw offscreen and need no X server


def needs_screen(protocol: str) -> None:
    if protocol in GUI_PROTOCOLS:
        need("Xvfb", what=f"a {protocol} GUI client's suite")   # a whole suite run per test; the suite bounds each of its own tests


@pytest.mark.parametrize("protocol", sorted(REFERENCE_SERVER))
def test_reference_passes_every_test(protocol, tmp_path):
    needs_screen(protocol)
    code, document, output = check(protocol, ROOT / "reference" / protocol, tmp_path, *REFERENCE_SERVER[protocol],
                                   *TIMEOUT_SCALE[protocol], forked=True)
    assert document, output
    assert code == 0 and document["summary"]["failed"] == 0 and document["summary"]["error"] == 0, \
        explain(document) or output
    assert document["summary"]["skipped"] == 0, explain(document)
    assert {t["role"] for t in document["tests"]} == set(importlib.import_module(f"conformance.{protocol}.spec").ROLES)


@pytest.mark.parametrize("fixture", [f for protocol in sorted(REFERENCE_SERVER) for f in fixtures(protocol)],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_fails_exactly_its_manifest(fixture, tmp_path):
    expected = sorted(json.loads((fixture / "expected.json").read_text()))
    protocol = fixture.parent.name
    if role_args(fixture) != ["--role", "server"]:
        needs_screen(protocol)
    # verdicts only: a diagnosis never changes one (tests/test_diagnose.py; bench/diagnoses.py checks every
    # broken fixture's verdict with its diagnosis), and its replays would lengthen the self-test by a third
    code, document, output = check(protocol, materialize(fixture, tmp_path), tmp_path, *check_args(fixture),
                                   *role_args(fixture), *TIMEOUT_SCALE[protocol], "--no-diagnose", forked=True)
    assert document, output
    failed = failed_requirements(document)
    assert failed == expected, f"failed {failed}, manifest says {expected}\n{explain(document)}"
    beyond = getattr(importlib.import_module(f"conformance.{protocol}.spec"), "BEYOND_TEXT", {})
    must_fail = [req for req in expected if req not in beyond]   # a warning beyond the text costs nothing: exit 0
    assert code == (1 if must_fail else 0), output


# IDs whose tests no fixture fails, with why: a broken RA1/RT1 (cnlab handshake), SV1/JS2 (the
# server's greeting, its naming) or SC1 (connecting) fails every test, SV5 needs a known limit, JS12 is a bonus; the
# harness and CLI tests show that their tests fail (tests/test_harness.py, tests/test_cli.py).
SHOWN_ELSEWHERE = {"cnlab": {"RA1", "RT1", "SV1", "SV5"}, "jsonl": {"JS2", "JS12"}, "sendto": {"SC1"}, "chat10": set(),
                   "brace": set()}


@pytest.mark.parametrize("protocol", sorted(SHOWN_ELSEWHERE))
def test_every_requirement_but_a_few_is_failed_by_some_fixture(protocol):
    """A test that cannot fail is a defect: the fixtures show that the tests of each ID can fail."""
    requirements = importlib.import_module(f"conformance.{protocol}.spec").REQUIREMENTS
    failed = set()
    for fixture in fixtures(protocol):
        failed.update(json.loads((fixture / "expected.json").read_text()))
    assert set(requirements) - failed == SHOWN_ELSEWHERE[protocol]
