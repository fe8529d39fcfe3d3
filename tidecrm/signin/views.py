"""Pages: login (password / SMS code), register, forgot password, account settings, sudo,
security log, enterprise switch. Thin callers of ``services`` and ``selectors``."""

import json
import re
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tidecrm.accounts.codes import RESEND_AFTER
from tidecrm.accounts.models import SecurityEvent
from tidecrm.accounts.sessions import session_logout, sudo_mark
from tidecrm.accounts.web import sudo_required
from tidecrm.core import codes
from tidecrm.core.errors import BusinessError, NotFound, PermissionDenied, Throttled, ValidationFailed
from tidecrm.core.normalize import is_mobile, normalize_phone
from tidecrm.core.pagination import paginate
from tidecrm.core.web import is_htmx, login_required, parse_int, safe_next
from tidecrm.integrations.sms import sandbox_outbox

from . import selectors, services
from .middleware import client_ip, device_of
from .sessions import session_login, session_switch


def _error_context(error):
    """Split a business error into a top message and per-field messages for a form."""
    fields = error.fields if isinstance(error, ValidationFailed) else {}
    return {"error": error, "field_errors": fields}


# Refusals on the login form that are a next step rather than an error (shown in blue, not red).
_LOGIN_NEXT_STEPS = {"enterprise_required", "verification_required"}


def _outbox(request):
    """Return the demo SMS outbox for the auth pages, or None when it is not shown (not DEBUG).

    It holds only the messages sent to the phone typed on the page (the form's ``phone`` or
    ``login``, or the same in the query), so the demo never shows another person's codes.
    """
    if not settings.SHOW_SMS_OUTBOX:  # DEBUG with the sandbox provider only (settings.py)
        return None
    typed = next(
        (
            source.get(name)
            for source in (request.POST, request.GET)
            for name in ("phone", "login")
            if source.get(name)
        ),
        "",
    )
    phone = normalize_phone(typed)
    return sandbox_outbox(phone if is_mobile(phone) else None, limit=5)


def login_page(request):
    """Log in by password or SMS code; asks for the enterprise and the new-IP code when needed."""
    if request.employee is not None and request.method == "GET":
        return redirect(safe_next(request))
    mode = request.POST.get("mode") or request.GET.get("mode") or "password"
    context = {"mode": mode, "values": request.POST, "next": safe_next(request, "")}
    if request.method == "POST":
        if not request.POST.get("agree"):
            context.update(_error_context(ValidationFailed({"agree": [_("请阅读并同意服务协议和隐私协议")]})))
        else:
            try:
                common = {
                    "enterprise_id": request.POST.get("enterprise_id") or None,
                    "ip": client_ip(request),
                    "device": device_of(request),
                }
                if mode == "sms":
                    result = services.login_with_code(
                        phone=request.POST.get("phone", ""), code=request.POST.get("code", ""), **common
                    )
                else:
                    result = services.login_with_password(
                        login=request.POST.get("login", ""),
                        password=request.POST.get("password", ""),
                        challenge_id=request.POST.get("challenge_id") or None,
                        code=request.POST.get("code") or None,
                        **common,
                    )
            except BusinessError as error:
                context.update(_error_context(error))
                if error.code in _LOGIN_NEXT_STEPS:
                    context["error_level"] = "info"
                if error.code == codes.ENTERPRISE_REQUIRED:
                    context["enterprises"] = error.details["enterprises"]
                if error.code == codes.VERIFICATION_REQUIRED:
                    context["challenge"] = error.details
            else:
                session_login(request, result.employee)
                if result.employee.must_change_password:
                    messages.info(request, _("首次登录，请先修改初始密码"))
                    return redirect("account")
                pending = services.invitations(result.account)
                if pending:
                    messages.info(
                        request,
                        _("有 %(n)s 个企业邀请您加入，请在「个人设置」中查看") % {"n": len(pending)},
                    )
                return redirect(safe_next(request))
    context["outbox"] = _outbox(request)
    return render(request, "accounts/login.html", context)


