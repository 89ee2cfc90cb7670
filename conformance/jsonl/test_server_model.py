"""jsonl server, model-based: random sessions of 2–6 raw clients, drawn and shrunk by Hypothesis, each
checked over its whole history (jsonl/model.py). A failure is shown as its minimal script."""
from __future__ import annotations

import time

import pytest

from conformance import stash
from conformance.harness import model, procstate, settings
from conformance.jsonl import model as jsonl_model
from conformance.run.servers import candidate_server

requirement = pytest.mark.requirement


@requirement("JS3", "JS2", "JS4", "JS10", name="model")
def test_random_sessions(ctx, raw, transcript, request, pytestconfig):
    """Every message exactly once to each member of the time, in per-sender order, under its sender's
    name; arrivals, renames and departures announced; over random interleavings of 2–6 clients."""
    if ctx.server:
        pytest.skip("--server: each random session needs a fresh server of its own")
    record = stash.record(request.node)
    busy = []   # a server that never idles (JS13's fault) is given the documented settle window instead

    def settle():
        if busy:
            time.sleep(settings.wait(settings.SERVER_SETTLE))   # no event exists: the documented window
            return
        pid = record.server_pgid
        if procstate.wait_idle(pid, settings.wait(settings.SETTLE), settings.wait(settings.EVENT)) is False:
            busy.append(pid)

    def fresh():
        server = candidate_server(ctx)
        address = server.ensure(transcript)
        record.server_pgid = server.process.proc.pid   # settle_server watches it
        clients = raw(address)

        def stop():
            clients.close()
            server.stop()
        return clients.connect, settle, stop

    limit = ctx.server_max_users or jsonl_model.MAX_MEMBERS
    run = lambda script: jsonl_model.run(script, fresh, limit)   # noqa: E731
    option = pytestconfig.option
    if option.replay:
        script = model.load_witness(option.replay)
        found, runs = run(script), 1
        if found is not None:
            found.script = script
    else:
        examples = option.model_examples or jsonl_model.EXAMPLES
        found, runs = model.explore(jsonl_model.steps(), run, ctx.seed, examples,
                                    settings.wait(jsonl_model.BUDGET_S))
        transcript.note(f"{runs} random session(s) run (seed {ctx.seed})")
        if found is not None:   # the transcript shows the witness alone, run once more
            transcript.restart(f"{runs} random sessions run (seed {ctx.seed}); the shortest failing one, once more:")
            if run(found.script) is None:
                transcript.note("this time it passed: the failure depends on timing (a race); the verdict stands")
    if found is None:
        return
    witness = model.witness_path(option.chatconform_json, request.node.name, ctx.seed) if not option.replay else None
    if witness:
        model.save_witness(witness, ctx.protocol, found, ctx.seed)
    raise model.failure(found, ctx.seed, runs, witness)
