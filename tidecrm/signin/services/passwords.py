"""Passwords and the acts that re-check them: reset by SMS code and change (SPEC TEN-11, TEN-23),
sudo mode and the separate admin password (Q-21, TEN-14), and the super-admin transfer
(TEN-15/16)."""

import hashlib
import re
from datetime import datetime

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils.translation import gettext as _

from tidecrm.accounts import credentials
from tidecrm.accounts.codes import code_send, code_verify
from tidecrm.accounts.credentials import validate_password
from tidecrm.accounts.models import Account
from tidecrm.core import clock, codes, timeline
from tidecrm.core.errors import BusinessError, NotFound, PermissionDenied, ValidationFailed
from tidecrm.core.models import Tenant
from tidecrm.core.normalize import is_mobile, normalize_phone
from tidecrm.org import services as org_services
from tidecrm.org.models import Employee

from .. import verbs
from ._common import (
    Kind,
    Purpose,
    _check_not_locked,
    _check_secret,
    _clear_failures,
    _log,
    _register_failure,
)
from .login import _accounts_for_login, _log_for_account, memberships


def _reset_target(login: str | None) -> tuple[Account | None, str]:
    """Return (account or None, the key its reset codes are kept under).

    An unknown phone or e-mail gets a key of its own, so sending and checking codes for it goes
    through the same steps — throttles, attempt counts, messages — as for a registered one, and
    the answers do not tell who is registered (issue 11, finding 8).
    """
    login = (login or "").strip()
    if not login or len(login) > 254:
        raise ValidationFailed({"login": [_("请输入手机号或邮箱")]})
    accounts = _accounts_for_login(login)
    if len(accounts) == 1:
        return accounts[0], accounts[0].phone
    phone = normalize_phone(login)
    if is_mobile(phone):
        return None, phone
    # An unknown e-mail or username, or a username that several enterprises use (whose phone
    # would get the code?): a key of its own, and nothing is sent.
    return None, "key:" + hashlib.sha256(login.lower().encode()).hexdigest()[:16]


def password_reset_code_send(*, login: str) -> None:
    """Send a reset code to the account's phone (login = phone or e-mail); silent when unknown."""
    account, key = _reset_target(login)
    code_send(phone=key, purpose=Purpose.RESET, deliver=account is not None)
    return None


def password_reset(
    *, login: str, code: str, new_password: str, ip: str | None = None, device: str = ""
) -> Account:
    """Set a new password after a reset code; clears the login lock of the account."""
    validate_password(new_password, "new_password")
    account, key = _reset_target(login)
    # Verify outside the transaction: a wrong code's attempt count must survive the refusal.
    code_verify(phone=key, purpose=Purpose.RESET, code=code)
    if account is None:  # an undelivered code cannot be known; answer as for a wrong one
        raise ValidationFailed({"code": [_("验证码错误")]}, code=codes.INVALID_CODE)
    with transaction.atomic():
        account.set_password(new_password)
        account.password_enterprise_id = None  # set by the owner, proven by the phone
        account.save(update_fields=["password", "password_enterprise_id"])
        credentials.revoke_tokens(account)
        _clear_failures(f"account:{account.pk}")
        _log_for_account(account, Kind.PASSWORD_RESET, method="sms", ip=ip, device=device)
    return account


def password_change(
    *, employee: Employee, old_password: str, new_password: str, ip: str | None = None, device: str = ""
) -> Account:
    """Change one's own password (TEN-23). The current password is throttled like a login (five
    wrong → ``too_many_attempts`` for 15 minutes); the change revokes every API token."""
    account = employee.account
    _check_secret(account, old_password, key=f"password:{account.pk}", field="old_password", ip=ip)
    validate_password(new_password, "new_password")
    if old_password == new_password:
        raise ValidationFailed({"new_password": [_("新密码不能与原密码相同")]})
    with transaction.atomic():
        account.set_password(new_password)
        account.save(update_fields=["password"])
        credentials.revoke_tokens(account)
        Employee.unscoped.filter(pk__in=[e.pk for e in memberships(account)]).update(
            must_change_password=False
        )
        _log_for_account(account, Kind.PASSWORD_CHANGE, ip=ip, device=device)
    return account


