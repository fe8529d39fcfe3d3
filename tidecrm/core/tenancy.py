"""Tenant context: which enterprise (企业) the current request, job or command acts for, and which
employee acts.

Every tenant-owned model inherits :class:`tidecrm.core.models.TenantModel`; its default manager
refuses to build a query while no tenant is bound, so a forgotten scope is an error, not a leak.
The acting employee is bound beside it (by ``signin.middleware`` for a request, by the import
job for its uploader) so that log lines can name both (``core.logs``); no query reads it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Tenant

_current_tenant: contextvars.ContextVar[Tenant | None] = contextvars.ContextVar(
    "current_tenant", default=None
)
# The employee (an org.models.Employee: core cannot name the type) acting in this context.
_current_employee: contextvars.ContextVar[Any] = contextvars.ContextVar("current_employee", default=None)


class TenantNotSet(RuntimeError):
    """Raised when a tenant-scoped query runs without a bound tenant."""


def get_current_tenant() -> Tenant | None:
    """Return the tenant bound to this context, or None."""
    return _current_tenant.get()


def require_tenant() -> Tenant:
    """Return the bound tenant or raise :class:`TenantNotSet`."""
    tenant = _current_tenant.get()
    if tenant is None:
        raise TenantNotSet("No tenant is bound: wrap the code in tenant_context(tenant).")
    return tenant


def set_current_tenant(tenant: Tenant | None) -> contextvars.Token[Tenant | None]:
    """Bind ``tenant`` and return a token for :func:`reset_current_tenant`."""
    return _current_tenant.set(tenant)


def reset_current_tenant(token: contextvars.Token[Tenant | None]) -> None:
    _current_tenant.reset(token)


@contextmanager
def tenant_context(tenant: Tenant | None) -> Iterator[Tenant | None]:
    """Bind ``tenant`` for the duration of the block (requests, jobs, commands, tests)."""
    token = _current_tenant.set(tenant)
    try:
        yield tenant
    finally:
        _current_tenant.reset(token)


def get_current_employee() -> Any:
    """Return the employee acting in this context (request or job), or None."""
    return _current_employee.get()


def set_current_employee(employee: Any) -> contextvars.Token[Any]:
    """Bind the acting ``employee`` and return a token for :func:`reset_current_employee`."""
    return _current_employee.set(employee)


def reset_current_employee(token: contextvars.Token[Any]) -> None:
    _current_employee.reset(token)


@contextmanager
def employee_context(employee: Any) -> Iterator[Any]:
    """Bind the acting ``employee`` for the duration of the block (a job acting for its uploader)."""
    token = _current_employee.set(employee)
    try:
        yield employee
    finally:
        _current_employee.reset(token)
