"""代发 and 家庭共济 in the console as a clerk uses them: register bank details with the bank's proof, create a
batch, download its file, upload the bank's return file, re-issue a returned payment (once; with a reviewer
above the threshold); the account paying for the family; permissions and county scope."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.store.support import DATA, TEST_CIPHER, fee
from tests.web.conftest import client_for, csrf_of, sign_in
from tongchou.ledger.service import verify
from tongchou.region.fixture import load_file
from tongchou.sheets import read_sheet
from tongchou.store import models as m
from tongchou.web import reimbursement

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ACCOUNT = "6222021234567890123"


def settle(console, receipt: str, amount: str, psn_no: str = "GX0001") -> str:
    c = console.state.console
    req = reimbursement.ManualRequest(psn_no, "390", "H37152500001", "21", dt.date(2018, 9, 1), dt.date(2018, 9, 4),
                                      None, (fee("T000002", amount),), "system", None, None, receipt)
    return reimbursement.settle_manual(c.settlements, req, "371525", "clerk_a").setl_id


def fund_pay(console, setl_id: str) -> int:
    return console.state.console.store.read(
        lambda s: s.scalar(select(m.Settlement.fund_pay_sumamt).where(m.Settlement.setl_id == setl_id)))


def books_ok(console):
    report = verify(console.state.console.store)
    assert report.ok, [(c.name, c.breaches) for c in report.checks if not c.ok]


@pytest.fixture
def clerk(console):
    client = client_for(console)
    sign_in(client, "clerk_a")
    return client


def upload(client, path, data, files):
    return client.post(path, data={"csrf_token": csrf_of(client, "/payments"), **data}, files=files,
                       follow_redirects=False)


def register_bank(client, psn_no="GX0001", account=ACCOUNT, proof=True):
    files = {"doc_0": ("卡.pdf", PDF, "application/pdf")} if proof else {"doc_0": ("", b"", "application/pdf")}
    return upload(client, f"/persons/{psn_no}/bank-account",
                  {"payee_name": "张三", "bank_name": "中国工商银行冠县支行", "account_no": account,
                   "doc_0_kind": "银行账户证明"}, files)


def test_batch_return_and_reissue_through_the_console(console, clerk):
    setl = settle(console, "PJ-W1", "1800.00")
    amount = fund_pay(console, setl)
    page = clerk.get("/payments")
    assert page.status_code == 200 and "待登记代发银行账户的零星报销" in page.text and setl in page.text
    refused = register_bank(clerk, proof=False)
    assert refused.status_code == 422 and "请上传银行账户证明。" in refused.text
    bad = register_bank(clerk, account="12AB")
    assert bad.status_code == 422 and "账号须为8至30位数字。" in bad.text
    done = register_bank(clerk)
    assert done.status_code == 200 and "6222***********0123" in done.text and ACCOUNT not in done.text
    made = clerk.post("/payments/batches", data={"csrf_token": csrf_of(clerk, "/payments")}, follow_redirects=False)
    assert made.status_code == 303
    batch_no = made.headers["location"].split("/")[-1].split("?")[0]
    assert batch_no == "DF37152520181231001"
    page = clerk.get(made.headers["location"]).text
    assert "6222***********0123" in page and ACCOUNT not in page
    file = clerk.get(f"/payments/batches/{batch_no}/file")
    assert file.status_code == 200 and "attachment" in file.headers["content-disposition"]
    rows = [r.values for r in read_sheet("b.csv", file.content).rows]
    assert rows[0]["账号"] == ACCOUNT and rows[0]["金额"] == f"{amount / 100:.2f}" and rows[-1]["序号"] == "合计"
    again = clerk.post("/payments/batches", data={"csrf_token": csrf_of(clerk, "/payments")}, follow_redirects=False)
    assert again.status_code == 422 and "没有待发的代发" in again.text
    ret = f"批次号,序号,金额,结果代码,说明\n{batch_no},1,{amount / 100:.2f},R03,户名不符\n".encode("gb18030")
    result = upload(clerk, "/payments/returns", {}, {"file": ("回盘.csv", ret, "text/csv")})
    assert result.status_code == 200 and "退回并重新计入应付参保人：1笔" in result.text
    twice = upload(clerk, "/payments/returns", {}, {"file": ("回盘.csv", ret, "text/csv")})
    assert "此前已处理、本次未重复入账：1笔" in twice.text
    payment_id = console.state.console.store.read(lambda s: s.scalar(select(m.Payment.id)))
    form = clerk.get(f"/payments/{payment_id}/reissue")
    assert form.status_code == 200 and "R03 户名与账号不符" in form.text and "银行账户证明" in form.text
    fields = {"payee_name": "张三", "bank_name": "中国建设银行冠县支行", "account_no": "6217001234000055555",
              "doc_0_kind": "银行账户证明"}
    missing = upload(clerk, f"/payments/{payment_id}/reissue", fields, {"doc_0": ("", b"", "application/pdf")})
    assert missing.status_code == 422 and "请上传银行账户证明。" in missing.text
    proof = {"doc_0": ("证明.pdf", PDF, "application/pdf")}
    ok = upload(clerk, f"/payments/{payment_id}/reissue", fields, proof)
    assert ok.status_code == 303
    resubmitted = upload(clerk, f"/payments/{payment_id}/reissue", fields, proof)
    assert resubmitted.status_code == 409 and "不能重复重发" in resubmitted.text
    docs = console.state.console.store.read(lambda s: [(d.matter, d.kind) for d in s.scalars(select(m.DossierDocument))])
    assert ("payment.reissue", "银行账户证明") in docs and ("payment.bank_account", "银行账户证明") in docs
    second = clerk.post("/payments/batches", data={"csrf_token": csrf_of(clerk, "/payments")}, follow_redirects=False)
    assert second.status_code == 303
    books_ok(console)


def test_a_large_reissue_needs_a_reviewer(console, clerk):
    setl = settle(console, "PJ-W2", "30000.00")
    amount = fund_pay(console, setl)
    assert amount > 1_000_000
    register_bank(clerk)
    batch_no = clerk.post("/payments/batches", data={"csrf_token": csrf_of(clerk, "/payments")},
                          follow_redirects=False).headers["location"].split("/")[-1].split("?")[0]
    ret = f"批次号,序号,金额,结果代码\n{batch_no},1,{amount / 100:.2f},R02\n".encode()
    upload(clerk, "/payments/returns", {}, {"file": ("r.csv", ret, "text/csv")})
    payment_id = console.state.console.store.read(lambda s: s.scalar(select(m.Payment.id)))
    fields = {"payee_name": "张三", "bank_name": "中国建设银行冠县支行", "account_no": "6217001234000055555",
              "doc_0_kind": "银行账户证明"}
    proof = {"doc_0": ("证明.pdf", PDF, "application/pdf")}
    alone = upload(clerk, f"/payments/{payment_id}/reissue", fields, proof)
    assert alone.status_code == 422 and "须由复核人" in alone.text
    itself = upload(clerk, f"/payments/{payment_id}/reissue",
                    {**fields, "review_username": "clerk_a", "review_password": "Console2018pw"}, proof)
    assert itself.status_code == 422 and "复核人须为经办人以外的另一人" in itself.text
    no_role = upload(clerk, f"/payments/{payment_id}/reissue",
                     {**fields, "review_username": "clerk_b", "review_password": "Console2018pw"}, proof)
    assert no_role.status_code == 422 and "没有代发退回重发复核权限" in no_role.text
    other_county = upload(clerk, f"/payments/{payment_id}/reissue",
                          {**fields, "review_username": "reviewer_b", "review_password": "Console2018pw"}, proof)
    assert other_county.status_code == 422 and "不能复核其他区县" in other_county.text
    ok = upload(clerk, f"/payments/{payment_id}/reissue",
                {**fields, "review_username": "reviewer_a", "review_password": "Console2018pw"}, proof)
    assert ok.status_code == 303
    reviewed = console.state.console.store.read(
        lambda s: s.scalar(select(m.Payment.reviewed_by).where(m.Payment.reissue_of == payment_id)))
    assert reviewed == "reviewer_a"
    books_ok(console)


def test_who_may_and_which_county(console, clerk):
    settle(console, "PJ-W3", "1800.00")
    register_bank(clerk)
    batch_no = clerk.post("/payments/batches", data={"csrf_token": csrf_of(clerk, "/payments")},
                          follow_redirects=False).headers["location"].split("/")[-1].split("?")[0]
    reviewer = client_for(console)
    sign_in(reviewer, "reviewer_a")
    assert reviewer.get("/payments").status_code == 403
    other = client_for(console)
    sign_in(other, "clerk_b")
    assert other.get(f"/payments/batches/{batch_no}").status_code == 404
    assert other.get(f"/payments/batches/{batch_no}/file").status_code == 404
    assert batch_no not in other.get("/payments").text
    admin = client_for(console)
    sign_in(admin, "admin")
    refused = admin.post("/payments/batches", data={"csrf_token": csrf_of(admin, "/payments")})
    assert refused.status_code == 422 and "请选择区县" in refused.text


def test_the_account_pays_for_the_family_in_the_console(console):
    load_file(console.state.console.store, DATA / "changchun.yaml", TEST_CIPHER)
    admin = client_for(console)
    sign_in(admin, "admin")
    page = admin.get("/persons/CC0001/family-payment?year=2021")
    assert page.status_code == 200 and "300.00" in page.text and "孩子（居民）（子女，CC0003）" in page.text
    assert "示例数值" in page.text and "60.00" in page.text

    def post(**data):
        base = {"kind": "long_term_care", "year": "2021", "paid_on": "2021-02-01", "relative": ""}
        return admin.post("/persons/CC0001/family-payment", data={"csrf_token": csrf_of(admin, "/payments"),
                                                                  **base, **data},
                          files={"doc_0": ("", b"", "application/pdf")}, follow_redirects=False)
    ok = post()
    assert ok.status_code == 200 and "账户余额240.00元" in ok.text
    assert post().status_code == 409
    stranger = post(kind="resident", relative="CC0005")
    assert stranger.status_code == 422 and "不是" in stranger.text and "配偶、父母或子女" in stranger.text
    assert "本人长期护理保险缴费" in admin.get("/persons/CC0001/family-payment").text
    books_ok(console)


def test_an_account_payout_on_death_through_the_console(console):
    store = console.state.console.store
    load_file(store, DATA / "changchun.yaml", TEST_CIPHER)
    admin = client_for(console)
    sign_in(admin, "admin")
    page = admin.get("/persons/CC0001/account-payout")
    assert page.status_code == 200 and "死亡证明" in page.text and "继承权证明" in page.text and "300.00" in page.text
    fields = {"reason": "death", "payee_name": "父亲之子", "bank_name": "中国工商银行南关支行", "account_no": ACCOUNT,
              "doc_0_kind": "死亡证明", "doc_1_kind": "继承权证明"}
    files = {"doc_0": ("死亡证明.pdf", PDF, "application/pdf"), "doc_1": ("继承.pdf", PDF + b" ", "application/pdf")}
    missing = admin.post("/persons/CC0001/account-payout", data={"csrf_token": csrf_of(admin, "/payments"), **fields},
                         files={"doc_0": files["doc_0"]})
    assert missing.status_code == 422 and "请上传继承权证明。" in missing.text
    alive = admin.post("/persons/CC0001/account-payout", data={"csrf_token": csrf_of(admin, "/payments"), **fields},
                       files=files)
    assert alive.status_code == 422 and "未登记死亡" in alive.text
    store.transaction(lambda s: setattr(s.get(m.Person, "CC0001"), "death_date", dt.date(2018, 10, 5)))
    ok = admin.post("/persons/CC0001/account-payout", data={"csrf_token": csrf_of(admin, "/payments"), **fields},
                    files=files)
    assert ok.status_code == 200 and "300.00元已转为应付" in ok.text and "6222***********0123" in ok.text
    again = admin.post("/persons/CC0001/account-payout", data={"csrf_token": csrf_of(admin, "/payments"), **fields},
                       files=files)
    assert again.status_code == 409 and "无可支取" in again.text
    batch = admin.post("/payments/batches", data={"csrf_token": csrf_of(admin, "/payments"), "county": "220102"},
                       follow_redirects=False)
    assert batch.status_code == 303
    assert "300.00" in admin.get(batch.headers["location"]).text
    books_ok(console)
