"""Registration (SPEC TEN-01): the registration code, and a new enterprise with its system roles
and its super admin — a phone that already has an account joins with that account's password."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tidecrm.accounts.codes import code_send, code_verify
from tidecrm.accounts.credentials import validate_password
from tidecrm.accounts.models import Account, TrustedIP
from tidecrm.core import clock, codes, hooks, timeline
from tidecrm.core.errors import BusinessError, ValidationFailed
from tidecrm.core.models import Tenant
from tidecrm.core.tenancy import tenant_context
from tidecrm.org import services as org_services

from .. import verbs
from ._common import (
    Kind,
    LoginResult,
    Purpose,
    _log,
    _require_mobile,
    check_password_opens,
)

AGREEMENT_VERSION = "2026-11"


def registration_code_send(*, phone: str) -> str:
    """Send a registration code to ``phone`` (TEN-02); return its ``challenge_id``."""
    phone = _require_mobile(phone)
    return code_send(phone=phone, purpose=Purpose.REGISTER)


def enterprise_register(
    *,
    enterprise_name: str,
    admin_name: str,
    phone: str,
    password: str,
    code: str | None = None,
    email: str | None = None,
    ip: str | None = None,
    device: str = "",
    client: str = "web",
) -> LoginResult:
    """Create an enterprise, its system roles and its super admin; return a :class:`LoginResult`.

    A phone that already has an account joins the new enterprise with that account, provided
    the password is that account's (else ``phone_registered``).
    """
    errors: dict[str, list[str]] = {}
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
                codes.PHONE_REGISTERED, _("该手机号已注册，请输入该账号的登录密码以创建新企业"), status=409
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
                raise BusinessError(codes.PHONE_REGISTERED, _("该手机号已注册"), status=409)
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
            for seed in hooks.each(hooks.TENANT_CREATED):  # defaults of every module
                seed()
            timeline.record(
                actor=employee, verb=verbs.ENTERPRISE_REGISTERED, obj=tenant, object_type="tenant"
            )
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
