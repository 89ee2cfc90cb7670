import pytest

from conformance.plugin import ServerProcess


@pytest.fixture
def server_under_test(ctx, transcript):
    """A fresh candidate server for every test: notices and history of one test never reach another.
    (With --server the tests share it, so run them against an otherwise idle server.)"""
    if ctx.server:
        yield ctx.server
        return
    program = ctx.programs["server"]
    server = ServerProcess(lambda host, port: program.argv(host=host, port=port), program.cwd, "candidate server")
    try:
        yield server.ensure(transcript)
    finally:
        server.stop()


@pytest.fixture
def client(launch, scripted):
    return launch("client", host=scripted.host, port=scripted.port)
