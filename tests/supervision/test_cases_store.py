"""End to end on SQLite and PostgreSQL: findings → case → review → appeal → decision → recovery and
fine postings → receipts; `ledger verify` passes after; suspensions refuse; credit events append once;
the settlement hook screens against the store's history."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from tests.store.support import fee, request
from tongchou.ledger.service import verify
from tongchou.store import models as m
from tongchou.errors import Refused
from tongchou.supervision import models as sv
from tongchou.supervision.cases import CaseError
from tongchou.supervision.credit import load_scoring, ratings, record_credit_events
from tongchou.supervision.errors import SupervisionError
from tongchou.supervision.findings import Finding
from tongchou.supervision.service import SupervisionHook
from tongchou.supervision.postings import DUE_TO_TREASURY, FINE_RECEIVABLE, RECOVERY_RECEIVABLE, TREASURY_FINES
from tongchou.supervision.rules import load_rules
from tongchou.supervision.service import CaseService, benefits_suspended, save_findings

H1, H2 = "H37152500001", "H37152500002"
D = dt.date


def _finding(rule_id, setl_id, *, psn="GX0001", inst=H1, amount=50000, doctor=None):
    return Finding(rule_id, {"duplicate_charge": "重复收费", "frequent_drug_purchase": "频繁购药"}[rule_id], "high", False,
                   "post", f"测试疑点 {setl_id}", setl_id=setl_id, psn_no=psn, fixmedins_code=inst, doctor_code=doctor,
                   county="371525", amount=amount)


def _postings(store, cause_type):
    def work(session):
        return session.execute(select(m.Posting).join(m.JournalEntry, m.JournalEntry.id == m.Posting.entry_id).where(
            m.JournalEntry.cause_type == cause_type)).scalars().all()
    return store.read(work)


def test_case_workflow_recovery_and_fine(store, settlements):
    s1 = settlements.settle(request("S-A", items=[fee("T000002", "3000.00")], day="2018-05-10", begin="2018-05-01"))
    paid = s1.amounts["hifp_pay"] + s1.amounts["hifmi_pay"] + s1.amounts["maf_pay"]
    assert paid > 50000
    run_id, added = save_findings(store, [_finding("duplicate_charge", "S-A", doctor="D01")], source="test",
                                  rules="r", found_on=D(2018, 6, 1))
    assert added == 1
    assert save_findings(store, [_finding("duplicate_charge", "S-A", doctor="D01")], source="test", rules="r",
                         found_on=D(2018, 6, 1))[1] == 0  # the same finding is recorded once
    fid = store.read(lambda s: s.execute(select(sv.FindingRow.id)).scalar_one())
    cases = CaseService(store)
    case = cases.open([fid], "institution", on=D(2018, 6, 2))
    assert case.state == "suspect" and case.subject_id == H1 and case.county == "371525"
    with pytest.raises(SupervisionError) as taken:
        cases.open([fid], "institution", on=D(2018, 6, 2))
    assert taken.value.field == "finding_ids"
    case = cases.review(case.case_no, on=D(2018, 6, 10), violation=True, text="经核查存在重复收费")
    with pytest.raises(CaseError) as early:
        cases.decide(case.case_no, on=D(2018, 6, 12), recover=30000)
    assert early.value.field == "on" and "申辩期" in early.value.message
    case = cases.appeal(case.case_no, on=D(2018, 6, 20), text="系收费系统故障")
    with pytest.raises(CaseError) as multiple:
        cases.decide(case.case_no, on=D(2018, 7, 1), recover=30000, fraud=True, fine_multiple="6")
    assert multiple.value.field == "fine_multiple"
    with pytest.raises(SupervisionError) as too_much:
        cases.decide(case.case_no, on=D(2018, 7, 1), recover=paid + 1)
    assert too_much.value.field == "recover"
    case = cases.decide(case.case_no, on=D(2018, 7, 1), recover=30000, fraud=True, fine_multiple="2",
                        agreement="suspended")
    assert case.state == "decided" and case.decision.fine == 60000
    assert "罚款600.00元" in case.events[-1].text and "暂停医保协议" in case.events[-1].text

    due = _postings(store, "recovery_due")
    assert sum(p.debit for p in due) == 30000 == sum(p.credit for p in due)
    assert {p.title for p in due} == {str(RECOVERY_RECEIVABLE), "revenue_other"}
    assert all(p.party == H1 for p in due if p.title == str(RECOVERY_RECEIVABLE))
    fines = _postings(store, "fine_due")
    assert {(p.fund, p.title) for p in fines} == {(str(TREASURY_FINES), str(FINE_RECEIVABLE)),
                                                  (str(TREASURY_FINES), str(DUE_TO_TREASURY))}
    assert not any(p.title.startswith("revenue") for p in fines)  # a fine is never fund revenue
    assert verify(store).ok

    institution = store.read(lambda s: s.get(m.Institution, H1))
    assert institution.agreement_status == "suspended"
    with pytest.raises(Refused) as refused:
        settlements.settle(request("S-B", items=[fee("T000002", "100.00")], day="2018-07-10"))
    assert refused.value.code == "agreement"

    with pytest.raises(CaseError) as over:
        cases.receive(case.case_no, on=D(2018, 7, 5), kind="recovery", amount=30001)
    assert over.value.field == "amount"
    cases.receive(case.case_no, on=D(2018, 7, 5), kind="recovery", amount=10000)
    cases.receive(case.case_no, on=D(2018, 7, 6), kind="recovery", amount=20000)
    case = cases.receive(case.case_no, on=D(2018, 7, 6), kind="fine", amount=60000)
    assert case.state == "closed"
    receipts = _postings(store, "recovery_receipt")
    assert sum(p.debit for p in receipts if p.title == "bank") == 30000
    # the fine collected (600.00 元) is paid over to the treasury, once (罚没款上缴国库)
    assert cases.remit_fines(case.county, on=D(2018, 7, 31)) == 60000
    remitted = _postings(store, "fine_remit")
    assert sorted((p.fund, p.title, p.debit, p.credit) for p in remitted) == sorted(
        [(str(TREASURY_FINES), "bank", 0, 60000), (str(TREASURY_FINES), str(DUE_TO_TREASURY), 60000, 0)])
    assert cases.remit_fines(case.county, on=D(2018, 8, 31)) == 0
    report = verify(store)
    assert report.ok, [c.breaches for c in report.checks if not c.ok]
    view = cases.get(case.case_no)
    assert view.case.state == "closed" and view.setl_ids == ("S-A",)

    # credit: each source scores once; the institution's grade falls
    scoring = load_scoring()
    assert record_credit_events(store, scoring) > 0
    assert record_credit_events(store, scoring) == 0
    rated = {(r.subject_kind, r.subject_id): r for r in ratings(store, scoring, 2018)}
    assert rated[("institution", H1)].score == 100 - 3 - 30 and rated[("institution", H1)].grade == "C"
    assert rated[("doctor", "D01")].score == 97

    # append-only
    with pytest.raises(Exception):
        store.transaction(lambda s: s.execute(text("UPDATE sv_case_event SET text = 'x'")))
    with pytest.raises(Exception):
        store.transaction(lambda s: s.execute(text("DELETE FROM sv_finding")))


def test_person_fraud_suspends_benefits(store, settlements):
    settlements.settle(request("S-P", psn_no="GX0002", items=[fee("T000002", "2000.00")], day="2018-03-10",
                               begin="2018-03-01"))
    save_findings(store, [_finding("frequent_drug_purchase", "S-P", psn="GX0002", amount=20000)], source="t", rules="r",
                  found_on=D(2018, 4, 1))
    fid = store.read(lambda s: s.execute(select(sv.FindingRow.id)).scalar_one())
    cases = CaseService(store)
    case = cases.open([fid], "person", on=D(2018, 4, 2))
    assert case.subject_id == "GX0002" and case.county == "371599"
    case = cases.review(case.case_no, on=D(2018, 4, 3), violation=True)
    with pytest.raises(CaseError) as wrong:
        cases.decide(case.case_no, on=D(2018, 5, 1), recover=10000, agreement="suspended")
    assert wrong.value.field == "agreement"
    case = cases.decide(case.case_no, on=D(2018, 5, 1), recover=10000, fraud=True, fine_multiple="3",
                        suspend_benefits=True)
    assert case.decision.fine == 30000
    hook = SupervisionHook(load_rules())
    row = store.read(lambda s: benefits_suspended(s, "GX0002", D(2018, 8, 1)))
    assert row is not None and row.valid_to == D(2018, 12, 31)
    with pytest.raises(Refused) as refused:
        store.read(lambda s: hook.check_benefits(s, "GX0002", D(2018, 8, 1)))
    assert refused.value.code == "benefits_suspended" and "取消" in refused.value.message
    store.read(lambda s: hook.check_benefits(s, "GX0002", D(2019, 1, 2)))  # next year: benefits again
    store.read(lambda s: hook.check_benefits(s, "GX0001", D(2018, 8, 1)))
    assert verify(store).ok


def test_hook_screens_against_store_history(store, settlements):
    settlements.settle(request("S-H1", items=[fee("T000002", "1000.00")], day="2018-05-10", begin="2018-05-01"))
    hook = SupervisionHook(load_rules())
    second = request("S-H2", items=[fee("T000004", "120.00", qty="2", price="60.00")], day="2018-05-08",
                     begin="2018-05-05", fixmedins=H2)

    def work(session):
        person = session.get(m.Person, "GX0001")
        from tongchou.settlement.service import items_from_catalogue
        return hook.screen(session, second, person, items_from_catalogue(session, second))
    screening = store.read(work)
    rules = {f.rule_id for f in screening.findings}
    assert "overlapping_admissions" in rules and "price_above_cap" in rules
    assert screening.refusal() and "住院时间重叠" in screening.refusal()
    assert "超限价收费" in (screening.warn_msg() or "")


def test_cli_case_flow(db_url, store, settlements):
    settlements.settle(request("S-C", items=[fee("T000002", "3000.00")], day="2018-05-10", begin="2018-05-01"))
    save_findings(store, [_finding("duplicate_charge", "S-C")], source="t", rules="r", found_on=D(2018, 6, 1))
    from tongchou.supervision.cli import app

    runner = CliRunner()
    opened = runner.invoke(app, ["case", "open", "--finding", "1", "--subject-kind", "institution", "--on", "2018-06-02",
                                 "--db", db_url])
    assert opened.exit_code == 0, opened.output
    case_no = opened.output.split("案件")[1].split("（")[0]
    for args in (["review", case_no, "--violation", "--on", "2018-06-03"],
                 ["decide", case_no, "--recover", "100.00", "--on", "2018-07-01"],
                 ["receipt", case_no, "--kind", "recovery", "--amount", "100.00", "--on", "2018-07-02"]):
        result = runner.invoke(app, ["case", *args, "--db", db_url])
        assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["case", "list", "--db", db_url])
    assert "已结案" in listed.output
    bad = runner.invoke(app, ["case", "decide", case_no, "--recover", "1.234", "--db", db_url])
    assert bad.exit_code == 2 and "--recover" in bad.output
    from tongchou.ledger.cli import app as ledger_app

    checked = runner.invoke(ledger_app, ["--db", db_url])  # `tongchou ledger verify` (its only command)
    assert checked.exit_code == 0, checked.output
