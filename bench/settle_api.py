"""Settlements per second through the institution API (HTTP, signed), against pgbench on the same server.

    .venv/bin/python bench/settle_api.py            # a few minutes, stops by itself
    .venv/bin/python bench/settle_api.py --workers 1 --baseline-ref d1ec7d4   # and the baseline, step by step

Loopback only. Creates a throw-away PostgreSQL database on 127.0.0.1:5432, loads a region (residents,
four institutions with secrets, a catalogue), starts `tongchou serve` on 127.0.0.1 as a subprocess,
then offers increasing loads: at each step flows start at a fixed rate (open loop) for --step-seconds,
half outpatient (2201 → 2204 → 2207), half inpatient (2401 → 2301 → 2304 with dscgTime), from a pool of
client threads. The load is as cheap as it can be: every body is built before the load, and in the loop
only the msgid and mdtrt_id are filled in, the call signed and posted over a keep-alive `http.client`
connection (the answer is checked for infcode 0 and its mdtrt_id found without parsing it). A settlement is a completed
2207 or 2304 (infcode 0); its latency is that call's. The result is the highest step whose
settlement p99 stays under --p99-ms with at least 90 % of the offered settlements completed.
Each step also reports the cores used by the load (this process), the service (the server's process
group) and PostgreSQL, read from /proc; for the best step, the CPU per settlement of each and the
ceiling of the two cores with the load here and with the load on another machine, and the statements
per settlement (the workers count their own, `store.counting`) and the transactions (pg_stat_database).
With `--baseline-ref REF` a second server runs REF's code (a git worktree, its own database migrated and
loaded by that code) and each load is offered to the baseline and to this checkout in turn.
Then `pgbench -i` on a separate scratch database and `pgbench -c 8 -j 2 -T 20` (TPC-B) measure
the same server. Both databases are dropped at the end. The last line is:

    settle_api: settlements_per_s=X p50_ms=Y p99_ms=Z pgbench_tps=T ratio=X/T
"""

from __future__ import annotations

import argparse
import datetime as dt
import base64
import http.client
import json
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

from tongchou.api.signing import sign_headers
from tongchou.store import counting
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


ENVELOPE = {"mdtrtarea_admvs": "371525", "insuplc_admdvs": "371525", "recer_sys_code": "YBXT", "dev_no": "",
            "dev_safe_info": "", "cainfo": "", "signtype": "", "infver": "V1.0", "opter_type": "1", "opter": "0001",
            "opter_name": "接口", "inf_time": f"{DAY} 12:00:00", "sign_no": ""}
MSGID, MDTRT = "@MSGID@", "@MDTRT@"  # filled in the loop: the msgid, and the mdtrt_id 2201/2401 answered


