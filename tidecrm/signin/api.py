"""Open API: registration, tokens, the caller, API tokens, security log, super-admin transfer."""

from datetime import date

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from tidecrm.accounts.models import SecurityEvent
from tidecrm.core.api import ErrorOut, Id, PageOut, enum_of
from tidecrm.core.errors import NotFound, PermissionDenied
from tidecrm.core.pagination import paginate
from tidecrm.core.tenancy import tenant_context
from tidecrm.org.models import Employee

from . import selectors, services
from .middleware import client_ip, device_of
from .schemas import (
    ApiTokenCreatedOut,
    ApiTokenIn,
    ApiTokenOut,
    CodeIn,
    CodeOut,
    InvitationAcceptedOut,
    InvitationOut,
    LoginOut,
    MeOut,
    PasswordChangeIn,
    PasswordResetIn,
    RegisterIn,
    SecurityEventOut,
    SmsTokenIn,
    TokenIn,
    TransferIn,
)

router = Router(tags=["accounts"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def enterprise_out(tenant):
    return {"id": tenant.pk, "name": tenant.name, "code": tenant.code, "status": tenant.status}


def employee_out(employee):
    return {
        "id": employee.pk,
        "name": employee.name,
        "phone": employee.phone,
        "email": employee.email,
        "username": employee.username,
        "title": employee.title,
        "status": employee.status,
        "is_super_admin": employee.is_super_admin,
    }


def _login_answer(request, result):
    """Issue a token for a fresh login (the request had no tenant until now)."""
    employee = result.employee
    with tenant_context(employee.tenant):
        _token, raw = services.token_create(
            actor=employee,
            name=_("API 登录"),
            ip=client_ip(request),
            lifetime_days=settings.API_LOGIN_TOKEN_DAYS,
        )
        return {
            "token": raw,
            "employee": employee_out(employee),
            "enterprise": enterprise_out(employee.tenant),
        }


@router.post("/auth/register", auth=None, response={201: LoginOut, **ERRORS})
def register(request, payload: RegisterIn):
    """Create an enterprise and its super admin (TEN-01)."""
    result = services.enterprise_register(
        **payload.dict(), ip=client_ip(request), device=device_of(request), client="api"
    )
    return Status(201, _login_answer(request, result))


@router.post("/auth/token", auth=None, response={200: LoginOut, **ERRORS})
def token(request, payload: TokenIn):
    """Log in with phone / e-mail / username + password and get a Bearer token."""
    result = services.login_with_password(
        **payload.dict(), ip=client_ip(request), device=device_of(request), client="api"
    )
    return _login_answer(request, result)


@router.post("/auth/token/sms", auth=None, response={200: LoginOut, **ERRORS})
def token_by_sms(request, payload: SmsTokenIn):
    """Log in with phone + SMS code (TEN-06)."""
    result = services.login_with_code(
        **payload.dict(), ip=client_ip(request), device=device_of(request), client="api"
    )
    return _login_answer(request, result)


@router.post("/auth/sms-code", auth=None, response={202: CodeOut, **ERRORS})
def sms_code(request, payload: CodeIn):
    """Send a verification code for login, registration or password reset.

    The answer is the same whether or not the number has an account.
    """
    if payload.purpose == "login":
        services.login_code_send(phone=payload.phone)
    elif payload.purpose == "register":
        services.registration_code_send(phone=payload.phone)
    else:
        services.password_reset_code_send(login=payload.phone)
    return Status(202, {"sent": True, "message": _("如果该号码已注册，验证码已发送，5分钟内有效")})


@router.post("/auth/password-reset", auth=None, response={204: None, **ERRORS})
def password_reset(request, payload: PasswordResetIn):
    services.password_reset(**payload.dict(), ip=client_ip(request), device=device_of(request))
    return Status(204, None)


@router.get("/me", response={200: MeOut, **ERRORS})
def me(request):
    """The calling employee, its enterprise, roles and effective permissions."""
    employee = request.employee
    return {
        "employee": employee_out(employee),
        "enterprise": enterprise_out(employee.tenant),
        # A 代建 token sees only its own enterprise of the person's account.
        "enterprises": [enterprise_out(employee.tenant)]
        if getattr(employee, "token_issued_by", None)
        else [enterprise_out(e.tenant) for e in services.memberships(employee.account)],
        "roles": [role.name for role in employee.role_list],
        "permissions": sorted(employee.permission_codes),
        "must_change_password": employee.must_change_password,
    }


def _own_account(request):
    """The caller's account for account-wide calls (its enterprises, invitations, password).

    A token an admin created for the employee (代建) acts in that enterprise only: 403 here.
    """
    if getattr(request.employee, "token_issued_by", None):
        raise PermissionDenied(message=_("管理员代建的令牌只能用于本企业的业务接口，不能操作个人账号"))
    return request.employee.account


def invitation_out(employee):
    return {
        "enterprise": enterprise_out(employee.tenant),
        "employee_id": employee.pk,
        "name": employee.name,
        "title": employee.title,
        "invited_at": employee.created_at,
    }


@router.get("/me/invitations", response={200: list[InvitationOut], **ERRORS})
def invitations(request):
    """Enterprises that invited the caller's account and wait for an answer (issue 11)."""
    return [invitation_out(e) for e in services.invitations(_own_account(request))]


@router.post("/me/invitations/{int:enterprise_id}/accept", response={200: InvitationAcceptedOut, **ERRORS})
def invitation_accept(request, enterprise_id: int):
    """Join the inviting enterprise; the caller's token stays in its own enterprise.

    Log in there with ``enterprise_id`` (the same password) to work in it. 404 without such an
    invitation; 409 ``seats_full`` when the enterprise has no free seat (nothing changes).
    """
    employee = services.invitation_accept(
        account=_own_account(request),
        enterprise_id=enterprise_id,
        ip=client_ip(request),
        device=device_of(request),
        client="api",
    )
    return {"enterprise": enterprise_out(employee.tenant), "employee": employee_out(employee)}


@router.post("/me/invitations/{int:enterprise_id}/decline", response={204: None, **ERRORS})
def invitation_decline(request, enterprise_id: int):
    services.invitation_decline(
        account=_own_account(request),
        enterprise_id=enterprise_id,
        ip=client_ip(request),
        device=device_of(request),
        client="api",
    )
    return Status(204, None)


@router.post("/me/password", response={204: None, **ERRORS})
def change_password(request, payload: PasswordChangeIn):
    _own_account(request)
    services.password_change(employee=request.employee, **payload.dict(), ip=client_ip(request))
    return Status(204, None)


def token_out(token):
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "employee_id": token.employee_id,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    }


@router.get("/me/tokens", response={200: list[ApiTokenOut], **ERRORS})
def tokens(request, all: bool = False):  # noqa: A002 - the query parameter's public name
    return [token_out(t) for t in selectors.token_list(actor=request.employee, all_employees=all)]


@router.post("/me/tokens", response={201: ApiTokenCreatedOut, **ERRORS})
def token_create(request, payload: ApiTokenIn):
    """Create a per-employee API token; the token text is shown only in this answer."""
    employee = None
    if payload.employee_id and payload.employee_id != request.employee.pk:
        employee = Employee.objects.filter(pk=payload.employee_id, deleted_at__isnull=True).first()
        if employee is None:
            raise NotFound()
    token, raw = services.token_create(
        actor=request.employee,
        name=payload.name,
        employee=employee,
        expires_at=payload.expires_at,
        ip=client_ip(request),
    )
    return Status(201, {**token_out(token), "token": raw})


@router.delete("/me/tokens/{int:token_id}", response={204: None, **ERRORS})
def token_revoke(request, token_id: int):
    services.token_revoke(actor=request.employee, token_id=token_id, ip=client_ip(request))
    return Status(204, None)


class SecurityLogFilters(Schema):
    kind: str | None = enum_of(SecurityEvent.Kind.choices, None)
    employee_id: Id | None = None
    date_from: date | None = None
    date_to: date | None = None
    success: bool | None = None
    page: int = 1
    page_size: int = 20


def security_event_out(event):
    return {
        "id": event.pk,
        "created_at": event.created_at,
        "employee_id": event.employee_id,
        "employee_name": event.employee.name if event.employee else None,
        "kind": event.kind,
        "kind_label": str(SecurityEvent.Kind(event.kind).label),
        "success": event.success,
        "method": event.method,
        "ip": event.ip,
        "device": event.device,
        "client": event.client,
        "detail": event.detail,
    }


@router.get("/security-log", response={200: PageOut[SecurityEventOut], **ERRORS})
def security_log(request, filters: Query[SecurityLogFilters]):
    """The enterprise's security log (登录日志, TEN-20): admins only."""
    data = filters.dict()
    page, page_size = data.pop("page"), data.pop("page_size")
    events = selectors.security_event_list(actor=request.employee, **data)
    return paginate(events, page=page, page_size=page_size).as_dict(security_event_out)


@router.post("/enterprise/transfer/code", response={202: CodeOut, **ERRORS})
def transfer_code(request):
    services.owner_transfer_code_send(actor=request.employee)
    return Status(202, {"sent": True, "message": _("验证码已发送到超级管理员手机")})


@router.post("/enterprise/transfer", response={200: MeOut, **ERRORS})
def transfer(request, payload: TransferIn):
    """Transfer the super admin to another active employee (TEN-16)."""
    services.owner_transfer(actor=request.employee, **payload.dict(), ip=client_ip(request))
    request.employee.tenant.refresh_from_db()
    request.employee.__dict__.pop("role_list", None)
    request.employee.__dict__.pop("permission_codes", None)
    return me(request)
