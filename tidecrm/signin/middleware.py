"""Find who calls (Bearer token or session) and bind their enterprise for the whole request."""

import logging
from collections.abc import Callable
from typing import Any

from django.db import DataError
from django.http import HttpRequest, HttpResponse

from tidecrm.accounts.sessions import SESSION_AUTH_HASH, SESSION_EMPLOYEE, auth_hash
from tidecrm.core.api import MAX_ID
from tidecrm.core.security import client_ip  # noqa: F401 - the one place the caller's IP is read
from tidecrm.core.tenancy import (
    reset_current_employee,
    reset_current_tenant,
    set_current_employee,
    set_current_tenant,
)
from tidecrm.org import scopes
from tidecrm.org.models import Employee

from .services import token_authenticate

logger = logging.getLogger(__name__)


def _token_shaped(raw: str) -> bool:
    """Whether ``raw`` looks like ``<tenant_id>.<secret>`` with a tenant id that can exist.

    Anything else is not worth a query: ``9223372036854775808.x`` or ``².x`` would make the lookup
    overflow or fail to parse instead of simply not matching."""
    tenant_part, _sep, secret = raw.partition(".")
    return bool(
        secret
        and tenant_part.isascii()
        and tenant_part.isdigit()
        and len(tenant_part) <= 19
        and 0 < int(tenant_part) <= MAX_ID
    )


def _token_employee(raw: str) -> Employee | None:
    """The employee of a Bearer token, or None for any token that is not one of ours."""
    if not _token_shaped(raw):
        return None
    try:
        return token_authenticate(raw)
    except (ValueError, OverflowError, DataError):
        # A malformed credential is no credential: answer as for a wrong token (401 in the API,
        # anonymous on pages), never a 500 on every URL.
        logger.warning("Unusable Bearer token refused", exc_info=True)
        return None


def device_of(request: HttpRequest) -> str:
    """Return the caller's user agent, cut to what the security log keeps."""
    return request.META.get("HTTP_USER_AGENT", "")[:200]


class AuthenticationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> HttpResponse:
        request.employee = request.tenant = request.account = None
        request.auth_method = None
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header.startswith("Bearer "):
            employee = _token_employee(header[7:].strip())
            if employee is not None:
                request.auth_method = "token"
                self._bind(request, employee)
            else:
                request.auth_method = "invalid_token"
        elif SESSION_EMPLOYEE in request.session:
            employee = (
                Employee.unscoped.select_related("tenant__organisation_version", "account")
                .filter(pk=request.session[SESSION_EMPLOYEE], deleted_at__isnull=True)
                .first()
            )
            if (
                employee is not None
                and employee.status == Employee.Status.ACTIVE
                and employee.tenant.status == "active"
                and request.session.get(SESSION_AUTH_HASH) == auth_hash(employee.account)
            ):
                request.auth_method = "session"
                self._bind(request, employee)
            else:
                request.session.flush()
        token = set_current_tenant(request.tenant)
        employee_token = set_current_employee(request.employee)  # for the log lines (core.logs)
        # Read with the caller, before anything a data scope is computed from (org.scopes).
        stamp_token = scopes.bind_organisation_stamp(request.tenant)
        try:
            return self.get_response(request)
        finally:
            scopes.reset_organisation_stamp(stamp_token)
            reset_current_employee(employee_token)
            reset_current_tenant(token)

    @staticmethod
    def _bind(request: Any, employee: Employee) -> None:
        request.employee = employee
        request.tenant = employee.tenant
        request.account = employee.account
