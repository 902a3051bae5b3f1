import pytest

from tongchou.clearing.rules import ClearingRules, load_rules


@pytest.fixture(scope="session")
def rules() -> ClearingRules:
    """The shipped example rules (policies/clearing/example-city.yaml)."""
    return load_rules()
