"""Registration, login (password, SMS code, new-IP check), throttling, passwords, sudo mode,
super-admin transfer and API tokens (SPEC TEN-01..26, API.md "Accounts and tenancy")."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tidecrm.core import clock, timeline
from tidecrm.core.errors import BusinessError, NotFound, PermissionDenied, Throttled, ValidationFailed
from tidecrm.core.models import Tenant
from tidecrm.core.normalize import is_mobile, mask_phone, normalize_phone
from tidecrm.core.tenancy import tenant_context
from tidecrm.org import services as org_services
from tidecrm.org.models import Employee

from . import credentials
from .codes import code_send, code_verify
from .models import Account, ApiToken, LoginLock, Membership, SecurityEvent, TrustedIP, VerificationCode

AGREEMENT_VERSION = "2026-11"
TRUSTED_IP_DAYS = 90
Purpose = VerificationCode.Purpose
Kind = SecurityEvent.Kind


# ---------------------------------------------------------------- helpers


def validate_password(password, field="password"):
    """Raise unless ``password`` has ≥ 8 characters with letters and digits (TEN-11)."""
    password = password or ""
    if len(password) < 8 or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise ValidationFailed({field: [_("密码至少8位，且须同时包含字母和数字")]})


def _require_mobile(phone, field="phone"):
    phone = normalize_phone(phone)
    if not is_mobile(phone):
        raise ValidationFailed({field: [_("请输入正确的11位手机号")]})
    return phone


def _log(
    employee, kind, *, success=True, method="", ip=None, device="", client="web", detail="", tenant=None
):
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


def _log_for_account(account, kind, **kwargs):
    """Write a security-log line in every enterprise the account belongs to."""
    for employee in memberships(account):
        _log(employee, kind, **kwargs)


# ---------------------------------------------------------------- throttling (TEN-05)


def _locked_until(key):
    lock = LoginLock.objects.filter(key=key).first()
    if lock and lock.locked_until and lock.locked_until > clock.now():
        return lock.locked_until
    return None


def _check_not_locked(*keys):
    for key in keys:
        until = _locked_until(key)
        if until:
            minutes = max(int((until - clock.now()).total_seconds() // 60) + 1, 1)
            raise Throttled(
                "too_many_attempts",
                _("登录失败次数过多，请 %(m)s 分钟后再试") % {"m": minutes},
                details={"locked_until": until.isoformat()},
            )


def _register_failure(key):
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


def _clear_failures(*keys):
    LoginLock.objects.filter(key__in=keys).delete()


def _check_secret(account, password, *, key, field, ip=None):
    """Check a re-entered password (password change) under its own lock, like a login (TEN-05)."""
    _check_not_locked(key, f"ip:{ip}")
    if not account.check_password(password or ""):
        locked = _register_failure(key)
        _register_failure(f"ip:{ip}")
        if locked:
            _check_not_locked(key)
        raise ValidationFailed({field: [_("原密码不正确")]}, code="invalid_password")
    _clear_failures(key)


_DUMMY_HASH = None


def _spend_a_hash(password):
    """Hash ``password`` against a dummy hash so an unknown login costs what a known one does
    (a wrong password must not answer faster for an unregistered phone, issue 11 finding 8)."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = make_password("tide-dummy-password")
    check_password(password or "", _DUMMY_HASH)


# ---------------------------------------------------------------- registration (TEN-01)


@dataclass
class LoginResult:
    account: Account
    employee: Employee


def registration_code_send(*, phone):
    phone = _require_mobile(phone)
    return code_send(phone=phone, purpose=Purpose.REGISTER)


