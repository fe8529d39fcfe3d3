"""An account's answer to an enterprise's invitation (issue 11): accept it (join; the employee
becomes 在职 if a seat is free, SPEC TEN-18) or decline it. Named ``joining`` rather than
``invitations`` because ``services.invitations`` is the function listing the pending ones."""

from django.db import transaction

from tidecrm.accounts.models import Account, ApiToken, Membership
from tidecrm.core import clock
from tidecrm.core.errors import NotFound
from tidecrm.core.models import Tenant
from tidecrm.core.tenancy import tenant_context
from tidecrm.org import services as org_services
from tidecrm.org.models import Employee

from ._common import Kind, _check_can_log_in, _log, check_password_opens


def invitation_accept(
    *,
    account: Account,
    enterprise_id: int,
    ip: str | None = None,
    device: str = "",
    client: str = "web",
    phone_proven: bool = False,
) -> Employee:
    """Join the enterprise that invited ``account``; return the employee there (now 在职).

    The caller has proven to own the account (its password or an SMS code to its phone). The
    account row is locked, so an admin's password reset elsewhere cannot interleave. Refusals:
    404 when there is no such invitation, ``seats_full`` (nothing changes).
    """
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        if not phone_proven:  # a code to the phone proves the owner, whoever set the password
            check_password_opens(account, enterprise_id)
        membership, tenant = _pending(account, enterprise_id)
        with tenant_context(tenant):
            employee = Employee.objects.filter(
                pk=membership.employee_id, account=account, deleted_at__isnull=True
            ).first()
            if employee is None:
                raise NotFound()
            employee = org_services.invitation_join(employee=employee)
            # Nothing anyone minted for the invitation before the owner said yes survives it.
            ApiToken.objects.filter(employee=employee, revoked_at__isnull=True).update(revoked_at=clock.now())
        membership.joined_at = clock.now()
        membership.save(update_fields=["joined_at"])
        employee.tenant = tenant
        _log(employee, Kind.INVITATION_ACCEPTED, ip=ip, device=device, client=client)
    _check_can_log_in(employee)
    return employee


def _pending(account: Account, enterprise_id: int) -> tuple[Membership, Tenant]:
    """The account's invitation from ``enterprise_id``, locked, and that enterprise; else 404."""
    membership = (
        Membership.objects.select_for_update()
        .filter(account=account, enterprise_id=enterprise_id, joined_at__isnull=True)
        .first()
    )
    if membership is None:
        raise NotFound()
    return membership, Tenant.objects.get(pk=enterprise_id)


def invitation_decline(
    *, account: Account, enterprise_id: int, ip: str | None = None, device: str = "", client: str = "web"
) -> None:
    """Refuse an enterprise's invitation: the account stays out of it; its admin sees 已拒绝."""
    with transaction.atomic():
        membership, tenant = _pending(account, enterprise_id)
        with tenant_context(tenant):
            employee = Employee.objects.filter(pk=membership.employee_id, account=account).first()
            if employee is not None:
                org_services.invitation_decline(employee=employee)
                employee.tenant = tenant
                _log(employee, Kind.INVITATION_DECLINED, ip=ip, device=device, client=client)
        membership.delete()
