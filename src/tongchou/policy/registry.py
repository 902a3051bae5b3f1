"""Loading policy files and resolving the version in force for a claim."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from tongchou.policy.schema import Layer, Policy, Version

CASES_SUFFIX = ".cases.yaml"


class PolicyError(ValueError):
    """A policy file that cannot be used: names the file, the path inside it and the reason."""

    def __init__(self, file: Path | str, path: str, reason: str):
        self.file, self.path, self.reason = str(file), path, reason
        super().__init__(f"{file}: {path or '(top)'}: {reason}")


class NoPolicy(LookupError):
    """No policy version is in force for the region, scheme and date asked."""


def default_policy_dir() -> Path:
    """The policies shipped with the package (in a wheel) or in the source tree."""
    packaged = Path(__file__).resolve().parent.parent / "_policies"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "policies"


def _location(loc: tuple[object, ...]) -> str:
    return ".".join(str(part) for part in loc)


def load_policy_file(path: Path) -> Policy:
    """Read and validate one policy file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PolicyError(path, "", f"not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise PolicyError(path, "", "a policy file must be a mapping")
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PolicyError(path, _location(first["loc"]), first["msg"]) from exc


POLICY_FOLDERS = ("", "examples")  # other folders under policies/ hold other rule data (clearing, funds, ...)


def policy_files(directory: Path) -> list[Path]:
    """Benefit policies: the files at the top of the directory and under examples/."""
    files = [p for folder in POLICY_FOLDERS for p in (directory / folder).glob("*.yaml")]
    return sorted(p for p in files if not p.name.endswith(CASES_SUFFIX))


@dataclass(frozen=True)
class Resolved:
    """A policy version ready to settle with: its own lines plus the layers composed in."""

    policy: Policy
    version: Version
    layers: tuple[Layer, ...]

    @property
    def label(self) -> str:
        return f"{self.policy.id} v{self.version.version}"


class Registry:
    """All policies of a directory, indexed for resolution."""

    def __init__(self, policies: dict[str, Policy], files: dict[str, Path] | None = None):
        self.policies = policies
        self.files = files or {}

    @classmethod
    def load(cls, directory: Path | None = None) -> Registry:
        directory = directory or default_policy_dir()
        policies: dict[str, Policy] = {}
        files: dict[str, Path] = {}
        for path in policy_files(directory):
            policy = load_policy_file(path)
            if policy.id in policies:
                raise PolicyError(path, "id", f"policy id {policy.id!r} is already defined in {files[policy.id]}")
            policies[policy.id] = policy
            files[policy.id] = path
        registry = cls(policies, files)
        registry._check_compositions()
        return registry

    def _check_compositions(self) -> None:
        for policy in self.policies.values():
            for version in policy.versions:
                for layer_id in version.compose:
                    layer = self.policies.get(layer_id)
                    if layer is None or layer.kind != "layer":
                        raise PolicyError(
                            self.files.get(policy.id, policy.id), f"versions.{version.version}.compose",
                            f"{layer_id!r} is not a layer policy",
                        )

    def get(self, policy_id: str) -> Policy:
        try:
            return self.policies[policy_id]
        except KeyError:
            raise NoPolicy(f"no policy with id {policy_id!r}") from None

    def resolve(self, region: str, scheme: str, on: dt.date, policy_id: str | None = None) -> Resolved:
        """The version in force on `on` (a forced `policy_id` still picks its version by date)."""
        if policy_id:
            return self.resolve_version(self.get(policy_id), on)
        for policy in self.policies.values():
            if policy.kind == "base" and policy.region == region and policy.scheme == scheme:
                version = version_on(policy, on)
                if version is not None:
                    return self._compose(policy, version, on)
        raise NoPolicy(f"no policy in force for region {region}, scheme {scheme} on {on.isoformat()}")

    def resolve_version(self, policy: Policy, on: dt.date, *, any_date: bool = False) -> Resolved:
        """A named policy's version on `on`; with `any_date`, the nearest version when none is in force."""
        if policy.kind == "layer":
            raise NoPolicy(f"{policy.id!r} is a layer; settle with a base policy that composes it")
        version = version_on(policy, on)
        if version is None and any_date:
            version = nearest_version(policy, on)
        if version is None:
            raise NoPolicy(f"policy {policy.id!r} has no version in force on {on.isoformat()}")
        return self._compose(policy, version, on, any_date=any_date)

    def _compose(self, policy: Policy, version: Version, on: dt.date, *, any_date: bool = False) -> Resolved:
        layers = list(version.layers)
        for layer_id in version.compose:
            layer_policy = self.get(layer_id)
            layer_version = version_on(layer_policy, on) or (nearest_version(layer_policy, on) if any_date else None)
            if layer_version is not None:
                layers.extend(layer_version.layers)
        return Resolved(policy, version, tuple(layers))


def version_on(policy: Policy, on: dt.date) -> Version | None:
    for version in policy.versions:
        if version.effective_from <= on <= version.effective_to:
            return version
    return None


def nearest_version(policy: Policy, on: dt.date) -> Version:
    """For replaying a candidate policy on claims of another year: the closest version in time."""

    def distance(version: Version) -> int:
        if on < version.effective_from:
            return (version.effective_from - on).days
        return (on - version.effective_to).days

    return min(policy.versions, key=distance)