def enterprise_register(
    *, enterprise_name, admin_name, phone, password, code=None, email=None, ip=None, device="", client="web"
):
    """Create an enterprise, its system roles and its super admin; return a :class:`LoginResult`.

    A phone that already has an account joins the new enterprise with that account, provided
    the password is that account's (else ``phone_registered``).
    """
    errors = {}
    enterprise_name = (enterprise_name or "").strip()
    admin_name = (admin_name or "").strip()
    if not enterprise_name:
        errors["enterprise_name"] = [_("请填写企业名称")]
    elif len(enterprise_name) > 100:
        errors["enterprise_name"] = [_("企业名称不能超过100个字")]
    if not admin_name:
        errors["admin_name"] = [_("请填写您的姓名")]
    if errors:
        raise ValidationFailed(errors)
    phone = _require_mobile(phone)
    if settings.REGISTRATION_REQUIRES_CODE:
        code_verify(phone=phone, purpose=Purpose.REGISTER, code=code)
    account = Account.objects.filter(phone=phone).first()
    if account is not None:
        if not account.check_password(password):
            raise BusinessError(
                "phone_registered", _("该手机号已注册，请输入该账号的登录密码以创建新企业"), status=409
            )
        check_password_opens(account, None)
    else:
        validate_password(password)
    now = clock.now()
    with transaction.atomic():
        if account is None:
            # The e-mail becomes a login only while no other account uses it, in any case.
            login_email = (
                email if email and not Account.objects.filter(email__iexact=email).exists() else None
            )
            account = Account(
                phone=phone, email=login_email, agreement_version=AGREEMENT_VERSION, agreed_at=now
            )
            account.set_password(password)
            try:
                with transaction.atomic():
                    account.save()
            except IntegrityError:
                raise BusinessError("phone_registered", _("该手机号已注册"), status=409)
        tenant = Tenant.objects.create(name=enterprise_name)
        with tenant_context(tenant):
            roles = org_services.roles_seed(tenant=tenant)
            employee = org_services.employee_create(
                actor=None,
                account=account,
                name=admin_name,
                phone=phone,
                email=email or "",
                roles=[roles["admin"]],
            )
            tenant.owner = employee
            tenant.save(update_fields=["owner"])
            timeline.record(actor=employee, verb="enterprise.registered", obj=tenant, object_type="tenant")
        if ip:
            TrustedIP.objects.get_or_create(account=account, ip=ip)
        account.last_login_at = now
        account.save(update_fields=["last_login_at"])
        _log(
            employee,
            Kind.LOGIN_SUCCESS,
            method="register",
            ip=ip,
            device=device,
            client=client,
            detail="注册企业",
        )
    employee.tenant = tenant
    return LoginResult(account=account, employee=employee)


# ---------------------------------------------------------------- login (TEN-05/06/10/13)


def _accounts_for_login(login):
    """Return the accounts a login text (phone, e-mail or username) may name."""
    login = (login or "").strip()
    if not login:
        return []
    phone = normalize_phone(login)
    if is_mobile(phone):
        return list(Account.objects.filter(phone=phone))
    if "@" in login:
        return list(Account.objects.filter(email__iexact=login))
    account_ids = Membership.objects.filter(username=login, joined_at__isnull=False).values("account_id")
    return list(Account.objects.filter(id__in=account_ids))


def _employees_of(account, *, joined):
    enterprise_ids = list(
        Membership.objects.filter(account=account, joined_at__isnull=not joined).values_list(
            "enterprise_id", flat=True
        )
    )
    employees = Employee.unscoped.filter(
        tenant_id__in=enterprise_ids, account=account, deleted_at__isnull=True
    )
    if not joined:
        employees = employees.filter(invitation="pending")
    return list(employees.select_related("tenant").order_by("created_at", "id"))


def memberships(account):
    """Return the account's employees in the enterprises it has joined (tenant loaded), oldest first.

    Each lookup goes through the (tenant_id, account_id) key, one enterprise at a time.
    """
    return _employees_of(account, joined=True)


def invitations(account):
    """Return the account's employees in enterprises that invited it and wait for its answer."""
    return _employees_of(account, joined=False)


def _enterprise_choice(employee, invited=False):
    tenant = employee.tenant
    return {
        "id": employee.tenant_id,
        "name": tenant.name,
        "code": tenant.code,
        "status": employee.status,
        "invitation": invited,
    }


