import pytest

from .steps import no_headers_printed


@pytest.fixture
def launch(launch, post_checks):
    """Every cnlab client a test starts is also checked for printed protocol headers (RI1)."""
    post_checks.append(lambda: no_headers_printed(launch.started))
    return launch
