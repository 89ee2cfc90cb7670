"""jsonl server, model-based: random sessions of 2–6 raw clients, drawn and shrunk by Hypothesis, each
checked over its whole history (jsonl/model.py). A failure is shown as its minimal script."""
from __future__ import annotations

import pytest

from conformance.jsonl import model
from conformance.run.model_test import random_sessions

requirement = pytest.mark.requirement


@requirement("JS3", "JS2", "JS4", "JS7", "JS10", "JS11", name="model")
def test_random_sessions(ctx, raw, transcript, request, pytestconfig):
    """Every message exactly once to each member of the time, in per-sender order, under its sender's
    name; arrivals, renames and departures announced; over random interleavings of 2–6 clients."""
    random_sessions(ctx, raw, transcript, request, pytestconfig, model)
