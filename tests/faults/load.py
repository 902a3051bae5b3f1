"""The service under load for the fault tests: a region loaded into a throw-away cluster, `tongchou serve`
with two workers, and client threads settling outpatient visits (2201 → 2204 → 2207) while the test
breaks something. Every 2207 is remembered with its msgid and input, and with what the client saw:
an acknowledgement (infcode 0 and its setl_id), a refusal, or nothing (the connection broke)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tongchou.api.signing import sign_headers
from tongchou.client import HsaClient, _json_default

DATA_KEY = "dG9uZ2Nob3UtZmF1bHQtdGVzdHMtdGhyb3dhd2F5LWs="  # 32 bytes, for throw-away clusters only
ADMDVS = "371525"
TOWNSHIP, SECRET = "H37152500009", "fault-test-secret"
PERSONS = [f"F{i:03d}" for i in range(8)]
DAY = "2018-06-15"
GENERAL_OUTPATIENT_CAP_FEN = 12_000  # guanxian-2018-resident: 普通门诊每人每年基金支付封顶120元


def id_number(psn_no: str) -> str:
    """The synthetic ID number of a test person: 2201 and 2207 carry the person's certificate (docs/api.md)."""
    return f"{ADMDVS}{int(psn_no[1:]):011d}X"


def region_fixture() -> str:
    persons = "\n".join(f"  - {{psn_no: {p}, id_number: '{id_number(p)}', name: 参保人{i}, county: '{ADMDVS}', "
                        "psn_type: '1501', "
                        f"enrolments: [{{insutype: '390', from: '2018-01-01', to: '2018-12-31'}}]}}"
                        for i, p in enumerate(PERSONS))
    return (f"region: {{admdvs: '{ADMDVS}', name: 冠县}}\n"
            f"institutions:\n  - {{code: {TOWNSHIP}, name: 冠县某镇卫生院, hosp_lv: 1, admin_tier: township, "
            f"county: '{ADMDVS}', secret: {SECRET}}}\n"
            "catalogue:\n  - {code: T000002, name: 甲类药品, category: A}\n"
            f"persons:\n{persons}\n")


def tongchou_command() -> str:
    return str(Path(sys.executable).parent / "tongchou")


def server_env(url: str) -> dict[str, str]:
    return {**os.environ, "TONGCHOU_DB": url, "TONGCHOU_DATA_KEY": DATA_KEY, "TONGCHOU_API_RATE": "0",
            "TONGCHOU_API_POOL": "4"}


