"""Policy files: validation errors name file, path and reason; resolution by region, scheme and date."""

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from tongchou.policy.registry import NoPolicy, PolicyError, Registry, load_policy_file
from tongchou.policy.schema import Policy

REPO = Path(__file__).resolve().parents[2]
GOOD = yaml.safe_load((REPO / "policies/xxdistrict-2021-resident.yaml").read_text(encoding="utf-8"))


def write(tmp_path, doc, name="p.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def broken(**changes):
    doc = json.loads(json.dumps(GOOD, default=str))
    version = doc["versions"][0]
    for key, value in changes.items():
        version[key] = value
    return doc


def test_a_ratio_above_one_is_reported_with_its_path(tmp_path):
    doc = broken()
    doc["versions"][0]["benefits"][0]["ratio"] = 1.5
    with pytest.raises(PolicyError) as exc:
        load_policy_file(write(tmp_path, doc))
    assert exc.value.path == "versions.0.benefits.0.ratio"
    assert "0 到 1 之间" in exc.value.reason
    assert str(tmp_path / "p.yaml") in str(exc.value)


def test_an_undefined_cap_is_refused(tmp_path):
    doc = broken(caps=[])
    with pytest.raises(PolicyError) as exc:
        load_policy_file(write(tmp_path, doc))
    assert "未定义的封顶线" in exc.value.reason


def test_an_amount_with_three_decimals_is_refused(tmp_path):
    doc = broken()
    doc["versions"][0]["caps"][0]["amount"] = "150.001"
    with pytest.raises(PolicyError) as exc:
        load_policy_file(write(tmp_path, doc))
    assert exc.value.path == "versions.0.caps.0.amount"


def test_an_unknown_key_is_refused(tmp_path):
    doc = broken(ratios=0.5)
    with pytest.raises(PolicyError) as exc:
        load_policy_file(write(tmp_path, doc))
    assert exc.value.path == "versions.0.ratios"


def test_an_example_must_write_down_its_assumptions(tmp_path):
    doc = broken()
    doc["example"] = True
    with pytest.raises(PolicyError) as exc:
        load_policy_file(write(tmp_path, doc))
    assert "assumptions" in exc.value.reason


def test_invalid_yaml_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(PolicyError, match="不是有效的 YAML"):
        load_policy_file(path)


def test_duplicate_ids_are_refused(tmp_path):
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(PolicyError, match="已在 .* 中定义"):
        Registry.load(tmp_path)


def test_resolution_by_region_scheme_and_date():
    registry = Registry.load()
    resolved = registry.resolve("371525", "390", dt.date(2018, 6, 1))
    assert resolved.policy.id == "guanxian-2018-resident"
    with pytest.raises(NoPolicy):
        registry.resolve("371525", "390", dt.date(2019, 1, 1))
    with pytest.raises(NoPolicy):
        registry.resolve("371525", "310", dt.date(2018, 6, 1))


def test_a_layer_is_composed_into_its_base():
    resolved = Registry.load().resolve("440100", "390", dt.date(2015, 6, 1))
    assert resolved.policy.id == "guangzhou-2015-resident-base"
    assert [layer.id for layer in resolved.layers] == ["critical_illness"]


def test_a_layer_cannot_be_settled_alone():
    registry = Registry.load()
    with pytest.raises(NoPolicy, match="layer"):
        registry.resolve("440100", "390", dt.date(2015, 6, 1), policy_id="guangzhou-2014-critical-illness")


def test_the_published_json_schema_is_current():
    published = json.loads((REPO / "docs/policy-schema.json").read_text(encoding="utf-8"))
    assert published == json.loads(json.dumps(Policy.model_json_schema(), ensure_ascii=False))


def test_seed_policies_are_not_examples_and_examples_are():
    registry = Registry.load()
    for policy_id, path in registry.files.items():
        assert registry.policies[policy_id].example == ("examples" in path.parts), policy_id


def test_the_policies_document_is_current():
    from tongchou.policy.document import policies_markdown

    assert (REPO / "docs/policies.md").read_text(encoding="utf-8") == policies_markdown(
        list(Registry.load().policies.values()))
