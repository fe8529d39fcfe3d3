"""Bind a login to the browser session (used by the sign-in pages); the session's keys and
marks are accounts' (:mod:`tidecrm.accounts.sessions`)."""

from typing import Any

from tidecrm.accounts.sessions import (
    SESSION_ACCOUNT,
    SESSION_AUTH_HASH,
    SESSION_EMPLOYEE,
    SESSION_SUDO,
    auth_hash,
)
from tidecrm.org.models import Employee


def session_login(request: Any, employee: "Employee") -> None:
    """Bind ``employee`` to the browser session (a new session key) and to this request."""
    request.session.cycle_key()
    request.session[SESSION_ACCOUNT] = employee.account_id
    request.session[SESSION_EMPLOYEE] = employee.pk
    request.session[SESSION_AUTH_HASH] = auth_hash(employee.account)
    request.session.pop(SESSION_SUDO, None)
    request.employee = employee
    request.tenant = employee.tenant
    request.account = employee.account


def session_switch(request: Any, employee: "Employee") -> None:
    """Move the session to another enterprise of the same account."""
    request.session[SESSION_EMPLOYEE] = employee.pk
    request.session.pop(SESSION_SUDO, None)