@require_POST
def send_code(request):
    """Send an SMS code (login / register / reset) and answer with a small status partial."""
    purpose = request.POST.get("purpose", "login")
    phone = request.POST.get("phone") or request.POST.get("login") or ""
    try:
        if purpose == "register":
            services.registration_code_send(phone=phone)
        elif purpose == "reset":
            services.password_reset_code_send(login=phone)
        else:
            services.login_code_send(phone=phone)
    except BusinessError as error:
        text = (
            error.fields.get("phone", [error.message])[0]
            if isinstance(error, ValidationFailed)
            else error.message
        )
        response = render(request, "accounts/_code_status.html", {"ok": False, "text": text})
        if isinstance(error, Throttled) and error.details.get("retry_after"):
            _count_down(response, error.details["retry_after"])
        return response
    response = render(
        request,
        "accounts/_code_status.html",
        {"ok": True, "text": _("验证码已发送，5分钟内有效"), "outbox": _outbox(request)},
    )
    return _count_down(response, RESEND_AFTER.total_seconds())


def _count_down(response, seconds):
    """Tell the code button (htmx event ``code-wait``) to wait ``seconds`` before the next send."""
    response["HX-Trigger"] = json.dumps({"code-wait": {"seconds": int(seconds)}})
    return response


def register_page(request):
    context = {"values": request.POST, "requires_code": settings.REGISTRATION_REQUIRES_CODE}
    if request.method == "POST":
        errors = {}
        if request.POST.get("password") != request.POST.get("password_confirm"):
            errors["password_confirm"] = [_("两次输入的密码不一致")]
        if not request.POST.get("agree"):
            errors["agree"] = [_("请阅读并同意服务协议和隐私协议")]
        try:
            if errors:
                raise ValidationFailed(errors)
            result = services.enterprise_register(
                enterprise_name=request.POST.get("enterprise_name", ""),
                admin_name=request.POST.get("admin_name", ""),
                phone=request.POST.get("phone", ""),
                password=request.POST.get("password", ""),
                email=request.POST.get("email") or None,
                code=request.POST.get("code") or None,
                ip=client_ip(request),
                device=device_of(request),
            )
        except BusinessError as error:
            context.update(_error_context(error))
        else:
            session_login(request, result.employee)
            messages.success(
                request,
                _("企业「%(name)s」创建成功，欢迎使用潮汐CRM！") % {"name": result.employee.tenant.name},
            )
            return redirect("home")
    context["outbox"] = _outbox(request)
    return render(request, "accounts/register.html", context)


def forgot_password_page(request):
    context = {"values": request.POST}
    if request.method == "POST":
        errors = {}
        if request.POST.get("new_password") != request.POST.get("password_confirm"):
            errors["password_confirm"] = [_("两次输入的密码不一致")]
        try:
            if errors:
                raise ValidationFailed(errors)
            services.password_reset(
                login=request.POST.get("login", ""),
                code=request.POST.get("code", ""),
                new_password=request.POST.get("new_password", ""),
                ip=client_ip(request),
                device=device_of(request),
            )
        except BusinessError as error:
            context.update(_error_context(error))
        else:
            messages.success(request, _("密码已重置，请用新密码登录"))
            return redirect("login")
    context["outbox"] = _outbox(request)
    return render(request, "accounts/forgot_password.html", context)


@require_POST
def logout_view(request):
    session_logout(request)
    return redirect("login")


@require_POST
@login_required
def switch_enterprise(request, enterprise_id):
    """Move the session to another enterprise of the same account (the header's switcher)."""
    try:
        employee = services.switch_enterprise(account=request.account, enterprise_id=enterprise_id)
    except BusinessError as error:
        if error.code == codes.INVALID_CREDENTIALS:
            raise NotFound()  # not one of the caller's enterprises: the same answer as a missing one
        messages.error(request, error.message)  # e.g. disabled or frozen there: stay where we are
        return redirect("home")
    session_switch(request, employee)
    messages.success(request, _("已切换到「%(name)s」") % {"name": employee.tenant.name})
    return redirect("home")


