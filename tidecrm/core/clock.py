"""The one source of "now" (DESIGN: Clock).

Rules and tests run "as of" any moment with :func:`frozen` (or ``run_rules --now``).
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.utils import timezone

_frozen_at: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("frozen_at", default=None)
_offset = [timedelta(0)]


def now() -> datetime:
    """Return the current aware datetime (UTC), honouring a frozen or shifted clock."""
    frozen = _frozen_at.get()
    if frozen is not None:
        return frozen
    return timezone.now() + _offset[0]


@contextmanager
def frozen(moment: datetime) -> Iterator[datetime]:
    """Make :func:`now` return ``moment`` inside the block."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    token = _frozen_at.set(moment)
    try:
        yield moment
    finally:
        _frozen_at.reset(token)


@contextmanager
def shifted(delta: timedelta) -> Iterator[None]:
    """Move :func:`now` forward by ``delta`` inside the block (whole process; tests only)."""
    _offset[0] += delta
    try:
        yield
    finally:
        _offset[0] -= delta


def today() -> date:
    """Today's date in the current time zone (dates on contracts, payments, close dates)."""
    return timezone.localdate(now())
