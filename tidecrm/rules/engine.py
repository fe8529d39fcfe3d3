"""Run the rules that are due (GEN-08): ``run_due(now=...)`` over every active enterprise.

Apps register set-based, idempotent runners (``register``): each takes ``now`` inside a bound
tenant and answers how many records it changed. ``manage.py run_rules`` and the Huey schedule
both call :func:`run_due`, so a rule behaves the same by hand and on the timer.
"""

from collections.abc import Callable, Iterable
from datetime import datetime

from django.db import transaction

from tidecrm.core import clock, hooks, logs
from tidecrm.core.models import Tenant
from tidecrm.core.tenancy import tenant_context

# runner(now=...) -> how many records it changed, inside a bound tenant
Runner = Callable[..., int]


def register(name: str, runner: Runner) -> None:
    """Register a set-based, idempotent rule runner (at start-up): ``core.hooks.RULES``."""
    hooks.register(hooks.RULES, runner, key=name)


def run_due(
    *, now: datetime | None = None, tenant_ids: Iterable[int] | None = None
) -> dict[int, dict[str, int]]:
    """Run every registered rule for each active enterprise as of ``now``; return the counts."""
    now = now or clock.now()
    tenants = Tenant.objects.filter(status=Tenant.Status.ACTIVE).order_by("pk")
    if tenant_ids:
        tenants = tenants.filter(pk__in=tenant_ids)
    results: dict[int, dict[str, int]] = {}
    with clock.frozen(now):
        for tenant in tenants:
            with tenant_context(tenant):
                for name, runner in hooks.keyed(hooks.RULES).items():
                    with logs.job(f"rule:{name}") as outcome, transaction.atomic():
                        changed = runner(now=now)
                        outcome["changed"] = changed
                    if changed:
                        results.setdefault(tenant.pk, {})[name] = changed
    return results