class Server:
    """`tongchou serve --workers N` in its own process group."""

    def __init__(self, url: str, port: int, policy_dir: Path, workers: int = 2):
        self.url, self.port, self.policy_dir, self.workers = url, port, policy_dir, workers
        self.process: subprocess.Popen | None = None
        self.log = policy_dir.parent / f"serve-{port}.log"

    def start(self) -> None:
        command = [tongchou_command(), "serve", "--db", self.url, "--host", "127.0.0.1", "--port", str(self.port),
                   "--workers", str(self.workers), "--policy-dir", str(self.policy_dir)]
        with self.log.open("ab") as log:  # a file, never a pipe nobody reads: a full pipe would block the server
            self.process = subprocess.Popen(command, env=server_env(self.url), stdout=log, stderr=log,
                                            start_new_session=True)
        try:
            self.wait_ready()
        except BaseException:
            self.kill_group()
            raise

    def wait_ready(self, seconds: float = 240) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
            if self.process and self.process.poll() is not None:
                raise RuntimeError(f"tongchou serve exited: {self.log.read_text()[-3000:]}")
        raise RuntimeError(f"tongchou serve did not answer in time: {self.log.read_text()[-3000:]}\n"
                           f"processes of its group: {_group_members(self.process.pid if self.process else 0)}")

    def kill_group(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(30)


@dataclass
class Sent:
    """One 2207 as sent: its msgid and input, the raw signed request of the first try, and what came back."""

    msgid: str
    input: dict
    raw: bytes
    headers: dict[str, str]
    outcome: str = "unanswered"  # acked | refused | unanswered
    setl_id: str | None = None
    message: str = ""


@dataclass
class Load:
    """Client threads settling visits until `stop` is set; every 2207 sent is in `sent`."""

    base_url: str
    threads: int = 6
    sent: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    errors: list[str] = field(default_factory=list)

    def client(self) -> HsaClient:
        return HsaClient(self.base_url, TOWNSHIP, SECRET, name="冠县某镇卫生院", admdvs=ADMDVS, timeout=15)

    def run(self, seconds: float) -> None:
        workers = [threading.Thread(target=self._worker, args=(n,), daemon=True) for n in range(self.threads)]
        for worker in workers:
            worker.start()
        time.sleep(seconds)
        self.stop.set()
        for worker in workers:
            worker.join(60)

    def start(self) -> list[threading.Thread]:
        workers = [threading.Thread(target=self._worker, args=(n,), daemon=True) for n in range(self.threads)]
        for worker in workers:
            worker.start()
        return workers

    def _worker(self, n: int) -> None:
        hsa = self.client()
        i = 0
        while not self.stop.is_set():
            psn_no = PERSONS[(n + i * self.threads) % len(PERSONS)]
            i += 1
            try:
                self.flow(hsa, psn_no, f"W{n}-{i}")
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                with self.lock:
                    self.errors.append(f"{type(exc).__name__}: {exc}"[:200])
                time.sleep(0.2)  # the service is down or restarting: try a new visit shortly

    def flow(self, hsa: HsaClient, psn_no: str, tag: str) -> None:
        opened = hsa.call("2201", {"data": {
            "psn_no": psn_no, "insutype": "390", "begntime": f"{DAY} 09:00:00", "mdtrt_cert_type": "02",
            "mdtrt_cert_no": id_number(psn_no), "ipt_otp_no": tag, "atddr_no": "DR1", "dr_name": "医生", "dept_code": "D1",
            "dept_name": "全科", "caty": "A03"}})
        if opened.get("infcode") != 0:
            raise ValueError(f"2201 {opened.get('err_msg')}")
        mdtrt_id = opened["output"]["data"]["mdtrt_id"]
        uploaded = hsa.call("2204", {"feedetail": [{
            "feedetl_sn": "1", "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": "B1", "rx_circ_flag": "0",
            "fee_ocur_time": f"{DAY} 10:00:00", "med_list_codg": "T000002", "medins_list_codg": "T000002",
            "det_item_fee_sumamt": "100.00", "cnt": "1", "pric": "100.00", "bilg_dept_codg": "D1",
            "bilg_dept_name": "全科", "bilg_dr_codg": "DR1", "bilg_dr_name": "医生", "hosp_appr_flag": "1"}]})
        if uploaded.get("infcode") != 0:
            raise ValueError(f"2204 {uploaded.get('err_msg')}")
        self.settle(hsa, {"data": {
            "psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": id_number(psn_no), "med_type": "11",
            "medfee_sumamt": "100.00", "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "B1",
            "acct_used_flag": "0", "insutype": "390"}})

    def settle(self, hsa: HsaClient, input: dict) -> None:
        body = hsa.envelope("2207", input)
        raw = json.dumps(body, ensure_ascii=False, default=_json_default).encode("utf-8")
        headers = {"content-type": "application/json", **sign_headers(hsa.code, hsa.secret, raw)}
        sent = Sent(body["msgid"], input, raw, headers)
        with self.lock:
            self.sent.append(sent)
        response = hsa._http.post("/api/hsa/2207", content=raw, headers=headers)
        record(sent, response)


def record(sent: Sent, response: httpx.Response) -> None:
    if response.status_code != 200:
        sent.outcome, sent.message = "unanswered", f"HTTP {response.status_code}"
        return
    answer = response.json()
    if answer.get("infcode") == 0:
        sent.outcome, sent.setl_id = "acked", answer["output"]["setlinfo"]["setl_id"]
    else:
        sent.outcome, sent.message = "refused", answer.get("err_msg", "")


def _group_members(group: int) -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                raw = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(raw[raw.rindex(")") + 2:].split()[2]) == group:
                found.append(f"{entry} {raw[raw.rindex(')') + 2]}")
    return found
