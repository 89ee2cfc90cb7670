"""sendto server, model-based: random sessions of 2–6 raw clients, drawn and shrunk by Hypothesis, each
checked over its whole history (sendto/model.py). A failure is shown as its minimal script."""
from __future__ import annotations

import pytest

from conformance.run.model_test import random_sessions
from conformance.sendto import model

requirement = pytest.mark.requirement


@requirement("SS4", "SS1", "SS2", "SS3", "SS5", "SS6", "SS9", "SS10", name="model")
def test_random_sessions(ctx, raw, transcript, request, pytestconfig):
    """Every reply once and in order, every LIST the logged-in names of the time, every text delivered
    once to its destination only, in its sender's order; over random interleavings of 2–6 clients."""
    random_sessions(ctx, raw, transcript, request, pytestconfig, model)
