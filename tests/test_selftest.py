"""The self-test: the reference passes everything; every fixture fails exactly its manifest."""
import json

import pytest

from tests.system import need
from conformance import protocols
from conformance.selftest.checks import ROOT, check, explain, failed_requirements
from conformance.selftest.fixtures import check_args, fixtures, materialize, role_args

pytestmark = pytest.mark.timeout(900)
PROTOCOLS = sorted(protocols.NAMES)


def needs_screen(protocol: str) -> None:
    if protocols.get(protocol).gui_toolkit == "tk":   # Tk on Xvfb; Qt clients draw offscreen, with no X server
        need("Xvfb", what=f"a {protocol} GUI client's suite")   # a whole suite run per test; the suite bounds each of its own tests


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_reference_passes_every_test(protocol, tmp_path):
    needs_screen(protocol)
    described = protocols.get(protocol)
    code, document, output = check(protocol, ROOT / "reference" / protocol, tmp_path,
                                   *described.selftest_reference_args, *described.selftest_scale_args(), forked=True)
    assert document, output
    assert code == 0 and document["summary"]["failed"] == 0 and document["summary"]["error"] == 0, \
        explain(document, evidence_for=described.requirements) or output
    assert document["summary"]["skipped"] == 0, explain(document)
    assert {t["role"] for t in document["tests"]} == set(described.roles)


@pytest.mark.parametrize("fixture", [f for protocol in PROTOCOLS for f in fixtures(protocol)],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_fails_exactly_its_manifest(fixture, tmp_path):
    expected = sorted(json.loads((fixture / "expected.json").read_text()))
    protocol = fixture.parent.name
    if role_args(fixture) != ["--role", "server"]:
        needs_screen(protocol)
    # verdicts only: a diagnosis never changes one (tests/test_diagnose.py; bench/diagnoses.py checks every
    # broken fixture's verdict with its diagnosis), and its replays would lengthen the self-test by a third
    code, document, output = check(protocol, materialize(fixture, tmp_path), tmp_path, *check_args(fixture),
                                   *role_args(fixture), *protocols.get(protocol).selftest_scale_args(), "--no-diagnose",
                                   forked=True)
    assert document, output
    failed = failed_requirements(document)
    assert failed == expected, \
        f"failed {failed}, manifest says {expected}\n{explain(document, evidence_for=set(failed) ^ set(expected))}"
    beyond = protocols.get(protocol).beyond_text
    must_fail = [req for req in expected if req not in beyond]   # a warning beyond the text costs nothing: exit 0
    assert code == (1 if must_fail else 0), output


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_every_requirement_but_a_few_is_failed_by_some_fixture(protocol):
    """A test that cannot fail is a defect: the fixtures show that the tests of each ID can fail (but
    the few of the descriptor's selftest_unfailed, with why)."""
    requirements = protocols.get(protocol).requirements
    failed = set()
    for fixture in fixtures(protocol):
        failed.update(json.loads((fixture / "expected.json").read_text()))
    assert set(requirements) - failed == set(protocols.get(protocol).selftest_unfailed)
