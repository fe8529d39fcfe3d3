"""Benchmark: the fixed cost of an authenticated API call, in process (issue 13).

Every request runs through Django's full handler (django.test.Client: every middleware, the URL
resolver, ninja's auth, parsing and rendering) against PostgreSQL, with a Bearer token as an
integration would send it. A bare case -- a plain view doing one indexed SELECT, no middleware --
is the floor: target, the authenticated call costs at most 3 ms more than the bare one.

    scripts/with-postgres .venv/bin/python bench/request_cost.py              # 20k customers, 5k employees
    scripts/with-postgres .venv/bin/python bench/request_cost.py --profile team   # + cProfile top 30

Data comes from bench/customer_list.py's generator (5,000 employees in 300 departments, the
department heads are 销售经理 over their subtree). Cases run interleaved (one request of each per
round) so the machine's load drifts over all of them alike. Prints mean / p50 per case and the
queries per request; --profile CASE prints a cProfile of that case by cumulative time.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BARE_CUSTOMER_ID = [0]  # the bare view's row, set once the data exists


def bare_view(request):
    """The floor: one indexed SELECT and a small JSON answer, nothing else."""
    from django.db import connection
    from django.http import JsonResponse

    with connection.cursor() as cursor:
        cursor.execute("SELECT id, name FROM customers_customer WHERE id = %s", [BARE_CUSTOMER_ID[0]])
        pk, name = cursor.fetchone()
    return JsonResponse({"id": pk, "name": name})


def _urlpatterns():
    from django.urls import path

    return [path("bare", bare_view)]


class QueryCounter:
    """execute_wrapper that counts the statements (and keeps them, for --trace)."""

    def __init__(self):
        self.statements = []

    @property
    def count(self):
        return len(self.statements)

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append(((time.perf_counter() - started) * 1000, sql))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--employees", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--cases", default="", help="comma-separated subset of the cases")
    parser.add_argument("--trace", action="store_true", help="print the statements of one request per case")
    parser.add_argument("--profile", default="", help="cProfile this case (top 30 by cumulative time)")
    parser.add_argument("--sort", default="cumulative", help="the profile's order (cumulative, tottime)")
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("run it under scripts/with-postgres (needs PostgreSQL in $DATABASE_URL)")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidecrm.settings")
    os.environ["HUEY_IMMEDIATE"] = "1"
    os.environ.setdefault("TIDECRM_LOG_LEVEL", "WARNING")  # no login line per token
    os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench-request-cost"))

    import django

    django.setup()
    urlpatterns.extend(_urlpatterns())
    from customer_list import ENTERPRISE, generate
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from tidecrm.core.models import Tenant
    from tidecrm.core.tenancy import tenant_context
    from tidecrm.customers.models import Customer
    from tidecrm.org.models import Department, Employee
    from tidecrm.signin.services import token_create

    call_command("migrate", verbosity=0)
    if not Tenant.objects.filter(name=ENTERPRISE).exists():
        generate(SimpleNamespace(customers=args.customers, employees=args.employees))
    tenant = Tenant.objects.get(name=ENTERPRISE)
    with tenant_context(tenant):
        level2 = Department.objects.filter(depth=2).order_by("pk").first()
        manager = Employee.objects.select_related("tenant").get(pk=level2.head_id)
        heads = set(Department.objects.exclude(head=None).values_list("head_id", flat=True))
        salesperson = (
            Employee.objects.select_related("tenant")
            .exclude(pk__in=heads | {tenant.owner_id})
            .filter(main_department__path__startswith=level2.path)
            .order_by("pk")
            .first()
        )
        team_customer = (
            Customer.objects.filter(owner=salesperson, state="owned")
            .order_by("pk")
            .values_list("pk", flat=True)
        ).first()
        BARE_CUSTOMER_ID[0] = team_customer
        tokens = {
            who.pk: token_create(actor=who, name="bench request_cost")[1] for who in (manager, salesperson)
        }
        team_size = Customer.objects.filter(owner__main_department__path__startswith=level2.path).count()
    print(
        f"shape: {Employee.unscoped.filter(tenant=tenant).count():,} employees, "
        f"{Customer.unscoped.filter(tenant=tenant).count():,} customers; manager's subtree holds "
        f"{team_size:,}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )

    def client(who):
        return Client(HTTP_AUTHORIZATION=f"Bearer {tokens[who.pk]}")

    rep, boss = client(salesperson), client(manager)
    bare = Client()
    bare_settings = override_settings(MIDDLEWARE=[], ROOT_URLCONF=__name__)

    def bare_call():
        with bare_settings:
            return bare.get("/bare")

    cases = {
        "bare": bare_call,
        "me": lambda: rep.get("/api/v1/me"),
        "mine": lambda: rep.get("/api/v1/customers", {"scope": "mine", "page_size": 20}),
        "team": lambda: boss.get("/api/v1/customers", {"scope": "team", "page_size": 20}),
        "detail": lambda: boss.get(f"/api/v1/customers/{team_customer}"),
    }
    selected = args.cases.split(",") if args.cases else list(cases)
    queries = {}
    for name in selected:  # warm-up, and a check that each answers 200
        for _ in range(10):
            response = cases[name]()
        assert response.status_code == 200, (name, response.status_code, response.content[:300])
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            cases[name]()
        queries[name] = counter.count
        if args.trace:
            print(f"--- {name}: {counter.count} statements")
            for elapsed, sql in counter.statements:
                print(f"    {elapsed:6.2f} ms  {sql[:200]}")

    timings = {name: [] for name in selected}
    cpu = dict.fromkeys(selected, 0.0)  # this process's CPU: less moved by the machine's load
    for _ in range(args.runs):
        for name in selected:
            started, started_cpu = time.perf_counter(), time.process_time()
            cases[name]()
            timings[name].append((time.perf_counter() - started) * 1000)
            cpu[name] += time.process_time() - started_cpu
    floor = statistics.median(timings["bare"]) if "bare" in timings else 0.0
    for name in selected:
        values = timings[name]
        p50 = statistics.median(values)
        print(
            f"{name:<8} mean {statistics.fmean(values):6.2f} ms   p50 {p50:6.2f} ms   "
            f"(+{p50 - floor:5.2f} over bare)   cpu {cpu[name] * 1000 / args.runs:5.2f} ms   "
            f"{queries[name]:2d} queries   {args.runs} runs"
        )

    if args.profile:
        call = cases[args.profile]
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.runs):
            call()
        profile.disable()
        print(f"\n--- cProfile of {args.profile}, {args.runs} requests")
        pstats.Stats(profile).sort_stats(args.sort).print_stats(30)


urlpatterns: list = []  # the bare view's route (filled in main, once Django is set up)

if __name__ == "__main__":
    main()
