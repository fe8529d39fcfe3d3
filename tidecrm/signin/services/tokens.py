"""API tokens (SPEC BEYOND-08): create one for oneself or, as an admin, for an employee one may act
as (``org.services.check_acting_as``); revoke; authenticate a raw token. Every token has a
lifetime, and a new password revokes them all (``credentials.revoke_tokens``)."""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from tidecrm.accounts.models import ApiToken
from tidecrm.core import clock, codes, logs
from tidecrm.core.errors import BusinessError, NotFound, PermissionDenied, ValidationFailed
from tidecrm.core.models import Tenant
from tidecrm.org import services as org_services
from tidecrm.org.models import Employee

from ._common import Kind, _log


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(
    *,
    actor: Employee,
    name: str | None,
    employee: Employee | None = None,
    expires_at: datetime | None = None,
    ip: str | None = None,
    lifetime_days: int | None = None,
) -> tuple[ApiToken, str]:
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
    logs.login.info(
        "token issued token=%s for employee=%s issued_by=%s expires_at=%s ip=%s",
        token.pk,
        employee.pk,
        issued_by or "-",
        expires_at.isoformat(),
        ip,
        extra=logs.who(actor),
    )
    return token, raw


def _check_may_mint_for(actor: Employee, employee: Employee) -> None:
    """A token for someone else acts as them: only for an active, joined employee whose account
    the actor administers and whose rights the actor holds (as for a password reset); never the
    super admin's, except by the super admin."""
    if employee.is_super_admin:
        raise PermissionDenied(message=_("不能为超级管理员创建令牌"))
    if employee.status != Employee.Status.ACTIVE or employee.invitation:
        raise BusinessError(codes.EMPLOYEE_NOT_ACTIVE, _("只能为在职且已启用的员工创建令牌"), status=409)
    org_services.check_acting_as(actor=actor, employee=employee)


def token_revoke(*, actor: Employee, token_id: int, ip: str | None = None) -> ApiToken:
    """Revoke one live token of the actor's own, or any as a holder of 管理API令牌 (404 otherwise)."""
    token = ApiToken.objects.filter(pk=token_id, revoked_at__isnull=True).select_related("employee").first()
    if token is None or (token.employee_id != actor.pk and not actor.has_permission("settings.api_tokens")):
        raise NotFound()
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    _log(actor, Kind.TOKEN_REVOKED, ip=ip, detail=token.name)
    logs.login.info(
        "token revoked token=%s of employee=%s ip=%s", token.pk, token.employee_id, ip, extra=logs.who(actor)
    )
    return token


def token_authenticate(raw: str | None) -> Employee | None:
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
        # The organisation stamp comes with the tenant: the scope cache's key (org.scopes).
        .select_related("employee__tenant__organisation_version", "employee__account")
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
