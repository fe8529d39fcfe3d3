"""Background jobs of the core app (Huey)."""

from huey.contrib.djhuey import db_task


@db_task()
def run_import_task(job_id: int, tenant_id: int) -> None:
    from .imports import run_in_tenant

    run_in_tenant(job_id, tenant_id)
