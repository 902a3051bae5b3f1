"""Shared fixtures: the shipped seed policies, and one DuckDB backend per test module."""

from __future__ import annotations

from pathlib import Path

import pytest

from tongchou.policy.registry import Registry, default_policy_dir, load_policy_file, policy_files

SEED_POLICIES = ("guanxian-2018-resident", "xxdistrict-2021-resident", "xxdistrict-2020-resident-previous",
                 "guangzhou-2015-resident-base", "guangzhou-2014-critical-illness", "changchun-2021-employee")


def seed_registry(extra: Path | None = None) -> Registry:
    """The seed policies (and an extra directory), independent of other files under policies/."""
    found = {}
    for path in policy_files(default_policy_dir()):
        if path.parent.name in ("policies", "examples") or path.parent == default_policy_dir():
            try:
                policy = load_policy_file(path)
            except Exception:  # another component's file under policies/ is not a policy: not ours to judge
                continue
            if policy.id in SEED_POLICIES:
                found[policy.id] = policy
    if extra is not None:
        for path in policy_files(extra):
            policy = load_policy_file(path)
            found[policy.id] = policy
    missing = set(SEED_POLICIES) - set(found)
    assert not missing, f"seed policies not found: {missing}"
    registry = Registry(found)
    registry._check_compositions()
    return registry


@pytest.fixture(scope="module")
def registry() -> Registry:
    return seed_registry()
