"""Loading policy files and resolving the version in force for a claim."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from tongchou.policy.schema import Layer, Policy, Version
from tongchou.validation_text import location, reason

CASES_SUFFIX = ".cases.yaml"


class PolicyError(ValueError):
    """A policy file that cannot be used: names the file, the path inside it and the reason (Chinese).
    `problems` holds every error found in the file (this one first)."""

    def __init__(self, file: Path | str, path: str, reason: str, problems: list[PolicyError] | None = None):
        self.file, self.path, self.reason = str(file), path, reason
        self.problems = problems or [self]
        super().__init__(f"{file}: {path or '（顶层）'}: {reason}")


class NoPolicy(LookupError):
    """No policy version is in force for the region, scheme and date asked."""


def default_policy_dir() -> Path:
    """The policies shipped with the package (in a wheel) or in the source tree."""
    packaged = Path(__file__).resolve().parent.parent / "_policies"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "policies"


class _PlainLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: dates stay text and the schema parses them, so an impossible
    date (2018-02-30) is reported at its path instead of failing the whole file."""


_PlainLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

def load_policy_file(path: Path) -> Policy:
    """Read and validate one policy file; every error of the file is in the `PolicyError`'s `problems`."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_PlainLoader)  # noqa: S506 (a SafeLoader)
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(path, "", f"无法读取文件：{exc}") from None
    except yaml.YAMLError as exc:
        raise PolicyError(path, "", f"不是有效的 YAML：{exc}") from None
    if not isinstance(raw, dict):
        raise PolicyError(path, "", "政策文件须为一个映射（键: 值）")
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        problems = [PolicyError(path, location(e["loc"]), reason(e)) for e in exc.errors()]
        raise PolicyError(path, problems[0].path, problems[0].reason, problems) from None


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
        """The policies of `directory`; a `PolicyError` carries every problem of every file."""
        return cls.checked(policy_files(directory or default_policy_dir()))

    @classmethod
    def checked(cls, paths: list[Path], *, compositions: bool = True) -> Registry:
        """The policies of `paths`, each file checked whole; `compositions`: the layers a version composes
        must be among them (off for files checked on their own)."""
        policies: dict[str, Policy] = {}
        files: dict[str, Path] = {}
        problems: list[PolicyError] = []
        for path in paths:
            try:
                policy = load_policy_file(path)
            except PolicyError as exc:
                problems.extend(exc.problems)
                continue
            if policy.id in policies:
                problems.append(PolicyError(path, "id", f"政策ID {policy.id!r} 已在 {files[policy.id]} 中定义"))
                continue
            policies[policy.id] = policy
            files[policy.id] = path
        registry = cls(policies, files)
        if compositions:
            problems.extend(registry._composition_problems())
        if problems:
            raise PolicyError(problems[0].file, problems[0].path, problems[0].reason, problems)
        return registry

    def _check_compositions(self) -> None:
        problems = self._composition_problems()
        if problems:
            raise PolicyError(problems[0].file, problems[0].path, problems[0].reason, problems)

    def _composition_problems(self) -> list[PolicyError]:
        return [
            PolicyError(self.files.get(policy.id, policy.id), f"versions.{version.version}.compose",
                        f"{layer_id!r} 不是险种叠加层政策")
            for policy in self.policies.values() for version in policy.versions for layer_id in version.compose
            if layer_id not in self.policies or self.policies[layer_id].kind != "layer"
        ]

    def get(self, policy_id: str) -> Policy:
        try:
            return self.policies[policy_id]
        except KeyError:
            raise NoPolicy(f"没有ID为 {policy_id!r} 的政策") from None

    def resolve(self, region: str, scheme: str, on: dt.date, policy_id: str | None = None) -> Resolved:
        """The version in force on `on` (a forced `policy_id` still picks its version by date)."""
        if policy_id:
            return self.resolve_version(self.get(policy_id), on)
        for policy in self.policies.values():
            if policy.kind == "base" and policy.region == region and policy.scheme == scheme:
                version = version_on(policy, on)
                if version is not None:
                    return self._compose(policy, version, on)
        raise NoPolicy(f"统筹区 {region} 险种 {scheme} 在 {on.isoformat()} 没有生效的政策")

    def resolve_version(self, policy: Policy, on: dt.date, *, any_date: bool = False) -> Resolved:
        """A named policy's version on `on`; with `any_date`, the nearest version when none is in force."""
        if policy.kind == "layer":
            raise NoPolicy(f"{policy.id!r} 是险种叠加层（kind: layer），须用组合了它的基本政策结算")
        version = version_on(policy, on)
        if version is None and any_date:
            version = nearest_version(policy, on)
        if version is None:
            raise NoPolicy(f"政策 {policy.id!r} 在 {on.isoformat()} 没有生效的版本")
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
