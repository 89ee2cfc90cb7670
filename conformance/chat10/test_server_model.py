"""chat10 server, model-based: random sessions of 2–6 raw clients, drawn and shrunk by Hypothesis, each
checked over its whole history (chat10/model.py). A failure is shown as its minimal script."""
from __future__ import annotations

import pytest

from conformance.chat10 import model
from conformance.run.model_test import random_sessions

requirement = pytest.mark.requirement


@requirement("CS3", "CS2", "CS4", "CS6", "CS7", "CS11", name="model")
def test_random_sessions(ctx, raw, transcript, request, pytestconfig):
    """Every TEXT exactly once and whole to each other member of the time, never back, in per-sender
    order; JOINs and LEAVEs forwarded to the others; over random interleavings of 2–6 clients, a slow
    writer and a stalled reader among them."""
    random_sessions(ctx, raw, transcript, request, pytestconfig, model)