def _choose_membership(account, enterprise_id):
    """Return the employee to log in as. Called only once the account's own credentials passed.

    Naming an enterprise that invited the account picks that invitation's (still pending)
    employee: the caller accepts it with :func:`_enter` once every other check has passed.
    Without a name, one joined enterprise is entered at once; several, or none but invitations,
    ask for a choice (``enterprise_required``, invitations flagged ``invitation: true``).
    """
    employees = memberships(account)
    if enterprise_id:
        for employee in employees + invitations(account):
            if str(employee.tenant_id) == str(enterprise_id):
                return employee
        raise BusinessError("invalid_credentials", _("账号或密码错误"), status=401)
    if len(employees) == 1:
        return employees[0]
    pending = invitations(account)
    if not employees and not pending:
        raise BusinessError("invalid_credentials", _("该账号未加入任何企业"), status=401)
    raise BusinessError(
        "enterprise_required",
        _("该账号属于多个企业，请选择要登录的企业")
        if employees
        else _("有企业邀请您加入，选择企业即接受邀请"),
        status=409,
        details={
            "enterprises": [_enterprise_choice(e) for e in employees]
            + [_enterprise_choice(e, invited=True) for e in pending]
        },
    )


def check_password_opens(account, enterprise_id):
    """Refuse to use the account beyond the enterprise whose admin set its password.

    That admin knows the password, so it opens their enterprise only: logging in elsewhere by
    password, switching, accepting an invitation or registering a new enterprise with it waits
    until the owner sets their own password with a code sent to the phone (忘记密码).
    """
    origin = account.password_enterprise_id
    if origin is not None and (enterprise_id is None or int(enterprise_id) != origin):
        raise BusinessError(
            "password_reset_required",
            _("您的密码由企业管理员设置，只能登录该企业。请先在登录页「忘记密码」用手机验证码设置自己的密码"),
            status=403,
        )


def _enter(account, employee, *, ip=None, device="", client="web"):
    """Accept the invitation behind ``employee`` if it is one, then check it may log in."""
    if employee.invitation:
        return invitation_accept(
            account=account, enterprise_id=employee.tenant_id, ip=ip, device=device, client=client
        )
    _check_can_log_in(employee)
    return employee


def invitation_accept(*, account, enterprise_id, ip=None, device="", client="web", phone_proven=False):
    """Join the enterprise that invited ``account``; return the employee there (now 在职).

    The caller has proven to own the account (its password or an SMS code to its phone). The
    account row is locked, so an admin's password reset elsewhere cannot interleave. Refusals:
    404 when there is no such invitation, ``seats_full`` (nothing changes).
    """
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        if not phone_proven:  # a code to the phone proves the owner, whoever set the password
            check_password_opens(account, enterprise_id)
        membership = (
            Membership.objects.select_for_update()
            .filter(account=account, enterprise_id=enterprise_id, joined_at__isnull=True)
            .first()
        )
        if membership is None:
            raise NotFound()
        tenant = Tenant.objects.get(pk=enterprise_id)
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


def invitation_decline(*, account, enterprise_id, ip=None, device="", client="web"):
    """Refuse an enterprise's invitation: the account stays out of it; its admin sees 已拒绝."""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .filter(account=account, enterprise_id=enterprise_id, joined_at__isnull=True)
            .first()
        )
        if membership is None:
            raise NotFound()
        tenant = Tenant.objects.get(pk=enterprise_id)
        with tenant_context(tenant):
            employee = Employee.objects.filter(pk=membership.employee_id, account=account).first()
            if employee is not None:
                org_services.invitation_decline(employee=employee)
                employee.tenant = tenant
                _log(employee, Kind.INVITATION_DECLINED, ip=ip, device=device, client=client)
        membership.delete()


def _check_can_log_in(employee):
    """Refuse employees whose status or enterprise forbid a login."""
    if employee.tenant.status != Tenant.Status.ACTIVE:
        raise BusinessError("enterprise_frozen", _("企业已冻结，请联系客服"), status=403)
    refusals = {
        Employee.Status.DISABLED: ("account_disabled", _("账号已被禁用，请联系管理员")),
        Employee.Status.RESIGNED: ("account_resigned", _("账号已离职，无法登录")),
        Employee.Status.INACTIVE: ("account_not_activated", _("当前用户未激活，不可登录")),
    }
    if employee.status in refusals:
        code, message = refusals[employee.status]
        raise BusinessError(code, message, status=403)


