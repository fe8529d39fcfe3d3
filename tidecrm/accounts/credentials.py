"""Who may write an account's credentials, and what a new password ends (issue 11).

An :class:`Account` is global; an enterprise's admin may set its password only while the account
belongs to that enterprise alone and has joined it. A new password — set by its owner, by a reset
code or by such an admin — revokes every API token of the account in every enterprise, as it
already ends the other browser sessions (``sessions.auth_hash``).

This module sits below ``accounts.services`` and ``org.services`` (both import it).
"""

from tidecrm.core import clock, logs

from .models import Account, ApiToken, Membership


def is_exclusive_to(account: Account, enterprise_id: int) -> bool:
    """Return whether ``account`` has joined ``enterprise_id`` and no other enterprise knows it.

    Pending invitations of other enterprises count as knowing it: an admin there must not be
    able to set the password an invited person will log in with.
    """
    rows = list(Membership.objects.filter(account=account).values_list("enterprise_id", "joined_at"))
    return len(rows) == 1 and rows[0][0] == enterprise_id and rows[0][1] is not None


def revoke_tokens(account: Account) -> int:
    """Revoke every live API token of the account's employees, in every enterprise; return how many."""
    from tidecrm.org.models import Employee

    enterprise_ids = list(Membership.objects.filter(account=account).values_list("enterprise_id", flat=True))
    employee_ids = Employee.unscoped.filter(tenant_id__in=enterprise_ids, account=account).values("pk")
    revoked = ApiToken.unscoped.filter(
        tenant_id__in=enterprise_ids, employee_id__in=employee_ids, revoked_at__isnull=True
    ).update(revoked_at=clock.now())
    if revoked:
        logs.login.info("tokens revoked by a new password account=%s count=%s", account.pk, revoked)
    return revoked