def _body(code: str, infno: str, input: dict) -> bytes:
    envelope = {"infno": infno, "msgid": MSGID, **ENVELOPE, "fixmedins_code": code, "fixmedins_name": code,
                "input": input}
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def flow_bodies(code: str, psn_no: str, inpatient: bool) -> tuple[bytes, bytes, bytes]:
    """The three bodies of a person's flow, built ahead of the load: only the msgid and the mdtrt_id change."""
    if not inpatient:
        return (_body(code, "2201", {"data": {
                    "psn_no": psn_no, "insutype": "390", "begntime": f"{DAY} 09:00:00", "mdtrt_cert_type": "02",
                    "mdtrt_cert_no": id_number(psn_no), "ipt_otp_no": "OP", "atddr_no": "DR1", "dr_name": "医生",
                    "dept_code": "D1", "dept_name": "内科", "caty": "A03"}}),
                _body(code, "2204", {"feedetail": [_fee("1", MDTRT, psn_no, "T000002", "80.00", "B1"),
                                                   _fee("2", MDTRT, psn_no, "T000001", "20.00", "B1")]}),
                _body(code, "2207", {"data": {
                    "psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": id_number(psn_no), "med_type": "11",
                    "medfee_sumamt": "100.00", "psn_setlway": "01", "mdtrt_id": MDTRT, "chrg_bchno": "B1",
                    "acct_used_flag": "0", "insutype": "390"}}))
    return (_body(code, "2401", {"mdtrtinfo": {
                "psn_no": psn_no, "insutype": "390", "begntime": "2018-06-10 08:00:00", "mdtrt_cert_type": "02",
                "mdtrt_cert_no": id_number(psn_no), "med_type": "21", "ipt_no": "IP", "atddr_no": "DR1",
                "chfpdr_name": "医生", "adm_diag_dscr": "肺炎", "adm_dept_codg": "D2", "adm_dept_name": "呼吸科",
                "adm_bed": "1", "dscg_maindiag_code": "J18.9", "dscg_maindiag_name": "肺炎"}, "diseinfo": []}),
            _body(code, "2301", {"feedetail": [_fee("1", MDTRT, psn_no, "T000002", "3000.00", None),
                                               _fee("2", MDTRT, psn_no, "T000001", "500.00", None)]}),
            _body(code, "2304", {"data": {
                "psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": id_number(psn_no),
                "medfee_sumamt": "3500.00", "psn_setlway": "01", "mdtrt_id": MDTRT, "insutype": "390",
                "acct_used_flag": "0", "mid_setl_flag": "0", "dscgTime": DAY}}))


class Light:
    """The load's client: one keep-alive `http.client` connection per client thread, a msgid per call from one
    counter, and in the loop only the msgid and mdtrt_id filled in, the signature and the post."""

    def __init__(self, port: int):
        self.port = port
        self.local = threading.local()
        self.sequence = itertools.count(1)
        self.lock = threading.Lock()

    def post(self, code: str, secret: str, infno: str, template: bytes, mdtrt_id: bytes = b"") -> bytes:
        with self.lock:
            n = next(self.sequence)
        body = template.replace(b"@MSGID@", f"{code}{n:018d}".encode(), 1)
        if mdtrt_id:
            body = body.replace(b"@MDTRT@", mdtrt_id)
        headers = sign_headers(code, secret, body)
        headers["content-type"] = "application/json"
        connection = getattr(self.local, "connection", None)
        for attempt in (1, 2):
            if connection is None:
                connection = self.local.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                connection.request("POST", f"/api/hsa/{infno}", body, headers)
                answer = connection.getresponse().read()
                break
            except (http.client.HTTPException, OSError):
                connection.close()
                connection = self.local.connection = None
                if attempt == 2:
                    raise
        if b'"infcode":0,' not in answer and not answer.startswith(b'{"infcode":0'):
            raise RuntimeError(answer[:300].decode("utf-8", "replace"))
        return answer


_MDTRT_ID = re.compile(rb'"mdtrt_id":"([^"]+)"')


def run_flow(light: Light, code: str, secret: str, bodies: tuple[bytes, bytes, bytes], inpatient: bool) -> float:
    first = light.post(code, secret, "2401" if inpatient else "2201", bodies[0])
    mdtrt_id = _MDTRT_ID.search(first).group(1)
    light.post(code, secret, "2301" if inpatient else "2204", bodies[1], mdtrt_id)
    started = time.perf_counter()
    light.post(code, secret, "2304" if inpatient else "2207", bodies[2], mdtrt_id)
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
    statements: int | None = None  # statements the service sent (its own count, TONGCHOU_STATEMENT_COUNTS)
    transactions: int = 0  # transactions PostgreSQL committed or rolled back in the database (pg_stat_database)

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


@dataclass
class Target:
    """A server under load: its process group, database, statement-count directory and the flows' bodies."""

    name: str
    server: subprocess.Popen
    url: str
    counts: Path | None
    light: Light
    bodies: dict[tuple[int, int], tuple[bytes, bytes, bytes]]  # (institution, person) → the flow's three bodies


