"""Login (SPEC TEN-05/06/10/13): by password or SMS code, the new-IP check, the enterprises an
account belongs to or is invited to, choosing and entering one (an invitation is accepted only
once every check passed), and switching enterprise without a new login."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.utils.translation import gettext as _

from tidecrm.accounts.codes import code_send, code_verify
from tidecrm.accounts.models import Account, Membership, TrustedIP
from tidecrm.core import clock, codes, logs
from tidecrm.core.errors import BusinessError, Throttled
from tidecrm.core.normalize import is_mobile, mask_email, mask_phone, normalize_phone
from tidecrm.org.models import Employee

from ._common import (
    Kind,
    LoginResult,
    Purpose,
    _check_can_log_in,
    _check_not_locked,
    _clear_failures,
    _log,
    _register_failure,
    _require_mobile,
    _spend_a_hash,
    check_password_opens,
)
from .joining import invitation_accept

TRUSTED_IP_DAYS = 90


def _accounts_for_login(login: str | None) -> list[Account]:
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


def _employees_of(account: Account, *, joined: bool) -> list[Employee]:
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


def memberships(account: Account) -> list[Employee]:
    """Return the account's employees in the enterprises it has joined (tenant loaded), oldest first.

    Each lookup goes through the (tenant_id, account_id) key, one enterprise at a time.
    """
    return _employees_of(account, joined=True)


def invitations(account: Account) -> list[Employee]:
    """Return the account's employees in enterprises that invited it and wait for its answer."""
    return _employees_of(account, joined=False)


def _log_for_account(account: Account, kind: str, **kwargs: Any) -> None:
    """Write a security-log line in every enterprise the account belongs to."""
    for employee in memberships(account):
        _log(employee, kind, **kwargs)


def _enterprise_choice(employee: Employee, invited: bool = False) -> dict[str, Any]:
    tenant = employee.tenant
    return {
        "id": employee.tenant_id,
        "name": tenant.name,
        "code": tenant.code,
        "status": employee.status,
        "invitation": invited,
    }


def _choose_membership(account: Account, enterprise_id: int | str | None) -> Employee:
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
        raise BusinessError(codes.INVALID_CREDENTIALS, _("账号或密码错误"), status=401)
    if len(employees) == 1:
        return employees[0]
    pending = invitations(account)
    if not employees and not pending:
        raise BusinessError(codes.INVALID_CREDENTIALS, _("该账号未加入任何企业"), status=401)
    raise BusinessError(
        codes.ENTERPRISE_REQUIRED,
        _("该账号属于多个企业，请选择要登录的企业")
        if employees
        else _("有企业邀请您加入，选择企业即接受邀请"),
        status=409,
        details={
            "enterprises": [_enterprise_choice(e) for e in employees]
            + [_enterprise_choice(e, invited=True) for e in pending]
        },
    )


def _enter(
    account: Account, employee: Employee, *, ip: str | None = None, device: str = "", client: str = "web"
) -> Employee:
    """Accept the invitation behind ``employee`` if it is one, then check it may log in."""
    if employee.invitation:
        return invitation_accept(
            account=account, enterprise_id=employee.tenant_id, ip=ip, device=device, client=client
        )
    _check_can_log_in(employee)
    return employee


def _ip_is_trusted(account: Account, ip: str | None) -> bool:
    if not ip:
        return True
    known = TrustedIP.objects.filter(account=account)
    if not known.exists():
        return True  # the account's first login records its IP without a challenge
    cutoff = clock.now() - timedelta(days=TRUSTED_IP_DAYS)
    return known.filter(ip=ip, last_seen_at__gte=cutoff).exists()


def _trust_ip(account: Account, ip: str | None) -> None:
    if ip:
        TrustedIP.objects.update_or_create(account=account, ip=ip, defaults={"last_seen_at": clock.now()})


def _masked_login(login: str | None) -> str:
    """The login text as a log line may show it: a phone or e-mail masked, a username cut."""
    login = (login or "").strip()
    phone = normalize_phone(login)
    if is_mobile(phone):
        return mask_phone(phone)
    if "@" in login:
        return mask_email(login)
    return f"{login[:1]}***" if login else "-"


