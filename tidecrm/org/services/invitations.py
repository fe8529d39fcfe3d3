"""Invitations (issue 11): a phone that already has an account is invited, not given a new
one. The daily limits an enterprise and a phone get, the invitation SMS (after commit), and the
invited person's answer on the employee's side (joining needs a free seat, SPEC TEN-18)."""

from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from tidecrm.accounts.models import Membership
from tidecrm.core import clock, codes, timeline
from tidecrm.core.errors import BusinessError, NotFound, Throttled
from tidecrm.core.models import Tenant
from tidecrm.integrations.sms import send_sms

from .. import verbs
from ..models import Employee
from ..scopes import organisation_changed
from ._common import Status, _check_seat_free

# Invitations an enterprise may send a day, and invitation SMS one phone may get a day: enough
# for onboarding a team, too few to use the product to spam or to probe who is registered.
INVITATIONS_PER_DAY = 200


INVITATION_SMS_PER_PHONE_PER_DAY = 3


def _check_invitations_allowed(tenant_id: int) -> None:
    since = clock.now() - timedelta(days=1)
    if (
        Membership.objects.filter(enterprise_id=tenant_id, invited_at__gte=since).count()
        >= INVITATIONS_PER_DAY
    ):
        raise Throttled(codes.TOO_MANY_INVITATIONS, _("今日邀请已达上限，请明天再试"))


def _send_invitation(employee: Employee, actor: Employee | None) -> None:
    """Tell an invited person by SMS, once the employee row is committed (never for a rollback)."""
    tenant_name = Tenant.objects.filter(pk=employee.tenant_id).values_list("name", flat=True).first()
    since = clock.now() - timedelta(days=1)
    if (
        Membership.objects.filter(account_id=employee.account_id, invited_at__gte=since).count()
        > INVITATION_SMS_PER_PHONE_PER_DAY
    ):
        return  # the invitation stands (the person sees it when they log in); no more SMS today
    # Names typed by whoever registered an enterprise: short, on one line, in the SMS.
    tenant_name = " ".join((tenant_name or "").split())[:30]
    inviter = " ".join((actor.name if actor else tenant_name).split())[:20]
    text = _(
        "【潮汐CRM】%(who)s邀请您加入企业「%(tenant)s」。请用本手机号登录潮汐CRM，"
        "在企业列表中选择「%(tenant)s」即可接受邀请；如不认识对方，请忽略本短信。"
    ) % {"who": inviter, "tenant": tenant_name}

    def deliver() -> None:
        try:
            send_sms(employee.phone, text)
        except BusinessError:  # the invitation stands; the person also sees it when they log in
            pass

    transaction.on_commit(deliver)


def invitation_join(*, employee: Employee) -> Employee:
    """The invited person accepted: the employee becomes 在职 (needs a free seat, TEN-18).

    Called by ``signin.services.invitation_accept`` inside its transaction, with the
    employee's tenant bound; raises ``seats_full`` and changes nothing when no seat is free.
    """
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    if employee.invitation != "pending":
        raise NotFound()
    before = employee.status
    if employee.status == Status.INACTIVE:
        _check_seat_free(employee.tenant_id)
        employee.status = Status.ACTIVE
    employee.invitation = ""
    employee.save(update_fields=["status", "invitation"])
    organisation_changed(employee.tenant_id)
    timeline.record(
        actor=employee,
        verb=verbs.EMPLOYEE_INVITATION_ACCEPTED,
        obj=employee,
        changes={"status": [before, employee.status]} if before != employee.status else None,
    )
    return employee


def invitation_decline(*, employee: Employee) -> None:
    """The invited person declined: the employee stays 未激活, marked 已拒绝邀请."""
    updated = Employee.objects.filter(pk=employee.pk, invitation="pending").update(invitation="declined")
    if not updated:
        raise NotFound()
    timeline.record(actor=employee, verb=verbs.EMPLOYEE_INVITATION_DECLINED, obj=employee)
