"""The rules on Huey's clock: every 30 minutes (auto-flow needs ≤ 30 min, FLOW-04)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*/30"))
def run_rules_task() -> None:
    from tidecrm.core import logs

    from .engine import run_due

    with logs.job("rules") as outcome:
        outcome["tenants_changed"] = len(run_due())
