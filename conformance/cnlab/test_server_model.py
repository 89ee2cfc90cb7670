"""cnlab server, model-based: random sessions of 2–6 raw clients, drawn and shrunk by Hypothesis, each
checked over its whole history (cnlab/model.py). A failure is shown as its minimal script."""
from __future__ import annotations

import pytest

from conformance.cnlab import model
from conformance.run.model_test import random_sessions

requirement = pytest.mark.requirement


@requirement("SV7", "SV1", "SV6", "SV8", "SV11", "SV12", name="model")
def test_random_sessions(ctx, raw, transcript, request, pytestconfig):
    """Exactly one reply per request, in order; every SEND delivered once, to its destination only, in
    its sender's order; every LIST this session's names in login order; over random interleavings of
    2–6 clients, a slow writer among them."""
    random_sessions(ctx, raw, transcript, request, pytestconfig, model)
