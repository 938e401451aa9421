import pytest


@pytest.fixture
def lockout_limit(settings) -> int:
    """A short lockout limit, so tests do not depend on the deployment's setting."""
    settings.SHEQU_LOCKOUT_FAILURES = 3
    settings.SHEQU_LOCKOUT_MINUTES = 15
    return 3
