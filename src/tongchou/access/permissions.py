"""Roles and permissions as data (`roles.yaml` beside this module), and who is asking (`Principal`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import yaml

ROLES_FILE = Path(__file__).with_name("roles.yaml")
CITY, COUNTY = "city", "county"


class UnknownRole(ValueError):
    """A role (or a permission a role names) that `roles.yaml` does not define."""


@dataclass(frozen=True)
class Role:
    name: str
    label: str
    scope: str  # city: the whole pool; county: the user's county only
    permissions: frozenset[str]


@dataclass(frozen=True)
class RoleBook:
    permissions: Mapping[str, str]  # permission → Chinese label
    roles: Mapping[str, Role]

    def role(self, name: str) -> Role:
        try:
            return self.roles[name]
        except KeyError:
            raise UnknownRole(f"未定义的角色：{name}（可用：{'、'.join(self.roles)}）") from None


def parse_roles(data: Mapping) -> RoleBook:
    """The role book from the YAML structure; every permission a role names must be declared."""
    permissions = dict(data["permissions"])
    roles = {}
    for name, spec in data["roles"].items():
        unknown = set(spec["permissions"]) - set(permissions)
        if unknown:
            raise UnknownRole(f"角色{name}引用了未定义的权限：{'、'.join(sorted(unknown))}")
        if spec["scope"] not in (CITY, COUNTY):
            raise UnknownRole(f"角色{name}的范围须为 city 或 county")
        roles[name] = Role(name, spec["label"], spec["scope"], frozenset(spec["permissions"]))
    return RoleBook(permissions, roles)


@lru_cache(maxsize=4)
def load_roles(path: Path = ROLES_FILE) -> RoleBook:
    return parse_roles(yaml.safe_load(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Principal:
    """A signed-in console user as the routes see it."""

    user_id: int
    username: str
    display_name: str
    role: Role
    county: str | None  # the user's county; required for county-scoped roles

    def can(self, permission: str) -> bool:
        return permission in self.role.permissions

    @property
    def county_scope(self) -> str | None:
        """The county every query must be limited to, or None for city-wide roles."""
        return self.county if self.role.scope == COUNTY else None

    def sees_county(self, county: str | None) -> bool:
        scope = self.county_scope
        return scope is None or county == scope