def xacts(url: str) -> int:
    name = make_url(url).database
    admin = create_engine(pg_server_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            return int(connection.execute(text("SELECT xact_commit + xact_rollback FROM pg_stat_database "
                                               "WHERE datname = :name"), {"name": name}).scalar() or 0)
    finally:
        admin.dispose()


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


SHARED = ("walwriter", "checkpointer", "background writer", "autovacuum launcher", "logical replication launcher",
          "archiver", "startup")


def _title(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def cpu_by_part(server_group: int, database: str) -> dict[str, float]:
    """CPU seconds so far of the load (this process), the service (its process group), the PostgreSQL backends
    of the bench's database, and the server's shared processes (WAL writer, checkpointer, … and the postmaster:
    they work for every database on the shared server). Backends of other databases — other people's tests on
    the shared server — are left out."""
    parts = {"client": 0.0, "service": 0.0, "postgres": 0.0, "pg_shared": 0.0}
    for pid, command, group, seconds in _proc_stats():
        if pid == os.getpid():
            parts["client"] += seconds
        elif group == server_group:
            parts["service"] += seconds
        elif command.startswith("postgres"):
            title = _title(pid)
            rest = title.removeprefix("postgres: ")
            if rest == title:
                parts["pg_shared"] += seconds  # the postmaster
            elif database in rest.split()[:3]:
                parts["postgres"] += seconds  # a backend (or autovacuum worker) of the bench's database
            elif rest.startswith(SHARED):
                parts["pg_shared"] += seconds
    return parts


def run_step(target: Target, offered: float, seconds: float, persons: int, pool: cf.ThreadPoolExecutor,
             counter: itertools.count) -> Step:
    step = Step(offered, seconds)
    server_group = target.server.pid
    statements_before = counting.read_total(target.counts) if target.counts else None
    xacts_before = xacts(target.url)
    database = make_url(target.url).database
    before = cpu_by_part(server_group, database)
    lock = threading.Lock()

    def flow(n: int) -> None:
        institution = n % len(INSTITUTIONS)
        code, secret = INSTITUTIONS[institution]
        person = (n * 7919) % persons
        try:
            latency = run_flow(target.light, code, secret, target.bodies[(institution, person)], n % 2 == 1)
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
        target_time = started + i * interval
        delay = target_time - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        futures.append(pool.submit(flow, next(counter)))
    cf.wait(futures, timeout=seconds + 30)
    step.elapsed = max(time.perf_counter() - started, seconds)
    after = cpu_by_part(server_group, database)
    step.cpu = {part: (after[part] - before[part]) / step.elapsed for part in after}
    step.transactions = xacts(target.url) - xacts_before
    if target.counts:
        time.sleep(0.6)  # the workers write their counts every half second
        step.statements = counting.read_total(target.counts) - statements_before
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

def start_server(url: str, port: int, workers: int, policies: Path, source: Path | None = None,
                 counts: Path | None = None) -> subprocess.Popen:
    """`tongchou serve` of this checkout, or of `source` (another checkout's src, for the baseline)."""
    env = {**os.environ, "TONGCHOU_DATA_KEY": DATA_KEY, "TONGCHOU_API_RATE": "0",
           "TONGCHOU_API_POOL": os.environ.get("TONGCHOU_API_POOL", "6")}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    if counts is not None:
        env[counting.ENV] = str(counts)
    command = [str(Path(sys.executable).parent / "tongchou"), "serve", "--db", url, "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--policy-dir", str(policies)]
    log = tempfile.NamedTemporaryFile(prefix="tongchou-bench-serve-", suffix=".log", delete=False)
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log,  # a file: never a full pipe
                              start_new_session=True)
    deadline = time.monotonic() + 180  # a busy shared machine: importing and migrating can take a minute
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.3)
        if server.poll() is not None:
            raise RuntimeError(f"tongchou serve exited: {Path(log.name).read_text()[-2000:]}")
    raise RuntimeError(f"tongchou serve did not start within 180 s: {Path(log.name).read_text()[-2000:]}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


_BASELINE_SETUP = """
import base64, sys
from tongchou.region.fixture import load_fixture, parse_fixture
from tongchou.store.crypto import DataCipher
from tongchou.store.testing import create_pg_database
from tongchou.store.uow import Store
url = create_pg_database("tongchou_bench_base")
store = Store.open(url)
load_fixture(store, parse_fixture(open(sys.argv[1], encoding="utf-8").read()),
             cipher=DataCipher(base64.b64decode(sys.argv[2])))
store.close()
print(url)
"""


def baseline_checkout(ref: str) -> Path:
    """A detached `git worktree` of `ref` in a temporary directory (removed at the end)."""
    root = Path(__file__).resolve().parent.parent
    where = Path(tempfile.mkdtemp(prefix="tongchou-bench-baseline-"))
    subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", str(where), ref], check=True,
                   capture_output=True)
    return where


