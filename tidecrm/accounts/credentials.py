"""Who may write an account's credentials, and what a new password ends (issue 11).

An :class:`Account` is global; an enterprise's admin may set its password only while the account
belongs to that enterprise alone and has joined it. A new password — set by its owner, by a reset
code or by such an admin — revokes every API token of the account in every enterprise, as it
already ends the other browser sessions (``sessions.auth_hash``).

This module sits below ``signin.services`` and ``org.services`` (both import it), with the
password rule both apply (SPEC TEN-11).
"""

import re

from django.utils.translation import gettext as _

from tidecrm.core import clock, logs
from tidecrm.core.errors import ValidationFailed

from .models import Account, ApiToken, Membership


def validate_password(password: str | None, field: str = "password") -> None:
    """Raise unless ``password`` has ≥ 8 characters with letters and digits (TEN-11)."""
    password = password or ""
    if len(password) < 8 or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise ValidationFailed({field: [_("密码至少8位，且须同时包含字母和数字")]})


def is_exclusive_to(account: Account, enterprise_id: int) -> bool:
    """Return whether ``account`` has joined ``enterprise_id`` and no other enterprise knows it.

    Pending invitations of other enterprises count as knowing it: an admin there must not be
    able to set the password an invited person will log in with.
    """
    rows = list(Membership.objects.filter(account=account).values_list("enterprise_id", "joined_at"))
    return len(rows) == 1 and rows[0][0] == enterprise_id and rows[0][1] is not None


def revoke_tokens(account: Account) -> int:
    """Revoke every live API token of the account's employees, in every enterprise; return how many."""
    enterprise_ids = list(Membership.objects.filter(account=account).values_list("enterprise_id", flat=True))
    revoked = ApiToken.unscoped.filter(
        tenant_id__in=enterprise_ids, employee__account=account, revoked_at__isnull=True
    ).update(revoked_at=clock.now())
    if revoked:
        logs.login.info("tokens revoked by a new password account=%s count=%s", account.pk, revoked)
    return revoked
