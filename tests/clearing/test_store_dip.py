"""DIP from the store: settlements carrying a main diagnosis and procedure of the example catalogue
(policies/clearing/example-city.yaml) land in their groups, not in the catch-all ZH99, and the month's
DIP points and pre-payment are those worked by hand below. On SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from tests.store.support import fee, request
from tests.store.support import db_url, pg_session_url, registry, settlements, sqlite_template, store  # noqa: F401
from tongchou.clearing import service as store_ops
from tongchou.clearing.dip import catalogue_index
from tongchou.store import models as m

H1 = "H37152500001"  # 冠县人民医院, level 2: coefficient 0.85

# key, diag_code, oprn_code, dise_code, medfee (yuan) → group, kind, points (P the group's points, K its
# standard cost, C the case's medfee_sumamt)
CASES = [
    # D013 急性阑尾炎 腹腔镜阑尾切除 (not D012, its conservative group): P 1300, K 13 000, C = K → 1300
    ("A", "K35.8", "47.01", None, "13000.00", "D013", "normal", "1300"),
    # D015 胆囊结石伴胆囊炎 腹腔镜胆囊切除: P 1600, K 16 000, C 4 000 < 0.5 K → 1600 × 4000 / 16000 = 400
    ("B", "K80.1", "51.23", None, "4000.00", "D015", "low", "400"),
    # I63.9 with a procedure the catalogue lacks → D001 脑梗死 保守治疗: P 900, K 9 000, C 20 000 > 2 K
    # → 900 × (20000 / 9000 − 2 + 1) = 900 × 11000 / 9000 = 1100
    ("C", "I63.9", "99.99", None, "20000.00", "D001", "high", "1100"),
    # no main diagnosis (a settlement made before the store kept one): its dise_code J18.9
    # → D009 肺炎 保守治疗: P 500, K 5 000, C = K → 500
    ("D", None, None, "J18.9", "5000.00", "D009", "normal", "500"),
    # a diagnosis outside the catalogue → ZH99 综合病种: P 800, K 8 000, 4 000 ≤ C 6 000 ≤ 16 000 → 800
    ("E", "Z99.9", None, None, "6000.00", "ZH99", "normal", "800"),
]
MONTH_POINTS = 1300 + 400 + 1100 + 500 + 800  # 4100


def settle_cases(settlements) -> None:
    for day, (key, diag, oprn, dise, medfee, *_) in enumerate(CASES, start=1):
        settlements.settle(request(key, day=f"2018-05-{day:02d}", items=[fee("T000002", medfee)],
                                   diag_code=diag, oprn_code=oprn, dise_code=dise))


def test_settlements_land_in_the_groups_of_their_diagnosis_and_procedure(store, settlements, rules):
    settle_cases(settlements)
    index = catalogue_index(rules.dip)

    def read(session):
        rows = {r.setl_id: r for r in session.execute(select(m.Settlement)).scalars()}
        return {key: (rows[key].diag_code, rows[key].oprn_code, store_ops.dip_case(rows[key], rules, index))
                for key in rows}

    found = store.read(read)
    for key, diag, oprn, _dise, _medfee, group, kind, points in CASES:
        stored_diag, stored_oprn, case = found[key]
        assert (stored_diag, stored_oprn) == (diag, oprn), key
        assert (case.group_code, case.kind, case.points) == (group, kind, Decimal(points)), key


def test_the_monthly_run_prepays_the_hand_worked_points(store, settlements, rules):
    settle_cases(settlements)
    # the run counts a case for DIP when the pooled fund paid it: every case here
    assert all(store.read(lambda s: list(s.execute(select(m.Settlement.hifp_pay)).scalars())))
    store_ops.import_plan(store, 2018, {"dip_budget": "12300.00"})
    [run] = store_ops.run_month(store, rules, "2018-05")
    adjustments = run.document["adjustments"]
    assert run.fixmedins_code == H1 and adjustments["dip_units"] == MONTH_POINTS * 10_000
    # point value = 12 300.00 / 12 / 4100 points = 0.25 元/分; estimate = 4100 × 0.25 × 0.85 = 871.25 元;
    # pre-payment = 871.25 × 90 % = 784.125 → 784.13 元
    prepayment = adjustments["dip_prepayment"]
    assert Decimal(prepayment["point_value"]) == Decimal("0.25") and Decimal(prepayment["points"]) == MONTH_POINTS
    assert prepayment["prepaid"] == 78413


def test_the_stored_statement_renders_through_the_shared_model(db_url, store, settlements):
    from typer.testing import CliRunner

    from tongchou.cli import app

    settle_cases(settlements)
    runner = CliRunner()
    ran = runner.invoke(app, ["clearing", "run", "--db", db_url, "--month", "2018-05", "--format", "md"])
    assert ran.exit_code == 0, ran.output
    assert ran.output.startswith("# 定点医药机构月度结算单") and "- 机构编码：H37152500001" in ran.output
    assert "| 结算笔数 | 5 |" in ran.output and "> 应付金额 = 本月清算金额 − 质量保证金预留" in ran.output
    page = runner.invoke(app, ["clearing", "run", "--db", db_url, "--month", "2018-05", "--format", "html"])
    assert page.exit_code == 0 and "<h2>五、清算</h2>" in page.output and "echarts" not in page.output


def test_a_bad_plan_is_refused_naming_the_field_and_nothing_is_stored(db_url, store, tmp_path):
    from typer.testing import CliRunner

    from tongchou.cli import app

    path = tmp_path / "plan.yaml"
    path.write_text("dip_budget: 12300\nglobal_budgets: {H37152500001: 0}\n", encoding="utf-8")
    refused = CliRunner().invoke(app, ["clearing", "plan", str(path), "--db", db_url, "--year", "2018"])
    assert refused.exit_code == 2
    assert "error: plan.global_budgets.H37152500001: 总额预算须大于 0" in refused.output
    assert store.read(lambda s: s.get(m.ClearingPlan, 2018)) is None
