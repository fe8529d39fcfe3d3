"""Benchmark over HTTP (issue 13): the product as ``make run`` serves it, beside the machine's ceiling.

Starts the cached PostgreSQL cluster of bench/customer_list.py (1,000,000 customers, 5,000
employees in 300 departments; generated on first use) and adds the sales data at the sizes the
issues name (300,000 leads, 300,000 opportunities, 100,000 contracts; the customer bench already
wrote ~670,000 follow-ups). Then it serves the product with gunicorn and the settings of
gunicorn.conf.py (what bin/serve uses; DEBUG off, access log on, as in production), serves the
bare-Django ceiling view (bench/ceiling.py) with the same settings, and drives both with wrk at 1
and 8 connections. It prints one table — case, c, req/s, p50, p95, errors, ratio to the ceiling
at the same c — and writes it as JSON to bench/results/http-<time>.json.

    make bench                                   # bench/run: this, then the in-process benchmarks
    .venv/bin/python bench/over_http.py --duration 10 --cases api_mine,page_customers_all
    .venv/bin/python bench/over_http.py --workers 4 --threads 1   # try another worker model

Targets (ratio to the ceiling at c = 8): API lists and searches >= 25 %, detail >= 40 %, claim
and follow-up create >= 20 %, HTML pages and drawers >= 15 % with p95 <= 60 ms at c = 1. The
fixed cost of an authenticated call is the /me case's time per request at c = 1 minus the
ceiling's.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from customer_list import CITIES, ENTERPRISE, prewarm, start_cached_cluster  # noqa: E402

TARGETS = {"api": 0.25, "search": 0.25, "detail": 0.40, "write": 0.20, "page": 0.15}
PAGE_P95_MS = 60.0

# ---------------------------------------------------------------- sales data (set-based SQL)


def generate_sales(tenant, leads=300_000, opportunities=300_000, contracts=100_000):
    """Leads, opportunities and contracts for the bench enterprise, once (skipped when present)."""
    from django.db import connection, transaction

    from tidecrm.core.tenancy import tenant_context
    from tidecrm.leads.models import Lead
    from tidecrm.org.models import Employee
    from tidecrm.sales import defaults as sales_config

    with tenant_context(tenant):
        if Lead.objects.exists():
            contracts_if_missing(tenant, contracts)
            return
        started = time.perf_counter()
        owners = list(
            Employee.objects.exclude(pk=tenant.owner_id).order_by("pk").values_list("pk", flat=True)
        )
        stages = [s.pk for s in sales_config.stages()]
    t = tenant.pk
    with transaction.atomic(), connection.cursor() as cursor:
        # Leads: 70 % owned (status pending/callback), 20 % waiting for allocation, 10 % in the pool.
        cursor.execute(
            """INSERT INTO leads_lead (tenant_id, phone, name, company_name, company_key, qq, email, wechat,
                   source, remark, tag_ids, state, status, recycled, owner_id, previous_owner_id,
                   created_by_id, created_at, updated_at, allocated_at, released_at)
               SELECT %(t)s, '15' || lpad(((i * 2654435761::bigint) %% 1000000000)::text, 9, '0'),
                      (ARRAY['王','李','张','刘','陈'])[1 + i %% 5] || '先生',
                      (%(cities)s::text[])[1 + i %% 30] || '线索' || i || '有限公司',
                      lower((%(cities)s::text[])[1 + i %% 30] || '线索' || i), '', '', '',
                      (ARRAY['官网','展会','转介绍','电话营销','广告'])[1 + i %% 5], '', '[]'::jsonb,
                      CASE WHEN i %% 10 < 7 THEN 'owned' WHEN i %% 10 < 9 THEN 'unallocated' ELSE 'pool' END,
                      CASE WHEN i %% 10 < 7 THEN (ARRAY['pending','callback'])[1 + i %% 2] ELSE '' END,
                      false,
                      CASE WHEN i %% 10 < 7 THEN o END, CASE WHEN i %% 10 = 9 THEN o END, o, ts, ts,
                      CASE WHEN i %% 10 < 7 THEN ts END, CASE WHEN i %% 10 = 9 THEN ts END
               FROM (SELECT i, (%(owners)s::bigint[])[1 + ((i * 40503) %% %(n)s)] AS o,
                            now() - interval '730 days' * (1 - i::float8 / %(leads)s) AS ts
                     FROM generate_series(1::bigint, %(leads)s) i) g""",
            {"t": t, "cities": CITIES, "owners": owners, "n": len(owners), "leads": leads},
        )
        # Opportunities on owned customers (every third), owned by the customer's owner.
        cursor.execute(
            """INSERT INTO sales_opportunity (tenant_id, name, customer_id, owner_id, stage_id, amount, status,
                   expected_close_date, closed_on, note, lose_reason, created_by_id, created_at, updated_at)
               SELECT c.tenant_id, c.name || ' 采购项目', c.id, c.owner_id,
                      (%(stages)s::bigint[])[1 + c.id %% %(ns)s], (10000 + (c.id * 37) %% 490000)::numeric,
                      CASE WHEN c.id %% 9 = 1 THEN 'won' WHEN c.id %% 9 = 4 THEN 'lost' ELSE 'open' END,
                      (c.created_at + interval '60 days')::date,
                      CASE WHEN c.id %% 9 IN (1, 4) THEN (c.created_at + interval '30 days')::date END,
                      '', '', c.owner_id, c.created_at + interval '1 day', c.created_at + interval '1 day'
               FROM customers_customer c
               WHERE c.tenant_id = %(t)s AND c.state = 'owned' AND c.id %% 3 = 1
               ORDER BY c.id LIMIT %(limit)s""",
            {"t": t, "stages": stages, "ns": len(stages), "limit": opportunities},
        )
    contracts_if_missing(tenant, contracts)
    connection.set_autocommit(True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE leads_lead")
        cursor.execute("VACUUM ANALYZE sales_opportunity")
        cursor.execute("VACUUM ANALYZE sales_contract")
    print(f"sales data generated in {time.perf_counter() - started:.0f}s")


def contracts_if_missing(tenant, contracts):
    """Contracts on won opportunities (a ninth of them won, a ninth lost), mostly approved."""
    from django.db import connection, transaction

    t = tenant.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sales_contract WHERE tenant_id = %s LIMIT 1", [t])
        if cursor.fetchone():
            return
    with transaction.atomic(), connection.cursor() as cursor:
        # Data generated before the won/lost split matched the opportunities' customers.
        cursor.execute(
            """UPDATE sales_opportunity SET
                   status = CASE WHEN customer_id %% 9 = 1 THEN 'won' WHEN customer_id %% 9 = 4 THEN 'lost' ELSE 'open' END,
                   closed_on = CASE WHEN customer_id %% 9 IN (1, 4) THEN (created_at + interval '30 days')::date END
               WHERE tenant_id = %s AND NOT EXISTS (
                   SELECT 1 FROM sales_opportunity w WHERE w.tenant_id = %s AND w.status = 'won')""",
            [t, t],
        )
        # Contracts on won opportunities, mostly approved.
        cursor.execute(
            """INSERT INTO sales_contract (tenant_id, number, title, customer_id, opportunity_id, owner_id, amount,
                       signed_on, start_on, end_on, status, received_amount, invoiced_amount, remark,
                       created_by_id, created_at, updated_at)
                   SELECT o.tenant_id, 'HT' || lpad(o.id::text, 10, '0'), o.name || ' 合同', o.customer_id, o.id,
                          o.owner_id, o.amount, o.closed_on, o.closed_on, o.closed_on + 365,
                          CASE WHEN o.id %% 10 = 0 THEN 'pending_approval' ELSE 'approved' END,
                          CASE WHEN o.id %% 2 = 0 THEN o.amount ELSE 0 END, 0, '',
                          o.owner_id, o.created_at + interval '30 days', o.created_at + interval '30 days'
                   FROM sales_opportunity o WHERE o.tenant_id = %(t)s AND o.status = 'won'
                   ORDER BY o.id LIMIT %(limit)s""",
            {"t": t, "limit": contracts},
        )
    connection.set_autocommit(True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE sales_opportunity")
        cursor.execute("VACUUM ANALYZE sales_contract")


# ---------------------------------------------------------------- the callers and the cases


@dataclass
class Case:
    name: str
    kind: str  # api | search | detail | write | page | probe | ceiling
    who: str  # admin | rep | manager | none
    requests: list  # (method, path, body) tuples, dealt round-robin
    server: str = "product"
    note: str = ""
    results: dict = field(default_factory=dict)


def prepare(tenant, claim_pool):
    """Tokens and sessions for three callers, sample ids, and pool customers to claim."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection

    from tidecrm.accounts.sessions import (
        SESSION_ACCOUNT,
        SESSION_AUTH_HASH,
        SESSION_EMPLOYEE,
        SESSION_SUDO,
        auth_hash,
    )
    from tidecrm.core import clock
    from tidecrm.core.tenancy import tenant_context
    from tidecrm.customers.models import Customer
    from tidecrm.org.models import Department, Employee
    from tidecrm.signin.services import token_create

    with tenant_context(tenant):
        admin = Employee.objects.select_related("account").get(pk=tenant.owner_id)
        manager_id = Department.objects.filter(depth=2).order_by("pk").values_list("head_id", flat=True)[0]
        manager = Employee.objects.select_related("account").get(pk=manager_id)
        heads = set(Department.objects.values_list("head_id", flat=True))
        rep = (
            Employee.objects.select_related("account")
            .exclude(pk__in=heads | {admin.pk})
            .order_by("pk")[300:301]
            .get()
        )
        people = {"admin": admin, "manager": manager, "rep": rep}
        auth = {}
        for key, person in people.items():
            _row, raw = token_create(actor=person, name="bench", lifetime_days=1)
            session = SessionStore()
            session[SESSION_ACCOUNT] = person.account_id
            session[SESSION_EMPLOYEE] = person.pk
            session[SESSION_AUTH_HASH] = auth_hash(person.account)
            session[SESSION_SUDO] = clock.now().isoformat()  # 组织架构 asks for sudo
            session.create()
            auth[key] = {
                "token": raw,
                "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
                "name": person.name,
            }
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM customers_customer TABLESAMPLE SYSTEM (1) REPEATABLE (7) "
                "WHERE tenant_id = %s AND state = 'owned' AND id %% 97 <> 5 LIMIT 500",
                [tenant.pk],
            )
            sample = [r[0] for r in cursor.fetchall()]
            # Customers to claim: owned ones moved to the pool before each run (put_back()).
            cursor.execute(
                "SELECT id FROM customers_customer WHERE tenant_id = %s AND state = 'owned' "
                "AND id %% 97 = 5 ORDER BY id LIMIT %s",
                [tenant.pk, claim_pool],
            )
            claimable = [r[0] for r in cursor.fetchall()]
            cursor.execute(
                "SELECT id FROM sales_opportunity WHERE tenant_id = %s ORDER BY id DESC LIMIT 1", [tenant.pk]
            )
        mobiles = list(
            Customer.objects.filter(pk__in=sample[:100]).values_list("contacts__mobile", flat=True)
        )
    return people, auth, sample, claimable, [m for m in mobiles if m]


