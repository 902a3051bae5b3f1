"""Fixtures of the front-office tests: the shared store fixtures and the employers' terms."""

from tests.employers.conftest import registry, terms  # noqa: F401
from tests.store.support import *  # noqa: F401,F403
