"""The one source of "now" (DESIGN: Clock).

Rules and tests run "as of" any moment with :func:`frozen` (or ``run_rules --now``).
"""

import contextvars
from contextlib import contextmanager
from datetime import timedelta

from django.utils import timezone

_frozen_at = contextvars.ContextVar("frozen_at", default=None)
_offset = [timedelta(0)]


def now():
    """Return the current aware datetime (UTC), honouring a frozen or shifted clock."""
    frozen = _frozen_at.get()
    if frozen is not None:
        return frozen
    return timezone.now() + _offset[0]


@contextmanager
def frozen(moment):
    """Make :func:`now` return ``moment`` inside the block."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    token = _frozen_at.set(moment)
    try:
        yield moment
    finally:
        _frozen_at.reset(token)


@contextmanager
def shifted(delta):
    """Move :func:`now` forward by ``delta`` inside the block (whole process; tests only)."""
    _offset[0] += delta
    try:
        yield
    finally:
        _offset[0] -= delta


def today():
    """Today's date in the current time zone (dates on contracts, payments, close dates)."""
    from django.utils import timezone

    return timezone.localdate(now())