@login_required
def account_page(request):
    """Personal settings (TEN-23): profile, password change, personal API tokens."""
    context = {
        "tokens": selectors.token_list(actor=request.employee).filter(revoked_at__isnull=True),
        "invitations": services.invitations(request.account),
    }
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "invitation_decline":
                enterprise_id = parse_int(request.POST.get("enterprise_id"))
                if not enterprise_id:
                    raise NotFound()
                services.invitation_decline(
                    account=request.account, enterprise_id=enterprise_id, ip=client_ip(request)
                )
                messages.success(request, _("已拒绝该企业的邀请"))
                return redirect("account")
            if action == "password":
                if request.POST.get("new_password") != request.POST.get("password_confirm"):
                    raise ValidationFailed({"password_confirm": [_("两次输入的密码不一致")]})
                services.password_change(
                    employee=request.employee,
                    old_password=request.POST.get("old_password", ""),
                    new_password=request.POST.get("new_password", ""),
                    ip=client_ip(request),
                )
                session_login(
                    request,
                    request.employee.__class__.unscoped.select_related("tenant", "account").get(
                        pk=request.employee.pk
                    ),
                )
                messages.success(request, _("密码已修改"))
                return redirect("account")
            if action == "token_create":
                _token, raw = services.token_create(
                    actor=request.employee, name=request.POST.get("name", ""), ip=client_ip(request)
                )
                context["new_token"] = raw
            elif action == "token_revoke":
                token_id = parse_int(request.POST.get("token_id"))
                if not token_id:
                    raise NotFound()
                services.token_revoke(actor=request.employee, token_id=token_id, ip=client_ip(request))
                messages.success(request, _("令牌已撤销"))
                return redirect("account")
        except BusinessError as error:
            context.update(_error_context(error))
            context["failed_action"] = action
    return render(request, "accounts/account.html", context)


@login_required
def sudo_page(request):
    """Re-authenticate before entering enterprise settings (sudo mode, 30 minutes)."""
    if not request.employee.is_admin:
        raise PermissionDenied()  # only admins have settings to enter: no password form for others
    context = {
        "next": safe_next(request, reverse("settings_home")),
        "uses_admin_password": request.tenant.admin_password_enabled,
    }
    if request.method == "POST":
        try:
            services.sudo_enter(
                employee=request.employee,
                password=request.POST.get("password", ""),
                ip=client_ip(request),
                device=device_of(request),
            )
        except BusinessError as error:
            context.update(_error_context(error))
        else:
            sudo_mark(request)
            return redirect(context["next"])
    return render(request, "accounts/sudo.html", context)


_METHOD_LABELS = {
    "password": gettext_lazy("密码"),
    "sms": gettext_lazy("短信验证码"),
    "register": gettext_lazy("注册"),
    "token": gettext_lazy("API 令牌"),
}
# The services write these fixed texts into SecurityEvent.detail; show them in the page's language.
_DETAIL_LABELS = {"注册企业": gettext_lazy("注册企业"), "密码错误": gettext_lazy("密码错误")}
_BROWSERS = (
    ("MicroMessenger", gettext_lazy("微信")),
    ("DingTalk", gettext_lazy("钉钉")),
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Windows", "Windows"),
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def device_summary(user_agent):
    """Return a short "browser · system" for a User-Agent (the full text stays in the tooltip)."""
    if not user_agent:
        return "—"
    browser = next((str(name) for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    if not browser and not system:
        # Scripts and API clients: "python-requests/2.32" → "python-requests".
        return re.split(r"[/\s]", user_agent, maxsplit=1)[0][:40]
    return " · ".join(part for part in (browser, system) if part)


@sudo_required
def security_log_page(request):
    """登录日志 / 安全日志 (TEN-20) with filters and paging."""
    filters = {
        "kind": request.GET.get("kind") or None,
        "employee_id": None,
        "date_from": None,
        "date_to": None,
        "success": {"1": True, "0": False}.get(request.GET.get("success", "")),
    }
    filters["employee_id"] = parse_int(request.GET.get("employee_id"))
    for name in ("date_from", "date_to"):
        try:
            filters[name] = date.fromisoformat(request.GET[name]) if request.GET.get(name) else None
        except ValueError:
            raise ValidationFailed({name: [_("日期格式应为 YYYY-MM-DD")]})
    events = selectors.security_event_list(actor=request.employee, **filters)
    page = paginate(events, page=request.GET.get("page"), page_size=request.GET.get("page_size"))
    for event in page.items:
        event.method_label = _METHOD_LABELS.get(event.method, event.method)
        event.detail_label = _DETAIL_LABELS.get(event.detail, event.detail)
        event.device_label = device_summary(event.device)
    context = {
        "page": page,
        "filters": filters,
        "kinds": SecurityEvent.Kind.choices,
        "nav_active": "settings",
    }
    template = "accounts/_security_log_table.html" if is_htmx(request) else "accounts/security_log.html"
    return render(request, template, context)
