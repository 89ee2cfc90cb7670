import pytest


@pytest.fixture
def server_under_test(fresh_server):
    """Every server test gets a fresh server: one test's state never reaches another."""
    return fresh_server


@pytest.fixture
def client(launch, scripted):
    return launch("client", host=scripted.host, port=scripted.port)
