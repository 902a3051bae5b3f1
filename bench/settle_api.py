"""Settlements per second through the institution API (HTTP, signed), against pgbench on the same server.

    .venv/bin/python bench/settle_api.py            # about 3 minutes, stops by itself

Loopback only. Creates a throw-away PostgreSQL database on 127.0.0.1:5432, loads a region (residents,
four institutions with secrets, a catalogue), starts `tongchou serve` on 127.0.0.1 as a subprocess,
then offers increasing loads: at each step flows start at a fixed rate (open loop) for --step-seconds,
half outpatient (2201 → 2204 → 2207), half inpatient (2401 → 2301 → 2304 with dscgTime), each call
signed by `tongchou.client.HsaClient` from a pool of client threads. A settlement is a completed
2207 or 2304 (infcode 0); its latency is that call's. The result is the highest step whose
settlement p99 stays under --p99-ms with at least 90 % of the offered settlements completed.
Each step also reports the cores used by the load (this process), the service (the server's process
group) and PostgreSQL, read from /proc; for the best step, the CPU per settlement of each and the
ceiling of the two cores with the load here and with the load on another machine.
Then `pgbench -i` on a separate scratch database and `pgbench -c 8 -j 2 -T 20` (TPC-B) measure
the same server. Both databases are dropped at the end. The last line is:

    settle_api: settlements_per_s=X p50_ms=Y p99_ms=Z pgbench_tps=T ratio=X/T
"""

from __future__ import annotations

import argparse
import datetime as dt
import base64
import concurrent.futures as cf
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tongchou.client import HsaClient
from tongchou.ledger.service import verify
from tongchou.persons.rules import check_character
from tongchou.policy.registry import default_policy_dir
from tongchou.store.crypto import DataCipher
from tongchou.region.fixture import load_fixture, parse_fixture
from tongchou.store.testing import create_pg_database, drop_pg_database, pg_server_url
from tongchou.store.uow import Store

DATA_KEY = "dG9uZ2Nob3UtYmVuY2gtYXBpLXRocm93YXdheS1rZXk="  # 32 bytes, for the throw-away database only
INSTITUTIONS = [(f"H3715250000{i}", f"bench-secret-{i}") for i in range(1, 5)]
DAY = "2018-06-15"