def put_back(tenant, ids):
    """Return the claim case's customers to the pool (as if released), so each run claims anew."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customer SET state = 'pool', previous_owner_id = coalesce(owner_id, previous_owner_id), "
            "owner_id = NULL, released_at = now() - interval '30 days' WHERE tenant_id = %s AND id = ANY(%s)",
            [tenant.pk, ids],
        )


def claimed(tenant, ids, employee):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM customers_customer WHERE tenant_id = %s AND id = ANY(%s) AND owner_id = %s",
            [tenant.pk, ids, employee.pk],
        )
        return cursor.fetchone()[0]


def build_cases(sample, claimable, mobiles):
    get = lambda paths: [("GET", p, "") for p in paths]  # noqa: E731
    cust = sample[:200]
    brands = ["华通", "信源", "恒丰", "泰美", "瑞安"]
    cases = [
        Case("ceiling", "ceiling", "none", get(["/ceiling"]), server="ceiling"),
        Case("api_me (fixed cost)", "probe", "rep", get(["/api/v1/me"])),
        Case("api_customers_mine", "api", "rep", get(["/api/v1/customers?scope=mine&page_size=20"])),
        Case("api_customers_team", "api", "manager", get(["/api/v1/customers?scope=team&page_size=20"])),
        Case("api_customers_all", "api", "admin", get(["/api/v1/customers?scope=all&page_size=20"])),
        Case("api_customers_pool", "api", "admin", get(["/api/v1/customers?state=pool&page_size=20"])),
        Case(
            "api_search_city",
            "search",
            "admin",
            get(
                [f"/api/v1/customers?scope=all&page_size=20&q={urllib.request.quote(c)}" for c in CITIES[:10]]
            ),
            note="two characters, ~33k matches",
        ),
        Case(
            "api_search_brand",
            "search",
            "admin",
            get([f"/api/v1/customers?scope=all&page_size=20&q={urllib.request.quote(b)}" for b in brands]),
        ),
        Case(
            "api_search_last4",
            "search",
            "admin",
            get([f"/api/v1/customers?scope=all&page_size=20&q={m[-4:]}" for m in mobiles[:50]]),
        ),
        Case("api_customer_detail", "detail", "admin", get([f"/api/v1/customers/{i}" for i in cust])),
        Case("api_leads_mine", "api", "rep", get(["/api/v1/leads?state=owned&page_size=20"])),
        Case("api_leads_unallocated", "api", "admin", get(["/api/v1/leads?state=unallocated&page_size=20"])),
        Case("api_leads_pool", "api", "admin", get(["/api/v1/leads?state=pool&page_size=20"])),
        Case("api_opportunities", "api", "admin", get(["/api/v1/opportunities?page_size=20"])),
        Case("api_contracts", "api", "admin", get(["/api/v1/contracts?page_size=20"])),
        Case(
            "api_claim",
            "write",
            "rep",
            [("POST", "/api/v1/customers/claim", json.dumps({"ids": [i]})) for i in claimable],
        ),
        Case(
            "api_followup_create",
            "write",
            "admin",
            [
                (
                    "POST",
                    f"/api/v1/customers/{i}/followups",
                    json.dumps(
                        {"content": "电话沟通，客户对报价有兴趣", "method": "call"}, ensure_ascii=False
                    ),
                )
                for i in cust
            ],
        ),
        Case("page_customers_all", "page", "admin", get(["/customers/v/all/"])),
        Case("page_customers_mine", "page", "rep", get(["/customers/v/mine/"])),
        Case(
            "page_customers_manager",
            "page",
            "manager",
            get(["/customers/v/all/"]),
            note="全部客户 in a manager's scope",
        ),
        Case("page_customers_pool", "page", "admin", get(["/customers/v/pool/"])),
        Case("page_leads_mine", "page", "rep", get(["/leads/"])),
        Case("page_leads_pending", "page", "admin", get(["/leads/pending/"])),
        Case("page_opportunities", "page", "admin", get(["/sales/opportunities/"])),
        Case("page_opportunity_board", "page", "admin", get(["/sales/opportunities/board/"])),
        Case("page_contracts", "page", "admin", get(["/sales/contracts/"])),
        Case("page_customer_drawer", "page", "admin", get([f"/customers/{i}/drawer/" for i in cust])),
        Case("page_customer_detail", "page", "admin", get([f"/customers/{i}/" for i in cust])),
        Case("page_org", "page", "admin", get(["/org/"])),
    ]
    return cases


# ---------------------------------------------------------------- servers and wrk

LUA = r"""
local lines, n, i = {}, 0, 0
local headers = {}
function init(args)
  for line in io.lines(args[1]) do
    local m, p, b = line:match("^(%u+)\t([^\t]*)\t?(.*)$")
    n = n + 1
    lines[n] = {m, p, b}
  end
  i = tonumber(args[3]) or 0
  headers["Accept"] = "application/json, text/html"
  local kind, value = args[2]:match("^(%a+)=(.*)$")
  if kind == "token" then headers["Authorization"] = "Bearer " .. value end
  if kind == "cookie" then headers["Cookie"] = value end