def _ip_is_trusted(account, ip):
    if not ip:
        return True
    known = TrustedIP.objects.filter(account=account)
    if not known.exists():
        return True  # the account's first login records its IP without a challenge
    cutoff = clock.now() - timedelta(days=TRUSTED_IP_DAYS)
    return known.filter(ip=ip, last_seen_at__gte=cutoff).exists()


def _trust_ip(account, ip):
    if ip:
        TrustedIP.objects.update_or_create(account=account, ip=ip, defaults={"last_seen_at": clock.now()})


def _succeed(account, employee, *, method, ip, device, client):
    _clear_failures(f"account:{account.pk}", f"ip:{ip}")
    _trust_ip(account, ip)
    account.last_login_at = clock.now()
    account.save(update_fields=["last_login_at"])
    _log(employee, Kind.LOGIN_SUCCESS, method=method, ip=ip, device=device, client=client)
    return LoginResult(account=account, employee=employee)


def login_with_password(
    *, login, password, enterprise_id=None, ip=None, device="", client="web", challenge_id=None, code=None
):
    """Authenticate by login text + password and return a :class:`LoginResult`.

    Refusals: ``too_many_attempts`` (5 failures lock the account and the IP for 15 minutes),
    ``invalid_credentials``, ``enterprise_required``, ``account_disabled`` /
    ``account_resigned`` / ``account_not_activated``, ``verification_required`` (new IP).
    """
    ip_key = f"ip:{ip}"
    _check_not_locked(ip_key)
    candidates = _accounts_for_login(login)
    for candidate in candidates:
        _check_not_locked(f"account:{candidate.pk}")
    account = next((a for a in candidates if a.check_password(password)), None)
    if not any(candidate.password for candidate in candidates):
        _spend_a_hash(password)  # no hash was checked: take as long as a wrong password does
    if account is None:
        locked = _register_failure(ip_key)
        for candidate in candidates:
            locked = _register_failure(f"account:{candidate.pk}") or locked
            _log_for_account(
                candidate,
                Kind.LOGIN_LOCKED if locked else Kind.LOGIN_FAILURE,
                success=False,
                method="password",
                ip=ip,
                device=device,
                client=client,
                detail="密码错误",
            )
        if locked:
            _check_not_locked(ip_key, *[f"account:{c.pk}" for c in candidates])
        raise BusinessError("invalid_credentials", _("账号或密码错误"), status=401)
    employee = _choose_membership(account, enterprise_id)
    check_password_opens(account, employee.tenant_id)
    if not employee.invitation:
        _check_can_log_in(employee)
    if not _ip_is_trusted(account, ip):
        if challenge_id and code:
            code_verify(phone=account.phone, purpose=Purpose.NEW_IP, code=code, challenge_id=challenge_id)
            _log(employee, Kind.NEW_IP, method="sms", ip=ip, device=device, client=client)
        else:
            challenge = code_send(phone=account.phone, purpose=Purpose.NEW_IP, data={"ip": ip})
            raise BusinessError(
                "verification_required",
                _("为了安全起见，新IP首次登录需输入短信验证码"),
                status=409,
                details={"challenge_id": challenge, "phone": mask_phone(account.phone)},
            )
    # An invitation is accepted only now, when every check of the login has passed.
    employee = _enter(account, employee, ip=ip, device=device, client=client)
    return _succeed(account, employee, method="password", ip=ip, device=device, client=client)


def login_code_send(*, phone):
    """Send a login code; answers the same whether or not the phone has an account."""
    phone = _require_mobile(phone)
    known = Account.objects.filter(phone=phone).exists()
    code_send(phone=phone, purpose=Purpose.LOGIN, deliver=known)
    return None


