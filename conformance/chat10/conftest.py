import pytest


@pytest.fixture
def server_under_test(fresh_server):
    """Every server test gets a fresh server: one test's clients never reach another."""
    return fresh_server
