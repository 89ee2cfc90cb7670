"""The body every model-based server test shares (`<protocol>/test_server_model.py`): a fresh candidate
server per script, the server's settle window, the search or the replay of a witness, the failure."""
from __future__ import annotations

import time

import pytest

from .. import stash
from ..harness import model, procstate, settings
from ..harness.state import current
from .servers import candidate_server


def random_sessions(ctx, raw, transcript, request, pytestconfig, protocol_model) -> None:
    """Run `protocol_model` (a module with steps(), run(script, fresh, limit), EXAMPLES, BUDGET_S,
    MAX_MEMBERS) against the submission's server; a CheckFailure shows the shortest failing script."""
    if ctx.server:
        pytest.skip("--server: each random session needs a fresh server of its own")
    record = stash.record(request.node)
    busy = []   # a server that never idles (an idle requirement's fault) gets the documented settle window

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
        record.server_pgid = server.process.proc.pid
        clients = raw(address)

        def stop():
            clients.close()
            server.stop()
        return clients.connect, settle, stop

    limit = min(filter(None, (ctx.server_max_users, ctx.server_max_clients, protocol_model.MAX_MEMBERS)))
    judged: set = set()   # what the passing sessions put to the test and found met
    run = lambda script: protocol_model.run(script, fresh, limit, judged)   # noqa: E731
    option = pytestconfig.option
    if option.replay:
        script = model.load_witness(option.replay)
        found, runs = run(script), 1
        if found is not None:
            found.script = script
    else:
        examples = option.model_examples or protocol_model.EXAMPLES   # more sessions asked: more time for them
        budget = protocol_model.BUDGET_S * max(1.0, examples / protocol_model.EXAMPLES)
        found, runs = model.explore(protocol_model.steps(), run, ctx.seed, examples, settings.wait(budget),
                                    settings.wait(model.SHRINK_S))
        failed = found.requirement if found else None
        current().evaluated.extend(sorted(judged - {failed}))
        declared = [r for marker in request.node.iter_markers("requirement") for r in marker.args]
        current().unexercised.extend(r for r in declared if r not in judged and r != failed)
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
