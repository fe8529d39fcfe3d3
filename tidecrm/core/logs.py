"""Log lines that say for whom they were written, at the boundaries where work enters or leaves.

:class:`ContextFilter` (on the console handler of ``settings.LOGGING``) gives every record the
ids of the bound tenant and acting employee (``core.tenancy``; ``-`` when none), so the format can
show ``tenant=7 employee=42`` on each line. A record that already carries them (``extra=``, e.g. a
login naming the employee it let in before anyone is bound) keeps its own.

The named loggers, one per boundary:

- ``tidecrm.jobs``: a background job starts, finishes or fails (:func:`job`);
- ``tidecrm.imports``: an import is queued, runs, finishes with its counts, or fails;
- ``tidecrm.providers``: each outbound provider call, its provider, outcome and duration
  (:func:`provider_call`);
- ``tidecrm.login``: a login succeeds, fails or is throttled; an API token is issued or revoked.

Never log a password, a code, a token, a message text or a full phone number: pass phones
through :func:`tidecrm.core.normalize.mask_phone`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .tenancy import get_current_employee, get_current_tenant

jobs = logging.getLogger("tidecrm.jobs")
imports = logging.getLogger("tidecrm.imports")
providers = logging.getLogger("tidecrm.providers")
login = logging.getLogger("tidecrm.login")

NONE = "-"


class ContextFilter(logging.Filter):
    """Add ``tenant`` and ``employee`` (ids, ``-`` when none) to every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "tenant"):
            tenant = get_current_tenant()
            record.tenant = tenant.pk if tenant is not None else NONE
        if not hasattr(record, "employee"):
            employee = get_current_employee()
            record.employee = employee.pk if employee is not None else NONE
        return True


def who(employee: Any) -> dict[str, Any]:
    """``extra=`` naming ``employee`` and its tenant, for a line written before they are bound."""
    return {"tenant": employee.tenant_id, "employee": employee.pk}


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


@contextmanager
def job(name: str, **fields: Any) -> Iterator[dict[str, Any]]:
    """Log a job's start, then its finish with its duration, or its failure (and re-raise).

    ``fields`` (ids and counts only) go on each line; the block may add to the yielded dict
    (``outcome["status"] = "failed"``) what the finish line should report.
    """
    described = " ".join(f"{key}={value}" for key, value in fields.items())
    jobs.info("job %s started %s", name, described)
    started = time.monotonic()
    outcome: dict[str, Any] = {}
    try:
        yield outcome
    except Exception as error:
        jobs.exception(
            "job %s failed %s error=%s ms=%d", name, described, type(error).__name__, _elapsed_ms(started)
        )
        raise
    reported = " ".join(f"{key}={value}" for key, value in outcome.items())
    jobs.info("job %s finished %s %s ms=%d", name, described, reported, _elapsed_ms(started))


@contextmanager
def provider_call(kind: str, provider: str, operation: str, *, target: str = "") -> Iterator[None]:
    """Log one outbound call to a provider (SMS, telephony, WeCom ...): outcome and duration.

    ``target`` must already be masked (a phone through ``mask_phone``); never pass the payload.
    A failure is logged with the error's class only: its text may echo the request.
    """
    started = time.monotonic()
    try:
        yield
    except Exception as error:
        providers.warning(
            "%s %s via %s failed target=%s error=%s ms=%d",
            kind,
            operation,
            provider,
            target or NONE,
            type(error).__name__,
            _elapsed_ms(started),
        )
        raise
    providers.info(
        "%s %s via %s ok target=%s ms=%d", kind, operation, provider, target or NONE, _elapsed_ms(started)
    )
