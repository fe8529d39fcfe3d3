"""The browser session's marks of a login: the keys, the password digest that ends other sessions,
and sudo mode's freshness (Q-21). Binding an employee to a session is ``tidecrm.signin.sessions``."""

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings

from tidecrm.core import clock

if TYPE_CHECKING:
    from .models import Account

SESSION_ACCOUNT = "_account_id"
SESSION_EMPLOYEE = "_employee_id"
SESSION_AUTH_HASH = "_auth_hash"
SESSION_SUDO = "_sudo_at"


def auth_hash(account: "Account") -> str:
    """Return a digest of the password hash: a password change ends the other sessions."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{account.password}".encode()).hexdigest()[:32]


def session_logout(request: Any) -> None:
    """End the browser session and forget the caller on this request."""
    request.session.flush()
    request.employee = request.tenant = request.account = None


def sudo_mark(request: Any) -> None:
    """Mark the session as freshly re-authenticated (sudo mode, Q-21)."""
    request.session[SESSION_SUDO] = clock.now().isoformat()


def sudo_is_fresh(sudo_at_iso: str | None) -> bool:
    """Return whether a sudo timestamp (ISO text from the session) is within SUDO_MINUTES."""
    if not sudo_at_iso:
        return False
    try:
        moment = datetime.fromisoformat(sudo_at_iso)
    except ValueError:
        return False
    return clock.now() - moment < timedelta(minutes=settings.SUDO_MINUTES)