def baseline_database(checkout: Path, persons: int) -> str:
    """The bench's region in a new database migrated and loaded by the baseline's own code."""
    fixture = checkout / "bench-region.yaml"
    fixture.write_text(region(persons), encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", _BASELINE_SETUP, str(fixture), DATA_KEY], check=True,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(checkout / "src")})
    return done.stdout.strip().splitlines()[-1]


def all_bodies(persons: int) -> dict[tuple[int, int], tuple[bytes, bytes, bytes]]:
    """Every flow's bodies, built before the load (a flow n is institution n % 4, person n·7919 mod persons,
    inpatient when n is odd: each (institution, person) pair always takes the same kind of flow)."""
    bodies = {}
    for n in range(len(INSTITUTIONS) * persons * 2):
        key = (n % len(INSTITUTIONS), (n * 7919) % persons)
        if key not in bodies:
            bodies[key] = flow_bodies(INSTITUTIONS[key[0]][0], f"B{key[1]:05d}", n % 2 == 1)
    return bodies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--threads", type=int, default=48, help="client threads")
    parser.add_argument("--step-seconds", type=float, default=10.0)
    parser.add_argument("--loads", default="10,20,30,40,50,60,70,80,90,100,120,140,160,180,200,240,280,320",
                        help="offered settlements per second, in increasing order")
    parser.add_argument("--p99-ms", type=float, default=100.0)
    parser.add_argument("--pgbench-seconds", type=int, default=20)
    parser.add_argument("--baseline-ref", default=None,
                        help="also serve this git ref (a worktree of it, its own database) and offer each load "
                             "to it and to this checkout in turn, so both are measured in the same window")
    parser.add_argument("--profile-load", type=float, default=None,
                        help="record the service with py-spy (--py-spy) during the step of this offered load")
    parser.add_argument("--py-spy", default="py-spy", help="the py-spy executable (pip install py-spy)")
    args = parser.parse_args()

    url = create_pg_database("tongchou_bench_api")
    policies = Path(tempfile.mkdtemp(prefix="tongchou-bench-policies-"))
    shutil.copy(default_policy_dir() / "guanxian-2018-resident.yaml", policies)
    counts = Path(tempfile.mkdtemp(prefix="tongchou-bench-counts-"))
    checkout = baseline_checkout(args.baseline_ref) if args.baseline_ref else None
    base_url = None
    targets: list[Target] = []
    series: dict[str, list[Step]] = {}
    try:
        store = Store.open(url)
        load_fixture(store, parse_fixture(region(args.persons)), cipher=_cipher())
        store.close()
        bodies = all_bodies(args.persons)
        if checkout is not None:
            base_url = baseline_database(checkout, args.persons)
            port = free_port()
            base_policies = checkout / "bench-policies"  # the baseline's own policy, as its code reads it
            base_policies.mkdir()
            shutil.copy(checkout / "policies" / "guanxian-2018-resident.yaml", base_policies)
            server = start_server(base_url, port, args.workers, base_policies, source=checkout / "src")
            targets.append(Target(f"baseline {args.baseline_ref}", server, base_url, None, Light(port), bodies))
        port = free_port()
        server = start_server(url, port, args.workers, policies, counts=counts)
        targets.append(Target("this checkout", server, url, counts, Light(port), bodies))
        counter = itertools.count()
        with cf.ThreadPoolExecutor(max_workers=args.threads) as pool:
            for target in targets:
                run_step(target, 10, 8, args.persons, pool, counter)  # warm-up: caches, connections
            live = list(targets)
            for offered in (float(x) for x in args.loads.split(",")):
                for target in list(live):
                    spy = (start_profile(args.py_spy, target, args.step_seconds)
                           if args.profile_load == offered else None)
                    step = run_step(target, offered, args.step_seconds, args.persons, pool, counter)
                    if spy is not None:
                        print(finish_profile(spy, target), flush=True)
                    series.setdefault(target.name, []).append(step)
                    print(f"[{target.name}] offered {offered:6.1f}/s: completed {step.rate:6.1f}/s "
                          f"p50 {step.percentile(0.5):6.1f} ms p99 {step.percentile(0.99):7.1f} ms "
                          f"errors {step.errors}  cores: " + " ".join(f"{part} {used:.2f}"
                                                                     for part, used in step.cpu.items())
                          + f"  per settlement: {_per(step)}; cpu ms: "
                          + " ".join(f"{part} {used / step.rate * 1000:.1f}" for part, used in step.cpu.items()
                                     if step.rate), flush=True)
                    if step.percentile(0.5) > args.p99_ms or step.errors > step.offered * step.seconds * 0.1:
                        live.remove(target)  # past saturation
                if not live:
                    break
        for target in targets:
            stop_server(target.server)
        targets = []
        for name, checked in ((f"baseline {args.baseline_ref}", base_url), ("this checkout", url)):
            if checked is None:
                continue
            check = Store.open(checked)
            report = verify(check)
            check.close()
            print(f"[{name}] ledger verify {'OK' if report.ok else 'FAILED'}", flush=True)
        tps = pgbench_tps(args.pgbench_seconds)
    finally:
        for target in targets:
            stop_server(target.server)
        drop_pg_database(url)
        if base_url:
            drop_pg_database(base_url)
        if checkout is not None:
            subprocess.run(["git", "-C", str(Path(__file__).resolve().parent.parent), "worktree", "remove",
                            "--force", str(checkout)], capture_output=True)
        shutil.rmtree(policies, ignore_errors=True)
        shutil.rmtree(counts, ignore_errors=True)

    result = ""
    for name, steps in series.items():
        good = [s for s in steps if s.percentile(0.99) < args.p99_ms and s.completed >= 0.9 * s.offered * s.seconds]
        best = max(good, key=lambda s: s.rate) if good else None
        rate = best.rate if best else 0.0
        p50 = best.percentile(0.5) if best else float("nan")
        p99 = best.percentile(0.99) if best else float("nan")
        if best:
            print(f"[{name}] best step {best.offered:.0f}/s: {cpu_budget(best)}; {_per(best)}", flush=True)
        result = (f"settle_api: settlements_per_s={rate:.1f} p50_ms={p50:.1f} p99_ms={p99:.1f} "
                  f"pgbench_tps={tps:.1f} ratio={rate / tps if tps else float('nan'):.3f}")
        if name != "this checkout":
            print(f"[{name}] {result}", flush=True)
    print(result)


PARTS = (("SQLAlchemy", "sqlalchemy/"), ("psycopg", ("psycopg/", "psycopg_pool/")), ("pydantic", "pydantic"),
         ("uvicorn/HTTP", ("uvicorn/", "httptools/", "h11/")), ("starlette/anyio", ("starlette/", "anyio/")),
         ("asyncio", "asyncio/"), ("json", "json/"), ("cryptography", "cryptography/"),
         ("adjudication", ("tongchou/settlement/", "tongchou/accumulators")), ("supervision", "tongchou/supervision/"),
         ("ledger", "tongchou/ledger/"), ("visits", "tongchou/visits/"), ("api", "tongchou/api/"))


def start_profile(py_spy: str, target: Target, seconds: float) -> tuple[subprocess.Popen, Path]:
    """py-spy on the server's processes for one step (raw collapsed stacks, with idle threads left out)."""
    out = Path(tempfile.mkdtemp(prefix="tongchou-bench-spy-")) / "stacks.txt"
    spy = subprocess.Popen([py_spy, "record", "--pid", str(target.server.pid), "--subprocesses", "--format", "raw",
                            "--rate", "200", "--duration", str(int(seconds)), "--output", str(out), "--nonblocking"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return spy, out


def finish_profile(spy: tuple[subprocess.Popen, Path], target: Target) -> str:
    """The share of the busy samples whose stack passes through each part (inclusive: they overlap)."""
    process, out = spy
    process.wait(timeout=60)
    samples: dict[str, int] = {name: 0 for name, _ in PARTS}
    total = 0
    for line in out.read_text().splitlines() if out.exists() else []:
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        for name, marks in PARTS:
            if any(mark in stack for mark in ((marks,) if isinstance(marks, str) else marks)):
                samples[name] += n
    leaves: dict[str, int] = {}
    for line in out.read_text().splitlines() if out.exists() else []:
        stack, _, count = line.rpartition(" ")
        leaf = stack.rsplit(";", 1)[-1]
        leaves[leaf] = leaves.get(leaf, 0) + int(count)
    kept = Path(tempfile.gettempdir()) / f"tongchou-bench-stacks-{target.server.pid}.txt"
    if out.exists():
        shutil.copy(out, kept)
    shutil.rmtree(out.parent, ignore_errors=True)
    print(f"[{target.name}] stacks kept in {kept}; hottest frames (self): " + "; ".join(
        f"{leaf} {100 * n / max(total, 1):.1f} %" for leaf, n in sorted(leaves.items(), key=lambda x: -x[1])[:12]))
    if not total:
        return f"[{target.name}] profile: no samples"
    return (f"[{target.name}] profile ({total} busy samples; a sample counts for every part on its stack): "
            + ", ".join(f"{name} {100 * n / total:.0f} %" for name, n in samples.items()))


def _per(step: Step) -> str:
    """Statements (the service's own count) and transactions (PostgreSQL's) per settlement."""
    if not step.completed:
        return "no settlement"
    statements = f"{step.statements / step.completed:.1f}" if step.statements is not None else "n/a"
    return f"statements {statements}, transactions {step.transactions / step.completed:.1f}"


def cpu_budget(step: Step) -> str:
    """CPU per settlement (a whole flow of three calls) by part, and the CPU-bound ceiling of the machine's two
    cores with the load here and with the load on another machine (the shared PostgreSQL processes counted in,
    though other people's databases use them too)."""
    per = {part: used / step.rate * 1000 for part, used in step.cpu.items()}
    served = per["service"] + per["postgres"] + per["pg_shared"]
    return (f"cpu per settlement: client {per['client']:.1f} ms, service {per['service']:.1f} ms, "
            f"postgres {per['postgres']:.1f} ms (+ shared {per['pg_shared']:.1f} ms); two cores' ceiling "
            f"{2000 / (served + per['client']):.0f}/s with the load here, {2000 / served:.0f}/s with the load on "
            "another machine")


def _cipher() -> DataCipher:
    return DataCipher(base64.b64decode(DATA_KEY))


if __name__ == "__main__":
    main()
