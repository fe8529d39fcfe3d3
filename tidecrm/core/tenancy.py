"""Tenant context: which enterprise (企业) the current request, job or command acts for.

Every tenant-owned model inherits :class:`tidecrm.core.models.TenantModel`; its default manager
refuses to build a query while no tenant is bound, so a forgotten scope is an error, not a leak.
"""

import contextvars
from contextlib import contextmanager

_current_tenant = contextvars.ContextVar("current_tenant", default=None)


class TenantNotSet(RuntimeError):
    """Raised when a tenant-scoped query runs without a bound tenant."""


def get_current_tenant():
    """Return the tenant bound to this context, or None."""
    return _current_tenant.get()


def require_tenant():
    """Return the bound tenant or raise :class:`TenantNotSet`."""
    tenant = _current_tenant.get()
    if tenant is None:
        raise TenantNotSet("No tenant is bound: wrap the code in tenant_context(tenant).")
    return tenant


def set_current_tenant(tenant):
    """Bind ``tenant`` and return a token for :func:`reset_current_tenant`."""
    return _current_tenant.set(tenant)


def reset_current_tenant(token):
    _current_tenant.reset(token)


@contextmanager
def tenant_context(tenant):
    """Bind ``tenant`` for the duration of the block (requests, jobs, commands, tests)."""
    token = _current_tenant.set(tenant)
    try:
        yield tenant
    finally:
        _current_tenant.reset(token)