def login_with_code(*, phone, code, enterprise_id=None, ip=None, device="", client="web"):
    """Authenticate by phone + SMS code (TEN-06). The code is itself the second factor."""
    phone = _require_mobile(phone)
    _check_not_locked(f"ip:{ip}")
    account = Account.objects.filter(phone=phone).first()
    if account:
        _check_not_locked(f"account:{account.pk}")
    try:
        code_verify(phone=phone, purpose=Purpose.LOGIN, code=code)
    except BusinessError:
        _register_failure(f"ip:{ip}")
        raise
    if account is None:
        raise BusinessError("invalid_credentials", _("该手机号未注册"), status=401)
    employee = _choose_membership(account, enterprise_id)
    # The code proves the phone: its owner may accept an invitation with it, whoever set the
    # password (which still opens only its own enterprise).
    if employee.invitation:
        employee = invitation_accept(
            account=account,
            enterprise_id=employee.tenant_id,
            ip=ip,
            device=device,
            client=client,
            phone_proven=True,
        )
    else:
        _check_can_log_in(employee)
    return _succeed(account, employee, method="sms", ip=ip, device=device, client=client)


def switch_enterprise(*, account, enterprise_id):
    """Return the account's employee in another enterprise (switch without a new login)."""
    employee = _choose_membership(account, enterprise_id)
    check_password_opens(account, employee.tenant_id)
    return _enter(account, employee)


# ---------------------------------------------------------------- passwords (TEN-11, TEN-23)


def _reset_target(login):
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


def password_reset_code_send(*, login):
    """Send a reset code to the account's phone (login = phone or e-mail); silent when unknown."""
    account, key = _reset_target(login)
    code_send(phone=key, purpose=Purpose.RESET, deliver=account is not None)
    return None


def password_reset(*, login, code, new_password, ip=None, device=""):
    """Set a new password after a reset code; clears the login lock of the account."""
    validate_password(new_password, "new_password")
    account, key = _reset_target(login)
    # Verify outside the transaction: a wrong code's attempt count must survive the refusal.
    code_verify(phone=key, purpose=Purpose.RESET, code=code)
    if account is None:  # an undelivered code cannot be known; answer as for a wrong one
        raise ValidationFailed({"code": [_("验证码错误")]}, code="invalid_code")
    with transaction.atomic():
        account.set_password(new_password)
        account.password_enterprise_id = None  # set by the owner, proven by the phone
        account.save(update_fields=["password", "password_enterprise_id"])
        credentials.revoke_tokens(account)
        _clear_failures(f"account:{account.pk}")
        _log_for_account(account, Kind.PASSWORD_RESET, method="sms", ip=ip, device=device)
    return account


def password_change(*, employee, old_password, new_password, ip=None, device=""):
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


def sudo_enter(*, employee, password, ip=None, device=""):
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
        raise ValidationFailed({"password": [_("密码不正确")]}, code="invalid_password")
    _clear_failures(key)
    _log(employee, Kind.SUDO, ip=ip, device=device)
    return clock.now()


def sudo_is_fresh(sudo_at_iso):
    """Return whether a sudo timestamp (ISO text from the session) is within SUDO_MINUTES."""
    if not sudo_at_iso:
        return False
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(sudo_at_iso)
    except ValueError:
        return False
    return clock.now() - moment < timedelta(minutes=settings.SUDO_MINUTES)


def admin_password_set(*, actor, enabled, password=""):
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


def owner_transfer_code_send(*, actor):
    if not actor.is_super_admin:
        raise PermissionDenied(message=_("只有超级管理员可以转移企业"))
    return code_send(phone=actor.account.phone, purpose=Purpose.TRANSFER)


def owner_transfer(*, actor, to_employee_id, code, ip=None):
    """Make another active employee the super admin; the former one keeps the 管理员 role."""
    if not actor.is_super_admin:
        raise PermissionDenied(message=_("只有超级管理员可以转移企业"))
    target = Employee.objects.filter(pk=to_employee_id, deleted_at__isnull=True).first()
    if target is None:
        raise NotFound()
    if target.pk == actor.pk:
        raise ValidationFailed({"to_employee_id": [_("不能转移给自己")]})
    if target.status != Employee.Status.ACTIVE:
        raise BusinessError("employee_not_active", _("只能转移给在职且已启用的员工"), status=409)
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
            verb="enterprise.owner_transferred",
            obj=tenant,
            object_type="tenant",
            changes={"owner": [actor.name, target.name]},
        )
        _log(actor, Kind.OWNER_TRANSFER, ip=ip, detail=f"转移给 {target.name}")
    return target


