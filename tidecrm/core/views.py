"""Shell pages: the workbench (工作台) and the settings home."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tidecrm.accounts import services as account_services
from tidecrm.accounts.middleware import client_ip
from tidecrm.core.errors import BusinessError, PermissionDenied, ValidationFailed
from tidecrm.org.models import Employee

from .web import login_required, sudo_required


@login_required
def home(request):
    return render(request, "core/home.html", {})


@sudo_required
def settings_home(request):
    """企业设置: enterprise info, admin-console password, super-admin transfer, security log."""
    if not request.employee.is_admin:
        raise PermissionDenied()
    context = {
        "tenant": request.tenant,
        "employee_count": Employee.objects.filter(deleted_at__isnull=True)
        .exclude(status__in=[Employee.Status.DISABLED, Employee.Status.RESIGNED])
        .count(),
        "transfer_candidates": Employee.objects.filter(status=Employee.Status.ACTIVE, deleted_at__isnull=True)
        .exclude(pk=request.employee.pk)
        .order_by("name"),
    }
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "admin_password":
                account_services.admin_password_set(
                    actor=request.employee,
                    enabled=bool(request.POST.get("enabled")),
                    password=request.POST.get("password", ""),
                )
                messages.success(request, _("二次登录密码设置已保存"))
                return redirect("settings_home")
            if action == "transfer_code":
                account_services.owner_transfer_code_send(actor=request.employee)
                messages.info(request, _("验证码已发送到您的手机"))
                return redirect("settings_home")
            if action == "transfer":
                if not (request.POST.get("to_employee_id") or "").isdigit():
                    raise ValidationFailed({"to_employee_id": [_("请选择新的超级管理员")]})
                target = account_services.owner_transfer(
                    actor=request.employee,
                    to_employee_id=int(request.POST["to_employee_id"]),
                    code=request.POST.get("code", ""),
                    ip=client_ip(request),
                )
                messages.success(request, _("已将超级管理员转移给 %(name)s") % {"name": target.name})
                return redirect("settings_home")
        except BusinessError as error:
            context["error"] = error
            context["failed_action"] = action
            context["field_errors"] = error.fields if isinstance(error, ValidationFailed) else {}
    return render(request, "core/settings_home.html", context)