def id_number(psn_no: str) -> str:
    """The synthetic ID number of a bench person, unique, with a valid GB 11643 check character (2201/2401 need a
    certificate of the person, docs/api.md): a thousand persons born on each day from 1990-01-01."""
    n = int(psn_no[1:])
    born = dt.date(1990, 1, 1) + dt.timedelta(days=n // 1000)
    first17 = f"371525{born:%Y%m%d}{n % 1000:03d}"
    return first17 + check_character(first17)


def region(persons: int) -> str:
    rows = "\n".join(f"  - {{psn_no: B{i:05d}, id_number: '{id_number(f'B{i:05d}')}', name: 参保人{i}, "
                     "county: '371525', psn_type: '1501', "
                     f"enrolments: [{{insutype: '390', from: '2018-01-01', to: '2018-12-31'}}]}}" for i in range(persons))
    institutions = "\n".join(f"  - {{code: {code}, name: 医院{i}, hosp_lv: 2, admin_tier: county, county: '371525', "
                             f"secret: {secret}}}" for i, (code, secret) in enumerate(INSTITUTIONS))
    return ("region: {admdvs: '371525', name: 冠县}\n"
            f"institutions:\n{institutions}\n"
            "catalogue:\n  - {code: T000002, name: 甲类药品, category: A}\n"
            "  - {code: T000001, name: 乙类药品, category: B, selfpay_prop: '0.10'}\n"
            f"persons:\n{rows}\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- flows

def _fee(sn: str, mdtrt_id: str, psn_no: str, code: str, amount: str, batch: str | None) -> dict:
    line = {"feedetl_sn": sn, "mdtrt_id": mdtrt_id, "psn_no": psn_no, "fee_ocur_time": f"{DAY} 10:00:00",
            "med_list_codg": code, "medins_list_codg": code, "det_item_fee_sumamt": amount, "cnt": "1",
            "pric": amount, "bilg_dept_codg": "D1", "bilg_dept_name": "内科", "bilg_dr_codg": "DR1",
            "bilg_dr_name": "医生", "hosp_appr_flag": "1"}
    if batch:
        line.update(chrg_bchno=batch, rx_circ_flag="0")
    else:
        line["med_type"] = "21"
    return line


def _check(answer: dict) -> dict:
    if answer.get("infcode") != 0:
        raise RuntimeError(f"{answer.get('_status')} {answer.get('err_msg')}")
    return answer["output"]


def outpatient(hsa: HsaClient, psn_no: str) -> float:
    out = _check(hsa.call("2201", {"data": {
        "psn_no": psn_no, "insutype": "390", "begntime": f"{DAY} 09:00:00", "mdtrt_cert_type": "02",
        "mdtrt_cert_no": id_number(psn_no), "ipt_otp_no": "OP", "atddr_no": "DR1", "dr_name": "医生", "dept_code": "D1",
        "dept_name": "内科", "caty": "A03"}}))
    mdtrt_id = out["data"]["mdtrt_id"]
    _check(hsa.call("2204", {"feedetail": [_fee("1", mdtrt_id, psn_no, "T000002", "80.00", "B1"),
                                           _fee("2", mdtrt_id, psn_no, "T000001", "20.00", "B1")]}))
    started = time.perf_counter()
    _check(hsa.call("2207", {"data": {
        "psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": id_number(psn_no), "med_type": "11",
        "medfee_sumamt": "100.00", "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "B1",
        "acct_used_flag": "0", "insutype": "390"}}))
    return time.perf_counter() - started


def inpatient(hsa: HsaClient, psn_no: str) -> float:
    out = _check(hsa.call("2401", {"mdtrtinfo": {
        "psn_no": psn_no, "insutype": "390", "begntime": "2018-06-10 08:00:00", "mdtrt_cert_type": "02",
        "mdtrt_cert_no": id_number(psn_no), "med_type": "21", "ipt_no": "IP", "atddr_no": "DR1", "chfpdr_name": "医生",
        "adm_diag_dscr": "肺炎", "adm_dept_codg": "D2", "adm_dept_name": "呼吸科", "adm_bed": "1",
        "dscg_maindiag_code": "J18.9", "dscg_maindiag_name": "肺炎"}, "diseinfo": []}))
    mdtrt_id = out["result"]["mdtrt_id"]
    _check(hsa.call("2301", {"feedetail": [_fee("1", mdtrt_id, psn_no, "T000002", "3000.00", None),
                                           _fee("2", mdtrt_id, psn_no, "T000001", "500.00", None)]}))
    started = time.perf_counter()
    _check(hsa.call("2304", {"data": {
        "psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": id_number(psn_no), "medfee_sumamt": "3500.00",
        "psn_setlway": "01", "mdtrt_id": mdtrt_id, "insutype": "390", "acct_used_flag": "0", "mid_setl_flag": "0",
        "dscgTime": DAY}}))
    return time.perf_counter() - started


# ---------------------------------------------------------------- load steps

@dataclass
class Step:
    offered: float
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    late: int = 0
    elapsed: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # cores used by the client, the service, PostgreSQL

    @property
    def completed(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.completed / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("inf")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


class Clients:
    """One HsaClient per institution, shared by the client threads (one msgid sequence each)."""

    def __init__(self, base_url: str, threads: int):
        limits = httpx.Limits(max_connections=threads, max_keepalive_connections=threads)
        self.clients = [HsaClient(base_url, code, secret, admdvs="371525",
                                  http=httpx.Client(base_url=base_url, timeout=30, limits=limits))
                        for code, secret in INSTITUTIONS]

    def get(self, index: int) -> HsaClient:
        return self.clients[index]


# ---------------------------------------------------------------- where the two cores went

TICKS = os.sysconf("SC_CLK_TCK")


def _proc_stats() -> list[tuple[int, str, int, float]]:
    """(pid, command, process group, CPU seconds) of every process."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        command = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        found.append((int(entry), command, int(fields[2]), (int(fields[11]) + int(fields[12])) / TICKS))
    return found


def cpu_by_part(server_group: int) -> dict[str, float]:
    """CPU seconds so far of the load (this process), the service (its process group) and PostgreSQL."""
    parts = {"client": 0.0, "service": 0.0, "postgres": 0.0}
    for pid, command, group, seconds in _proc_stats():
        if pid == os.getpid():
            parts["client"] += seconds
        elif group == server_group:
            parts["service"] += seconds
        elif command.startswith("postgres"):
            parts["postgres"] += seconds
    return parts


def run_step(clients: Clients, offered: float, seconds: float, persons: int, pool: cf.ThreadPoolExecutor,
             counter: itertools.count, server_group: int) -> Step:
    step = Step(offered, seconds)
    before = cpu_by_part(server_group)
    lock = threading.Lock()

    def flow(n: int) -> None:
        hsa = clients.get(n % len(INSTITUTIONS))
        psn_no = f"B{(n * 7919) % persons:05d}"
        try:
            latency = (outpatient if n % 2 == 0 else inpatient)(hsa, psn_no)
        except Exception as exc:  # noqa: BLE001 — counted, the step goes on
            with lock:
                step.errors += 1
                if step.errors <= 3:
                    print(f"  error: {exc}"[:300], flush=True)
            return
        with lock:
            step.latencies.append(latency)

    interval = 1.0 / offered
    started = time.perf_counter()
    futures = []
    for i in range(int(offered * seconds)):
        target = started + i * interval
        delay = target - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        futures.append(pool.submit(flow, next(counter)))
    cf.wait(futures, timeout=seconds + 30)
    step.elapsed = max(time.perf_counter() - started, seconds)
    after = cpu_by_part(server_group)
    step.cpu = {part: (after[part] - before[part]) / step.elapsed for part in after}
    return step


# ---------------------------------------------------------------- pgbench

def pgbench_tps(seconds: int) -> float:
    binary = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
    server = make_url(pg_server_url())
    name = f"tongchou_pgbench_{os.getpid()}"
    admin = create_engine(pg_server_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    args = ["-h", server.host or "127.0.0.1", "-p", str(server.port or 5432), "-U", server.username or "postgres"]
    try:
        subprocess.run([binary, *args, "-i", "-q", name], check=True, capture_output=True, timeout=300)
        done = subprocess.run([binary, *args, "-c", "8", "-j", "2", "-T", str(seconds), name], check=True,
                              capture_output=True, text=True, timeout=seconds + 120)
        match = re.search(r"tps = ([\d.]+)", done.stdout)
        return float(match.group(1)) if match else float("nan")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ---------------------------------------------------------------- main

def start_server(url: str, port: int, workers: int, policies: Path) -> subprocess.Popen:
    env = {**os.environ, "TONGCHOU_DATA_KEY": DATA_KEY, "TONGCHOU_API_RATE": "0",
           "TONGCHOU_API_POOL": os.environ.get("TONGCHOU_API_POOL", "6")}
    command = [str(Path(sys.executable).parent / "tongchou"), "serve", "--db", url, "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--policy-dir", str(policies)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.3)
        if server.poll() is not None:
            raise RuntimeError(f"tongchou serve exited: {server.stderr.read().decode()[-2000:]}")
    raise RuntimeError("tongchou serve did not start within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--threads", type=int, default=48, help="client threads")
    parser.add_argument("--step-seconds", type=float, default=10.0)
    parser.add_argument("--loads", default="10,20,30,40,50,60,70,80,90,100",
                        help="offered settlements per second, in increasing order")
    parser.add_argument("--p99-ms", type=float, default=100.0)
    parser.add_argument("--pgbench-seconds", type=int, default=20)
    args = parser.parse_args()

    url = create_pg_database("tongchou_bench_api")
    policies = Path(tempfile.mkdtemp(prefix="tongchou-bench-policies-"))
    shutil.copy(default_policy_dir() / "guanxian-2018-resident.yaml", policies)
    server = None
    steps: list[Step] = []
    try:
        store = Store.open(url)
        load_fixture(store, parse_fixture(region(args.persons)), cipher=_cipher())
        store.close()
        port = free_port()
        server = start_server(url, port, args.workers, policies)
        clients = Clients(f"http://127.0.0.1:{port}", args.threads)
        counter = itertools.count()
        with cf.ThreadPoolExecutor(max_workers=args.threads) as pool:
            run_step(clients, 10, 8, args.persons, pool, counter, server.pid)  # warm-up: caches, connections
            for offered in (float(x) for x in args.loads.split(",")):
                step = run_step(clients, offered, args.step_seconds, args.persons, pool, counter, server.pid)
                steps.append(step)
                print(f"offered {offered:6.1f}/s: completed {step.rate:6.1f}/s p50 {step.percentile(0.5):6.1f} ms "
                      f"p99 {step.percentile(0.99):7.1f} ms errors {step.errors}  cores: "
                      + " ".join(f"{part} {used:.2f}" for part, used in step.cpu.items()), flush=True)
                if step.percentile(0.5) > args.p99_ms or step.errors > step.offered * step.seconds * 0.1:
                    break  # past saturation
        stop_server(server)
        server = None
        check = Store.open(url)
        report = verify(check)
        check.close()
        print(f"ledger verify {'OK' if report.ok else 'FAILED'}", flush=True)
        tps = pgbench_tps(args.pgbench_seconds)
    finally:
        if server is not None:
            stop_server(server)
        drop_pg_database(url)
        shutil.rmtree(policies, ignore_errors=True)

    good = [s for s in steps if s.percentile(0.99) < args.p99_ms and s.completed >= 0.9 * s.offered * s.seconds]
    best = max(good, key=lambda s: s.rate) if good else None
    rate = best.rate if best else 0.0
    p50 = best.percentile(0.5) if best else float("nan")
    p99 = best.percentile(0.99) if best else float("nan")
    if best:
        print(cpu_budget(best), flush=True)
    print(f"settle_api: settlements_per_s={rate:.1f} p50_ms={p50:.1f} p99_ms={p99:.1f} pgbench_tps={tps:.1f} "
          f"ratio={rate / tps if tps else float('nan'):.3f}")


def cpu_budget(step: Step) -> str:
    """CPU per settlement (a whole flow of three calls) by part, and the CPU-bound ceiling of the machine's two
    cores with the load here and with the load on another machine."""
    per = {part: used / step.rate * 1000 for part, used in step.cpu.items()}
    served = per["service"] + per["postgres"]
    return (f"cpu per settlement: client {per['client']:.1f} ms, service {per['service']:.1f} ms, "
            f"postgres {per['postgres']:.1f} ms; two cores' ceiling {2000 / (served + per['client']):.0f}/s "
            f"with the load here, {2000 / served:.0f}/s with the load on another machine")


def _cipher() -> DataCipher:
    return DataCipher(base64.b64decode(DATA_KEY))


if __name__ == "__main__":
    main()