@contextmanager
def _attempt_logged(method: str, *, login: str, ip: str | None, client: str) -> Iterator[None]:
    """Log a refused login (``tidecrm.login``) with its stable code; a success logs itself."""
    try:
        yield
    except Throttled as error:
        logs.login.warning(
            "login throttled method=%s login=%s ip=%s client=%s code=%s",
            method,
            login,
            ip,
            client,
            error.code,
        )
        raise
    except BusinessError as error:
        logs.login.warning(
            "login failed method=%s login=%s ip=%s client=%s code=%s", method, login, ip, client, error.code
        )
        raise


def _succeed(
    account: Account, employee: Employee, *, method: str, ip: str | None, device: str, client: str
) -> LoginResult:
    _clear_failures(f"account:{account.pk}", f"ip:{ip}")
    _trust_ip(account, ip)
    account.last_login_at = clock.now()
    account.save(update_fields=["last_login_at"])
    _log(employee, Kind.LOGIN_SUCCESS, method=method, ip=ip, device=device, client=client)
    logs.login.info("login succeeded method=%s ip=%s client=%s", method, ip, client, extra=logs.who(employee))
    return LoginResult(account=account, employee=employee)


def login_with_password(
    *,
    login: str,
    password: str,
    enterprise_id: int | str | None = None,
    ip: str | None = None,
    device: str = "",
    client: str = "web",
    challenge_id: str | None = None,
    code: str | None = None,
) -> LoginResult:
    """Authenticate by login text + password and return a :class:`LoginResult`.

    Refusals: ``too_many_attempts`` (5 failures lock the account and the IP for 15 minutes),
    ``invalid_credentials``, ``enterprise_required``, ``account_disabled`` /
    ``account_resigned`` / ``account_not_activated``, ``verification_required`` (new IP).
    """
    with _attempt_logged("password", login=_masked_login(login), ip=ip, client=client):
        return _login_with_password(
            login=login,
            password=password,
            enterprise_id=enterprise_id,
            ip=ip,
            device=device,
            client=client,
            challenge_id=challenge_id,
            code=code,
        )


def _login_with_password(
    *,
    login: str,
    password: str,
    enterprise_id: int | str | None,
    ip: str | None,
    device: str,
    client: str,
    challenge_id: str | None,
    code: str | None,
) -> LoginResult:
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
        raise BusinessError(codes.INVALID_CREDENTIALS, _("账号或密码错误"), status=401)
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
                codes.VERIFICATION_REQUIRED,
                _("为了安全起见，新IP首次登录需输入短信验证码"),
                status=409,
                details={"challenge_id": challenge, "phone": mask_phone(account.phone)},
            )
    # An invitation is accepted only now, when every check of the login has passed.
    employee = _enter(account, employee, ip=ip, device=device, client=client)
    return _succeed(account, employee, method="password", ip=ip, device=device, client=client)


def login_code_send(*, phone: str) -> None:
    """Send a login code; answers the same whether or not the phone has an account."""
    phone = _require_mobile(phone)
    known = Account.objects.filter(phone=phone).exists()
    code_send(phone=phone, purpose=Purpose.LOGIN, deliver=known)
    return None


def login_with_code(
    *,
    phone: str,
    code: str,
    enterprise_id: int | str | None = None,
    ip: str | None = None,
    device: str = "",
    client: str = "web",
) -> LoginResult:
    """Authenticate by phone + SMS code (TEN-06). The code is itself the second factor."""
    with _attempt_logged("sms", login=_masked_login(phone), ip=ip, client=client):
        return _login_with_code(
            phone=phone, code=code, enterprise_id=enterprise_id, ip=ip, device=device, client=client
        )


def _login_with_code(
    *, phone: str, code: str, enterprise_id: int | str | None, ip: str | None, device: str, client: str
) -> LoginResult:
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
        raise BusinessError(codes.INVALID_CREDENTIALS, _("该手机号未注册"), status=401)
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


def switch_enterprise(*, account: Account, enterprise_id: int | str | None) -> Employee:
    """Return the account's employee in another enterprise (switch without a new login)."""
    employee = _choose_membership(account, enterprise_id)
    check_password_opens(account, employee.tenant_id)
    return _enter(account, employee)