# ---------------------------------------------------------------- sudo mode (Q-21, TEN-14)


def sudo_enter(*, employee: Employee, password: str, ip: str | None = None, device: str = "") -> datetime:
    """Check the re-authentication for enterprise settings; return the moment it holds from.

    With the enterprise's separate admin password turned on, that password is asked;
    otherwise the login password.
    """
    if not employee.is_admin:
        raise PermissionDenied()
    tenant = employee.tenant
    key = f"sudo:{employee.account_id}"
    _check_not_locked(key, f"ip:{ip}")
    if tenant.admin_password_enabled and tenant.admin_password:
        ok = check_password(password or "", tenant.admin_password)
    else:
        ok = employee.account.check_password(password or "")
    if not ok:
        locked = _register_failure(key)
        _register_failure(f"ip:{ip}")
        _log(employee, Kind.LOGIN_LOCKED if locked else Kind.SUDO, success=False, ip=ip, device=device)
        if locked:
            _check_not_locked(key)
        raise ValidationFailed({"password": [_("密码不正确")]}, code=codes.INVALID_PASSWORD)
    _clear_failures(key)
    _log(employee, Kind.SUDO, ip=ip, device=device)
    return clock.now()


def admin_password_set(*, actor: Employee, enabled: bool, password: str = "") -> Tenant:
    """Turn the separate admin-console password (≥ 6 digits) on or off (000, Q-21)."""
    if not actor.is_super_admin:
        raise PermissionDenied()
    tenant = Tenant.objects.get(pk=actor.tenant_id)
    if enabled:
        if not re.fullmatch(r"\d{6,}", password or ""):
            raise ValidationFailed({"password": [_("二次登录密码不少于6位数字")]})
        tenant.admin_password = make_password(password)
    tenant.admin_password_enabled = bool(enabled)
    tenant.save(update_fields=["admin_password", "admin_password_enabled"])
    return tenant


# ---------------------------------------------------------------- super admin (TEN-15/16)


def owner_transfer_code_send(*, actor: Employee) -> str:
    """Send the super admin a code that confirms the transfer (TEN-15); return its ``challenge_id``."""
    if not actor.is_super_admin:
        raise PermissionDenied(message=_("只有超级管理员可以转移企业"))
    return code_send(phone=actor.account.phone, purpose=Purpose.TRANSFER)


def owner_transfer(*, actor: Employee, to_employee_id: int, code: str, ip: str | None = None) -> Employee:
    """Make another active employee the super admin; the former one keeps the 管理员 role."""
    if not actor.is_super_admin:
        raise PermissionDenied(message=_("只有超级管理员可以转移企业"))
    target = Employee.objects.filter(pk=to_employee_id, deleted_at__isnull=True).first()
    if target is None:
        raise NotFound()
    if target.pk == actor.pk:
        raise ValidationFailed({"to_employee_id": [_("不能转移给自己")]})
    if target.status != Employee.Status.ACTIVE:
        raise BusinessError(codes.EMPLOYEE_NOT_ACTIVE, _("只能转移给在职且已启用的员工"), status=409)
    # Verify outside the transaction: a wrong code's attempt count must survive the refusal.
    code_verify(phone=actor.account.phone, purpose=Purpose.TRANSFER, code=code)
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=actor.tenant_id)
        if tenant.owner_id != actor.pk:
            raise PermissionDenied()
        tenant.owner = target
        tenant.save(update_fields=["owner"])
        admin_role = org_services.system_role("admin")
        org_services.employee_set_roles(actor=actor, employee=actor, roles=[admin_role])
        timeline.record(
            actor=actor,
            verb=verbs.ENTERPRISE_OWNER_TRANSFERRED,
            obj=tenant,
            object_type="tenant",
            changes={"owner": [actor.name, target.name]},
        )
        _log(actor, Kind.OWNER_TRANSFER, ip=ip, detail=f"转移给 {target.name}")
    return target
