"""echo: the server suite."""
import pytest

requirement = pytest.mark.requirement


@requirement("EC1", name="echo")
def test_echo(raw, server_under_test):
    wire = raw(server_under_test).connect()
    wire.send(b"ahoj, echo\n")
    wire.expect_line(b"ahoj, echo\n")
