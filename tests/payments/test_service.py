"""Payments (代发), returns, re-issues, account payouts and 家庭共济 against the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.store.support import TEST_CIPHER, fee
from tongchou.enrolment.service import EnrolmentService
from tongchou.errors import Conflict, InvalidRequest, NotFound, Refused
from tongchou.ledger.accounts import Account, Fund, Title
from tongchou.ledger.service import balance, personal_account_balance, verify
from tongchou.payments import rules
from tongchou.payments.review import ReviewRule
from tongchou.payments.rules import BankDetails
from tongchou.payments.service import PaymentService
from tongchou.policy.registry import Registry, default_policy_dir
from tongchou.sheets import read_sheet
from tongchou.store import models as m
from tongchou.web import reimbursement
from tongchou.settlement.request import FeeLine

D = dt.date
ACCOUNT = "6222021234567890123"
ENROLMENT_DATA = Path(__file__).resolve().parents[1] / "enrolment" / "data"


def books_ok(store):
    report = verify(store)
    assert report.ok, [(c.name, c.breaches) for c in report.checks if not c.ok]


def manual(settlements, receipt: str, amount: str, psn_no: str = "GX0001", reviewed_by=None):
    req = reimbursement.ManualRequest(psn_no, "390", "H37152500001", "21", D(2018, 9, 1), D(2018, 9, 4), None,
                                      (fee("T000002", amount),), "system", None, None, receipt)
    return reimbursement.settle_manual(settlements, req, "371525", "clerk_a", reviewed_by=reviewed_by).setl_id


def fund_pay(store, setl_id):
    return store.read(lambda s: s.scalar(select(m.Settlement.fund_pay_sumamt).where(m.Settlement.setl_id == setl_id)))


@pytest.fixture
def payments(store, registry):
    return PaymentService(store, TEST_CIPHER, registry=registry)


def test_a_batch_a_return_and_a_reissue_keep_the_books(store, settlements, payments):
    first, second = manual(settlements, "PJ-1", "1800.00"), manual(settlements, "PJ-2", "950.00", "GX0004")
    assert [w.setl_id for w in payments.waiting("371525")] == [first, second]  # no bank details yet
    with pytest.raises(Refused) as err:
        payments.create_batch(D(2018, 12, 20), "clerk_a", "371525")
    assert err.value.code == "nothing_to_send"
    payments.set_bank_account("GX0001", "张三", "中国工商银行冠县支行", ACCOUNT, on=D(2018, 12, 20), by="clerk_a")
    payments.set_bank_account("GX0004", "李四", "中国农业银行冠县支行", "6228480011112222333", on=D(2018, 12, 20),
                              by="clerk_a")
    assert payments.bank_account("GX0001").account_masked == "6222***********0123"
    raw = store.read(lambda s: s.scalar(select(m.BankAccount.account_no_enc)))
    assert ACCOUNT not in raw  # encrypted at rest
    batch = payments.create_batch(D(2018, 12, 20), "clerk_a", "371525")
    amounts = [fund_pay(store, first), fund_pay(store, second)]
    assert batch.batch_no == "DF37152520181220001" and batch.count == 2 and batch.total == sum(amounts)
    assert [p.state for p in batch.payments] == [rules.SENT, rules.SENT]
    assert [p.seq for p in batch.payments] == [1, 2]
    name, content = payments.batch_file(batch.batch_no)
    sheet = read_sheet(name, content)
    assert sheet.header == rules.FILE_COLUMNS
    rows = [r.values for r in sheet.rows]
    assert rows[0]["账号"] == ACCOUNT and rows[0]["业务编号"] == first  # in full in the file
    assert rows[-1]["序号"] == "合计" and rows[-1]["金额"] == f"{batch.total / 100:.2f}"
    books_ok(store)
    # nothing left to batch: a payment is never in two batches
    with pytest.raises(Refused):
        payments.create_batch(D(2018, 12, 21), "clerk_a", "371525")
    # the bank's return file: the first paid, the second returned (closed account)
    amount2 = f"{amounts[1] / 100:.2f}"
    ret = ("批次号,序号,金额,结果代码,说明\n"
           f"{batch.batch_no},1,{amounts[0] / 100:.2f},00,\n"
           f"{batch.batch_no},2,{amount2},R02,账户已销户\n"
           f"{batch.batch_no},3,1.00,00,\n").encode()
    out = payments.read_return("return.csv", ret, on=D(2018, 12, 24), by="clerk_a")
    assert out.paid == [1] and out.returned == [2] and [(e.line, e.column) for e in out.errors] == [(4, "序号")]
    due = Account(Fund.RESIDENT_POOLED, Title.DUE_TO_PERSON, "371525", "GX0004")
    assert store.read(lambda s: -balance(s, due)) == amounts[1]  # payable to the person again
    again = payments.read_return("return.csv", ret, on=D(2018, 12, 25), by="clerk_a")
    assert again.already == [1, 2] and again.paid == again.returned == []  # never booked twice
    assert store.read(lambda s: -balance(s, due)) == amounts[1]
    books_ok(store)
    returned = payments.payments(states=[rules.RETURNED])[0]
    assert returned.return_code == "R02" and returned.return_label == "账户已销户"
    with pytest.raises(InvalidRequest):
        payments.reissue(returned.id, "李四", "中国农业银行冠县支行", "12ab", on=D(2018, 12, 26), entered_by="clerk_a")
    new = payments.reissue(returned.id, "李四", "中国建设银行冠县支行", "6217001234000055555", on=D(2018, 12, 26),
                           entered_by="clerk_a")
    assert new.reissue_of == returned.id and new.state == rules.PENDING and new.amount == amounts[1]
    assert payments.bank_account("GX0004").bank_name == "中国建设银行冠县支行"
    with pytest.raises(Conflict) as err:  # a resubmitted form applies once
        payments.reissue(returned.id, "李四", "中国建设银行冠县支行", "6217001234000055555", on=D(2018, 12, 26),
                         entered_by="clerk_a")
    assert err.value.code == "already_reissued"
    with pytest.raises(Refused):  # only a returned payment is re-issued
        payments.reissue(batch.payments[0].id, "张三", "工行", ACCOUNT, on=D(2018, 12, 26), entered_by="clerk_a")
    second_batch = payments.create_batch(D(2018, 12, 27), "clerk_a", "371525")
    assert second_batch.batch_no == "DF37152520181227001" and [p.id for p in second_batch.payments] == [new.id]
    assert store.read(lambda s: balance(s, due)) == 0
    books_ok(store)


def test_a_reissue_above_the_threshold_needs_a_second_person(store, settlements, payments):
    setl = manual(settlements, "PJ-BIG", "30000.00", reviewed_by="reviewer_a")
    payments.set_bank_account("GX0001", "张三", "工行冠县支行", ACCOUNT, on=D(2018, 12, 20), by="clerk_a")
    batch = payments.create_batch(D(2018, 12, 20), "clerk_a", "371525")
    amount = fund_pay(store, setl)
    assert amount > 1_000_000 and batch.payments[0].reviewed_by == "reviewer_a"
    payments.read_return("r.csv", f"批次号,序号,金额,结果代码\n{batch.batch_no},1,{amount / 100:.2f},R01\n".encode(),
                         on=D(2018, 12, 24), by="clerk_a")
    pid = batch.payments[0].id
    with pytest.raises(Refused) as err:
        payments.reissue(pid, "张三", "工行", "6222020000000000001", on=D(2018, 12, 26), entered_by="clerk_a")
    assert err.value.code == "review_required" and err.value.field == "reviewed_by"
    with pytest.raises(Refused):
        payments.reissue(pid, "张三", "工行", "6222020000000000001", on=D(2018, 12, 26), entered_by="clerk_a",
                         reviewed_by="clerk_a")
    assert payments.reissue(pid, "张三", "工行", "6222020000000000001", on=D(2018, 12, 26), entered_by="clerk_a",
                            reviewed_by="reviewer_a").reviewed_by == "reviewer_a"
    # a raised threshold lets it through without a reviewer
    loose = PaymentService(store, TEST_CIPHER, review=ReviewRule(threshold=amount))
    assert not loose.review.needs_review(amount)
    books_ok(store)


def test_two_clerks_batching_the_same_payment_put_it_in_one_batch(store, settlements, payments):
    manual(settlements, "PJ-C1", "1800.00")
    payments.set_bank_account("GX0001", "张三", "工行冠县支行", ACCOUNT, on=D(2018, 12, 20), by="clerk_a")
    results: list = []
    barrier = threading.Barrier(2)

    def clerk(name):
        barrier.wait()
        try:
            results.append(payments.create_batch(D(2018, 12, 20), name, "371525"))
        except Refused as exc:
            results.append(exc)
    threads = [threading.Thread(target=clerk, args=(n,)) for n in ("clerk_a", "clerk_c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    batches = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(batches) == 1 and len(refused) == 1 and refused[0].code == "nothing_to_send"
    rows = store.read(lambda s: list(s.scalars(select(m.Payment))))
    assert len(rows) == 1 and rows[0].batch_id is not None
    assert store.read(lambda s: len(list(s.scalars(select(m.PaymentBatch))))) == 1
    books_ok(store)


def test_account_payout_on_death_to_the_heir(store, registry, payments):
    with pytest.raises(Refused) as err:
        payments.account_payout("CC0001", "death", on=D(2021, 6, 1), entered_by="clerk_a",
                                payee=BankDetails("继承人", "工行", ACCOUNT))
    assert err.value.code == "not_deceased"
    store.transaction(lambda s: setattr(s.get(m.Person, "CC0001"), "death_date", D(2021, 5, 5)))
    with pytest.raises(InvalidRequest):
        payments.account_payout("CC0001", "death", on=D(2021, 6, 1), entered_by="clerk_a")
    out = payments.account_payout("CC0001", "death", on=D(2021, 6, 1), entered_by="clerk_a",
                                  payee=BankDetails("父亲之子", "工行南关支行", ACCOUNT))
    assert out.amount == 30_000 and out.kind == rules.ACCOUNT_PAYOUT and out.payee_name == "父亲之子"
    assert store.read(lambda s: personal_account_balance(s, "CC0001")) == 0
    with pytest.raises(Refused) as err:
        payments.account_payout("CC0001", "death", on=D(2021, 6, 2), entered_by="clerk_a",
                                payee=BankDetails("父亲之子", "工行南关支行", ACCOUNT))
    assert err.value.code == "nothing_to_pay"
    batch = payments.create_batch(D(2021, 6, 3), "clerk_a", "220102")
    assert batch.total == 30_000 and batch.count == 1
    books_ok(store)


def test_the_account_pays_for_the_family(store, tmp_path):
    shutil.copy(default_policy_dir() / "changchun-2021-employee.yaml", tmp_path)
    shutil.copy(ENROLMENT_DATA / "changchun-2021-resident-test.yaml", tmp_path)
    registry = Registry.load(tmp_path)
    payments = PaymentService(store, TEST_CIPHER, registry=registry)
    # own long-term care (example 60.00) and supplement (example 120.00) from a 300.00 balance
    assert payments.family_amount("CC0001", "long_term_care", 2021, D(2021, 2, 1)) == 6_000
    out = payments.family_pay("CC0001", "long_term_care", 2021, on=D(2021, 2, 1), entered_by="clerk_a")
    assert out.amount == 6_000 and out.balance_after == 24_000
    with pytest.raises(Conflict) as err:  # once a year
        payments.family_pay("CC0001", "long_term_care", 2021, on=D(2021, 2, 2), entered_by="clerk_a")
    assert err.value.code == "already_paid"
    payments.family_pay("CC0001", "large_expense", 2021, on=D(2021, 2, 1), entered_by="clerk_a")
    assert store.read(lambda s: personal_account_balance(s, "CC0001")) == 12_000
    fund = Account(Fund.LONG_TERM_CARE, Title.REVENUE_INDIVIDUAL, "220102")
    assert store.read(lambda s: -balance(s, fund)) == 6_000
    # the child's resident contribution (320.00) is more than the 120.00 left
    with pytest.raises(Refused) as err:
        payments.family_pay("CC0001", "resident", 2021, relative="CC0003", on=D(2021, 2, 1), entered_by="clerk_a")
    assert err.value.code == "insufficient_balance" and err.value.field == "payer"
    EnrolmentService(store, registry).record_employee_contribution("CC0001", "2021-01", 2_500_000, 200_000, 50_000,
                                                                   D(2021, 1, 15))  # 2 % of 25,000.00
    out = payments.family_pay("CC0001", "resident", 2021, relative="CC0003", on=D(2021, 2, 1), entered_by="clerk_a")
    assert out.amount == 32_000 and out.balance_after == 12_000 + 50_000 - 32_000
    with pytest.raises(Refused) as err:  # not family
        payments.family_pay("CC0001", "resident", 2021, relative="CC0005", on=D(2021, 2, 1), entered_by="clerk_a")
    assert err.value.code == "not_family" and err.value.field == "relative"
    with pytest.raises(Refused) as err:  # CC0003 is a resident with no account
        payments.family_pay("CC0003", "large_expense", 2021, on=D(2021, 2, 1), entered_by="clerk_a")
    assert err.value.code == "no_account"
    with pytest.raises(Refused) as err:
        payments.family_amount("CC0001", "large_expense", 2030, D(2030, 2, 1))
    assert err.value.code == "no_terms"
    listed = payments.family_payments("CC0001")
    assert [(y, amount) for y, _label, _who, amount, _on in listed] == [(2021, 6_000), (2021, 12_000), (2021, 32_000)]
    books_ok(store)


def test_the_family_payment_above_the_threshold_needs_review(store, tmp_path):
    shutil.copy(default_policy_dir() / "changchun-2021-employee.yaml", tmp_path)
    payments = PaymentService(store, TEST_CIPHER, registry=Registry.load(tmp_path), review=ReviewRule(threshold=5_999))
    with pytest.raises(Refused) as err:
        payments.family_pay("CC0001", "long_term_care", 2021, on=D(2021, 2, 1), entered_by="clerk_a")
    assert err.value.code == "review_required"
    assert payments.family_pay("CC0001", "long_term_care", 2021, on=D(2021, 2, 1), entered_by="clerk_a",
                               reviewed_by="reviewer_a").amount == 6_000


def test_a_county_scoped_service_sees_only_its_county(store, settlements, payments):
    manual(settlements, "PJ-S1", "1800.00")
    payments.set_bank_account("GX0001", "张三", "工行冠县支行", ACCOUNT, on=D(2018, 12, 20), by="clerk_a")
    batch = payments.create_batch(D(2018, 12, 20), "clerk_a", "371525")
    other = PaymentService(store.scoped("371599"), TEST_CIPHER)
    with pytest.raises(NotFound):
        other.batch(batch.batch_no)
    with pytest.raises(NotFound):
        other.create_batch(D(2018, 12, 20), "clerk_b", "371525")
    assert other.batches() == []


def test_on_postgresql_a_county_sees_only_its_own_payments(store, settlements, payments, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("row-level security is PostgreSQL's")
    from tongchou.store.uow import Store
    manual(settlements, "PJ-RLS", "1800.00")
    payments.set_bank_account("GX0001", "张三", "工行冠县支行", ACCOUNT, on=D(2018, 12, 20), by="clerk_a")
    payments.create_batch(D(2018, 12, 20), "clerk_a", "371525")
    for county, seen in (("371525", 1), ("371599", 0)):
        scoped = Store.open(db_url, county=county, role="tongchou_app")
        try:
            assert scoped.read(lambda s: (len(s.execute(select(m.Payment)).all()),
                                          len(s.execute(select(m.PaymentBatch)).all()),
                                          len(s.execute(select(m.BankAccount)).all()))) == (seen, seen, seen)
        finally:
            scoped.close()
