"""What every way into an account shares: the password rule (SPEC TEN-11), the security log,
the throttle on secrets (TEN-05: five failures lock the key for 15 minutes), the dummy hash that
makes an unknown login cost what a known one does (issue 11, finding 8), and the gates a login
passes — the employee's status and enterprise, and a password an enterprise's admin set."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db.models import F
from django.utils.translation import gettext as _

from tidecrm.accounts.models import Account, LoginLock, SecurityEvent, VerificationCode
from tidecrm.core import clock, codes
from tidecrm.core.errors import BusinessError, Throttled, ValidationFailed
from tidecrm.core.models import Tenant
from tidecrm.core.normalize import is_mobile, normalize_phone
from tidecrm.core.tenancy import tenant_context
from tidecrm.org.models import Employee

Purpose = VerificationCode.Purpose
Kind = SecurityEvent.Kind


def _require_mobile(phone: str | None, field: str = "phone") -> str:
    phone = normalize_phone(phone)
    if not is_mobile(phone):
        raise ValidationFailed({field: [_("请输入正确的11位手机号")]})
    return phone


def _log(
    employee: Employee,
    kind: str,
    *,
    success: bool = True,
    method: str = "",
    ip: str | None = None,
    device: str = "",
    client: str = "web",
    detail: str = "",
    tenant: Tenant | None = None,
) -> None:
    """Write a security-log line in the employee's enterprise."""
    tenant = tenant or employee.tenant
    with tenant_context(tenant):
        SecurityEvent.objects.create(
            employee=employee,
            kind=kind,
            success=success,
            method=method,
            ip=ip,
            device=(device or "")[:200],
            client=client,
            detail=detail[:200],
        )


# ---------------------------------------------------------------- throttling (TEN-05)


def _locked_until(key: str) -> datetime | None:
    lock = LoginLock.objects.filter(key=key).first()
    if lock and lock.locked_until and lock.locked_until > clock.now():
        return lock.locked_until
    return None


def _check_not_locked(*keys: str) -> None:
    for key in keys:
        until = _locked_until(key)
        if until:
            minutes = max(int((until - clock.now()).total_seconds() // 60) + 1, 1)
            raise Throttled(
                codes.TOO_MANY_ATTEMPTS,
                _("登录失败次数过多，请 %(m)s 分钟后再试") % {"m": minutes},
                details={"locked_until": until.isoformat()},
            )


def _register_failure(key: str) -> bool:
    """Count one failure for ``key``; lock it when the limit is reached. Return True if now locked."""
    now = clock.now()
    lock, _created = LoginLock.objects.get_or_create(key=key)
    if lock.locked_until and lock.locked_until <= now:
        LoginLock.objects.filter(pk=lock.pk).update(failures=0, locked_until=None)
    LoginLock.objects.filter(pk=lock.pk).update(failures=F("failures") + 1, updated_at=now)
    lock.refresh_from_db()
    if lock.failures >= settings.LOGIN_FAILURE_LIMIT:
        LoginLock.objects.filter(pk=lock.pk).update(
            locked_until=now + timedelta(minutes=settings.LOGIN_LOCK_MINUTES), failures=0
        )
        return True
    return False


def _clear_failures(*keys: str) -> None:
    LoginLock.objects.filter(key__in=keys).delete()


def _check_secret(
    account: Account, password: str | None, *, key: str, field: str, ip: str | None = None
) -> None:
    """Check a re-entered password (password change) under its own lock, like a login (TEN-05)."""
    _check_not_locked(key, f"ip:{ip}")
    if not account.check_password(password or ""):
        locked = _register_failure(key)
        _register_failure(f"ip:{ip}")
        if locked:
            _check_not_locked(key)
        raise ValidationFailed({field: [_("原密码不正确")]}, code=codes.INVALID_PASSWORD)
    _clear_failures(key)


_DUMMY_HASH: str | None = None


def _spend_a_hash(password: str | None) -> None:
    """Hash ``password`` against a dummy hash so an unknown login costs what a known one does
    (a wrong password must not answer faster for an unregistered phone, issue 11 finding 8)."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = make_password("tide-dummy-password")
    check_password(password or "", _DUMMY_HASH)


# ---------------------------------------------------------------- the gates of a login


@dataclass
class LoginResult:
    """What a successful login or registration returns: the account and the employee it acts as."""

    account: Account
    employee: Employee


def check_password_opens(account: Account, enterprise_id: int | str | None) -> None:
    """Refuse to use the account beyond the enterprise whose admin set its password.

    That admin knows the password, so it opens their enterprise only: logging in elsewhere by
    password, switching, accepting an invitation or registering a new enterprise with it waits
    until the owner sets their own password with a code sent to the phone (忘记密码).
    """
    origin = account.password_enterprise_id
    if origin is not None and (enterprise_id is None or int(enterprise_id) != origin):
        raise BusinessError(
            codes.PASSWORD_RESET_REQUIRED,
            _("您的密码由企业管理员设置，只能登录该企业。请先在登录页「忘记密码」用手机验证码设置自己的密码"),
            status=403,
        )


def _check_can_log_in(employee: Employee) -> None:
    """Refuse employees whose status or enterprise forbid a login."""
    if employee.tenant.status != Tenant.Status.ACTIVE:
        raise BusinessError(codes.ENTERPRISE_FROZEN, _("企业已冻结，请联系客服"), status=403)
    refusals: dict[str, tuple[str, str]] = {
        Employee.Status.DISABLED: (codes.ACCOUNT_DISABLED, _("账号已被禁用，请联系管理员")),
        Employee.Status.RESIGNED: (codes.ACCOUNT_RESIGNED, _("账号已离职，无法登录")),
        Employee.Status.INACTIVE: (codes.ACCOUNT_NOT_ACTIVATED, _("当前用户未激活，不可登录")),
    }
    if employee.status in refusals:
        code, message = refusals[employee.status]
        raise BusinessError(code, message, status=403)