# ---------------------------------------------------------------- API tokens (BEYOND-08)


def _token_hash(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(*, actor, name, employee=None, expires_at=None, ip=None, lifetime_days=None):
    """Create an API token for ``employee`` (default: the actor); return (token row, raw text).

    The raw text is shown once; an admin may create tokens for other employees. Every token has
    a lifetime: ``expires_at`` if given (in the future, at most ``API_TOKEN_MAX_DAYS`` ahead),
    else ``lifetime_days`` or ``API_TOKEN_DAYS`` from now. A new password revokes them all.
    """
    employee = employee or actor
    # A token minted through another's 代建 token carries the same issuer (no escape from it).
    issued_by = getattr(actor, "token_issued_by", None)
    if employee.pk != actor.pk:
        if not actor.has_permission("settings.api_tokens"):
            raise PermissionDenied()
        _check_may_mint_for(actor, employee)
        issued_by = actor.pk
    now = clock.now()
    latest = now + timedelta(days=settings.API_TOKEN_MAX_DAYS)
    if expires_at is not None and timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at)  # read in the enterprise's zone
    if expires_at is None:
        expires_at = now + timedelta(days=lifetime_days or settings.API_TOKEN_DAYS)
    elif expires_at <= now or expires_at > latest:
        raise ValidationFailed(
            {"expires_at": [_("有效期须在现在之后、%(d)s 天以内") % {"d": settings.API_TOKEN_MAX_DAYS}]}
        )
    name = (name or "").strip() or _("API 令牌")
    secret = secrets.token_urlsafe(32)
    raw = f"{employee.tenant_id}.{secret}"
    token = ApiToken.objects.create(
        employee=employee,
        name=name[:60],
        key_hash=_token_hash(secret),
        prefix=secret[:8],
        created_at=now,
        expires_at=expires_at,
        issued_by_id=issued_by,
    )
    _log(actor, Kind.TOKEN_CREATED, ip=ip, client="api", detail=f"{name} ({employee.name})")
    return token, raw


def _check_may_mint_for(actor, employee):
    """A token for someone else acts as them: only for an active, joined employee whose account
    the actor administers and whose rights the actor holds (as for a password reset); never the
    super admin's, except by the super admin."""
    if employee.is_super_admin:
        raise PermissionDenied(message=_("不能为超级管理员创建令牌"))
    if employee.status != Employee.Status.ACTIVE or employee.invitation:
        raise BusinessError("employee_not_active", _("只能为在职且已启用的员工创建令牌"), status=409)
    org_services.check_acting_as(actor=actor, employee=employee)


def token_revoke(*, actor, token_id, ip=None):
    token = ApiToken.objects.filter(pk=token_id, revoked_at__isnull=True).select_related("employee").first()
    if token is None or (token.employee_id != actor.pk and not actor.has_permission("settings.api_tokens")):
        raise NotFound()
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    _log(actor, Kind.TOKEN_REVOKED, ip=ip, detail=token.name)
    return token


def token_authenticate(raw):
    """Return the active employee a raw token belongs to, or None."""
    tenant_part, _sep, secret = (raw or "").partition(".")
    # ASCII digits only ("²".isdigit() is True) and within the id column's range.
    if not (tenant_part.isascii() and tenant_part.isdigit()) or len(tenant_part) > 18 or not secret:
        return None
    now = clock.now()
    token = (
        ApiToken.unscoped.filter(
            tenant_id=int(tenant_part), key_hash=_token_hash(secret), revoked_at__isnull=True
        )
        .filter(expires_at__gt=now)  # every token has a lifetime (migration 0004 gave old ones one)
        .select_related("employee", "employee__tenant", "employee__account")
        .first()
    )
    if token is None:
        return None
    employee = token.employee
    employee.token_issued_by = token.issued_by_id  # an admin's 代建 token: this enterprise only
    if (
        employee.status != Employee.Status.ACTIVE
        or employee.invitation
        or employee.tenant.status != Tenant.Status.ACTIVE
    ):
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.unscoped.filter(pk=token.pk).update(last_used_at=now)
    return employee