end
function setup(thread)
  counter = (counter or 0) + 1
  thread:set("thread_no", counter)
end
function request()
  i = i + 1
  local idx = ((i - 1) * (threads_total or 1) + (thread_no or 1) - 1) % n + 1
  local l = lines[idx]
  local h = {}
  for k, v in pairs(headers) do h[k] = v end
  if l[1] ~= "GET" then h["Content-Type"] = "application/json" end
  return wrk.format(l[1], l[2], h, l[3] ~= "" and l[3] or nil)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '@@{"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, '
    .. '"max_us": %d, "status_errors": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(app, env, log_dir, name, extra=()):
    port = free_port()
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        app,
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        str(log_dir / f"{name}-access.log"),
        "--error-logfile",
        str(log_dir / f"{name}-error.log"),
        *extra,
    ]
    with open(log_dir / f"{name}-output.log", "ab") as output:  # the app's own log lines
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, start_new_session=True, stdout=output, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except urllib.error.HTTPError:
            break  # it answers (404 or 200): up
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        sys.exit(f"{name}: gunicorn did not start (see {log_dir / (name + '-error.log')})")
    return process, base


def describe_server(env):
    """The worker model gunicorn.conf.py gives under ``env`` (its values read as gunicorn would)."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        conf = {}
        exec((ROOT / "gunicorn.conf.py").read_text(), conf)  # noqa: S102 - our own config file
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return f"gunicorn {conf['worker_class']} {conf['workers']} workers x {conf['threads']} threads, keepalive {conf['keepalive']} s"


def stop_server(process):
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def worker_pids(process):
    out = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def preflight(base, case, auth):
    """One request of the case, to show its answer's status and size (and fail early)."""
    method, path, body = case.requests[0]
    request = urllib.request.Request(base + path, method=method, data=body.encode() if body else None)
    if case.kind == "page":
        request.add_header("Cookie", auth["cookie"])
    elif case.who != "none":
        request.add_header("Authorization", "Bearer " + auth["token"])
        if body:
            request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, len(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, len(error.read())


def run_wrk(base, case, auth, connections, duration, workdir, offset=0):
    lines = workdir / f"{case.name.split()[0]}.tsv"
    lines.write_text("".join(f"{m}\t{p}\t{b}\n" for m, p, b in case.requests), encoding="utf-8")
    script = workdir / "cases.lua"
    script.write_text(LUA.replace("(threads_total or 1)", str(min(2, connections))), encoding="utf-8")
    if case.who == "none":
        credential = "none="
    elif case.kind == "page":
        credential = "cookie=" + auth["cookie"]
    else:
        credential = "token=" + auth["token"]
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        base + "/",
        "--",
        str(lines),
        credential,
        str(offset),
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    data = json.loads(out.split("@@", 1)[1])
    seconds = data["duration_us"] / 1e6
    return {
        "rps": data["requests"] / seconds,
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "errors": data["status_errors"] + data["socket_errors"],
        "requests": data["requests"],
        "kb_per_answer": data["bytes"] / max(1, data["requests"]) / 1024,
    }


def measure_export(base, auth, workers, path):
    """One export over HTTP: rows/s and the serving worker's peak memory growth."""

    def peaks():
        out = {}
        for pid in workers:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out[pid] = int(line.split()[1])
        return out

    before = peaks()
    request = urllib.request.Request(base + path)
    request.add_header("Authorization", "Bearer " + auth["token"])
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as answer:
        size = len(answer.read())
    seconds = time.perf_counter() - started
    after = peaks()
    growth = max((after.get(pid, 0) - before.get(pid, 0)) for pid in after) / 1024
    return seconds, size, growth


# ---------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=8, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per case")
    parser.add_argument("--repeat", type=int, default=1, help="measurements per case and c (median kept)")
    parser.add_argument("--connections", default="1,8")
    parser.add_argument("--cases", default="", help="comma-separated name prefixes (the ceiling always runs)")
    parser.add_argument("--workers", type=int, default=None, help="override gunicorn.conf.py (WEB_WORKERS)")
    parser.add_argument("--threads", type=int, default=None, help="override gunicorn.conf.py (WEB_THREADS)")
    parser.add_argument(
        "--keepalive", type=int, default=None, help="override gunicorn.conf.py (WEB_KEEPALIVE)"
    )
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--label", default="", help="a word for the result file's name")
    args = parser.parse_args()

    if subprocess.run(["which", "wrk"], capture_output=True).returncode:
        sys.exit("wrk is missing: bench/run installs it (apt-get install wrk)")
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        url = start_cached_cluster(ROOT / "var" / "bench" / "customer-pg", False)
    elif not url.startswith("postgres"):
        sys.exit("this benchmark needs PostgreSQL")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidecrm.settings")
    os.environ["VAR_DIR"] = str(ROOT / "var" / "bench")
    os.environ["HUEY_IMMEDIATE"] = "1"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tidecrm.core.models import Tenant

    call_command("migrate", verbosity=0)
    if not Tenant.objects.filter(name=ENTERPRISE).exists():
        import customer_list

        customer_list.generate(argparse.Namespace(customers=1_000_000, employees=5_000))
    tenant = Tenant.objects.get(name=ENTERPRISE)
    generate_sales(tenant)
    connections = [int(c) for c in args.connections.split(",")]
    claim_pool = 4000 * args.repeat
    people, auth, sample, claimable, mobiles = prepare(tenant, claim_pool)
    prewarm(connection)
    cases = build_cases(sample, claimable, mobiles)
    if args.cases:
        wanted = args.cases.split(",")
        cases = [c for c in cases if c.kind == "ceiling" or any(c.name.startswith(w) for w in wanted)]
    connection.close()

    env = dict(os.environ)
    env.pop("DEBUG", None)
    env.update({"DEBUG": "0", "CEILING_TENANT": str(tenant.pk), "HUEY_IMMEDIATE": "0"})
    for key, value in (
        ("WEB_WORKERS", args.workers),
        ("WEB_THREADS", args.threads),
        ("WEB_KEEPALIVE", args.keepalive),
    ):
        if value is not None:
            env[key] = str(value)
    log_dir = ROOT / "var" / "bench" / "http"
    log_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        env=env,
        cwd=ROOT,
        check=True,
    )
    product, product_base = start_server("tidecrm.wsgi:application", env, log_dir, "product")
    ceiling, ceiling_base = start_server(
        "ceiling:application", env, log_dir, "ceiling", ["--pythonpath", "bench"]
    )
    model = describe_server(env)
    print(f"server: {model}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    table = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            ceiling_rps = {}
            for case in cases:
                base = ceiling_base if case.server == "ceiling" else product_base
                who = auth.get(case.who, {"token": "", "cookie": ""})
                status, size = preflight(base, case, who) if case.kind != "write" else (None, None)
                if status is not None and status >= 400:
                    print(f"!! {case.name}: preflight answered {status}; skipped")
                    continue
                if args.warmup:
                    if case.name == "api_claim":
                        put_back(tenant, claimable)
                    run_wrk(base, case, who, max(connections), args.warmup, workdir, offset=10_000)
                for c in connections:
                    runs = []
                    for r in range(args.repeat):
                        if case.name == "api_claim":
                            put_back(tenant, claimable)
                        result = run_wrk(base, case, who, c, args.duration, workdir, offset=r * 1000)
                        if case.name == "api_claim":  # a refused claim answers 200 with `failed`
                            result["errors"] += max(
                                0, result["requests"] - claimed(tenant, claimable, people["rep"])
                            )
                        runs.append(result)
                    runs.sort(key=lambda x: x["rps"])
                    result = runs[len(runs) // 2]
                    if case.kind == "ceiling":
                        ceiling_rps[c] = result["rps"]
                    result["ratio"] = result["rps"] / ceiling_rps[c] if ceiling_rps.get(c) else None
                    row = {"case": case.name, "kind": case.kind, "c": c, **result}
                    if status is not None:
                        row["answer_kb"] = round(size / 1024, 1)
                    table.append(row)
                    print(format_row(row), flush=True)
            exports = []
            if not args.no_export:
                workers = worker_pids(product)
                for label, path in (
                    (
                        "customers q=北京 (~33k rows)",
                        "/api/v1/customers/export?scope=all&q=" + urllib.request.quote("北京"),
                    ),
                    ("customers scope=team (~53k rows)", "/api/v1/customers/export?scope=team"),
                ):
                    who = auth["manager"] if "team" in label else auth["admin"]
                    seconds, size, growth = measure_export(product_base, who, workers, path)
                    rows = _export_rows(label)
                    exports.append(
                        {"export": label, "seconds": seconds, "bytes": size, "worker_peak_growth_mb": growth}
                    )
                    print(
                        f"export {label}: {seconds:.1f} s, {size / 1024 / 1024:.1f} MB file, ~{rows / seconds:,.0f} rows/s, worker peak memory +{growth:.0f} MB"
                    )
    finally:
        stop_server(product)
        stop_server(ceiling)
    summarise(table, ceiling_rps, connections)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = ROOT / "bench" / "results" / f"http-{stamp}{'-' + args.label if args.label else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "server": model,
                "duration_s": args.duration,
                "repeat": args.repeat,
                "cases": table,
                "exports": exports,
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    print(f"written to {out.relative_to(ROOT)}")


def _export_rows(label):
    return 33_333 if "北京" in label else 53_000


def format_row(row):
    ratio = f"{row['ratio'] * 100:5.1f} %" if row.get("ratio") is not None else "   —   "
    return (
        f"{row['case']:<26} c={row['c']:<2} {row['rps']:8.1f} req/s  p50 {row['p50_ms']:7.1f} ms  "
        f"p95 {row['p95_ms']:7.1f} ms  errors {row['errors']:<4} {ratio}  {verdict(row)}"
    )


def verdict(row):
    if row["kind"] in ("ceiling", "probe"):
        return ""
    bits = []
    if row["c"] == 8 and row.get("ratio") is not None:
        bits.append("ok" if row["ratio"] >= TARGETS[row["kind"]] else f"< {TARGETS[row['kind']] * 100:.0f} %")
    if row["kind"] == "page" and row["c"] == 1:
        bits.append("p95 ok" if row["p95_ms"] <= PAGE_P95_MS else f"p95 > {PAGE_P95_MS:.0f} ms")
    return " ".join(bits)


def summarise(table, ceiling_rps, connections):
    print("\n| case | c | req/s | p50 ms | p95 ms | errors | × ceiling | target |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in table:
        ratio = f"{row['ratio'] * 100:.1f} %" if row.get("ratio") is not None else "—"
        print(
            f"| {row['case']} | {row['c']} | {row['rps']:.1f} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} "
            f"| {row['errors']} | {ratio} | {verdict(row)} |"
        )
    me = {r["c"]: r for r in table if r["kind"] == "probe"}
    if 1 in me and 1 in ceiling_rps:
        fixed = 1000 / me[1]["rps"] - 1000 / ceiling_rps[1]
        print(f"\nfixed cost of an authenticated API call (GET /me at c=1 minus the ceiling): {fixed:.1f} ms")


if __name__ == "__main__":
    main()
