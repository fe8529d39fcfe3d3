"""重置密码 by an administrator (SPEC ORG-06, issue 11): only for an account this enterprise alone
knows and only when the actor may act as the employee (``administration.check_acting_as``);
an account other enterprises share gets a reset code instead."""

from django.db import transaction
from django.utils.translation import gettext as _

from tidecrm.accounts import credentials
from tidecrm.accounts.codes import code_send
from tidecrm.accounts.credentials import validate_password
from tidecrm.accounts.models import Account, VerificationCode
from tidecrm.core import codes, timeline
from tidecrm.core.errors import BusinessError
from tidecrm.core.permissions import check

from .. import verbs
from ..models import Employee
from .administration import _refuse_owner, check_acting_as


def password_reset_by_admin(*, actor: Employee, employee: Employee, password: str) -> None:
    """重置密码 (ORG-06): set a new initial password; the employee must change it at next login.

    Only for an account that belongs to this enterprise alone (``credentials.is_exclusive_to``):
    an invited person's account is refused (``invitation_pending``), and an account that other
    enterprises share is never written — the person is sent a reset code instead and the call
    answers ``account_shared`` (409) saying so. The new password revokes the account's API tokens.
    """
    check(actor, "org.manage_employees")
    _refuse_owner(employee, _("重置密码"))
    # Setting someone's password is logging in as them: it grants their rights to the actor.
    check_acting_as(
        actor=actor,
        employee=employee,
        message=_("该员工拥有超出您的权限或数据范围，不能由您重置密码，请联系管理员"),
    )
    validate_password(password)
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=employee.account_id)
        if employee.invitation:
            raise BusinessError(
                codes.INVITATION_PENDING,
                _("对方尚未接受加入企业的邀请，不能为其设置密码")
                if employee.invitation == "pending"
                else _("对方已拒绝加入企业的邀请，不能为其设置密码"),
                status=409,
            )
        shared = not credentials.is_exclusive_to(account, employee.tenant_id)
        if not shared:
            account.set_password(password)
            account.password_enterprise_id = employee.tenant_id  # known to this enterprise's admin
            account.save(update_fields=["password", "password_enterprise_id"])
            credentials.revoke_tokens(account)
            Employee.objects.filter(pk=employee.pk).update(must_change_password=True)
            timeline.record(actor=actor, verb=verbs.EMPLOYEE_PASSWORD_RESET, obj=employee)
    if shared:
        sent = _send_reset_code(account.phone)
        message = _("该员工的账号同时属于其他企业，管理员不能设置其密码。")
        if sent:
            message += _("已向其手机发送找回密码验证码，请其在登录页「忘记密码」自行设置新密码。")
        else:
            message += _("请其在登录页「忘记密码」用手机验证码自行设置新密码。")
        raise BusinessError(codes.ACCOUNT_SHARED, message, status=409, details={"reset_code_sent": sent})


def _send_reset_code(phone: str) -> bool:
    """Send the person a password-reset code; False when throttled (a code went out just now)."""
    try:
        code_send(phone=phone, purpose=VerificationCode.Purpose.RESET)
    except BusinessError:
        return False
    return True
