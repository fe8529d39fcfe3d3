"""保有量设置 (HOLD-02/08): rules per object and every employee's usage."""

import json

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tidecrm.accounts.web import sudo_required
from tidecrm.core.errors import BusinessError, ValidationFailed
from tidecrm.core.web import page_permission_required
from tidecrm.org.models import Department, Employee

from . import holding


@page_permission_required("rules.holding_limits")
@sudo_required
def holding_limits(request):
    actor = request.employee
    if request.method == "POST":
        try:
            try:
                data = json.loads(request.POST.get("payload") or "{}")
            except ValueError:
                raise ValidationFailed(message=_("提交的内容有误，请刷新页面后重试"))
            holding.settings_put(actor=actor, data=data)
        except BusinessError as error:
            reasons = "；".join(m for ms in getattr(error, "fields", {}).values() for m in ms)
            messages.error(request, f"{error.message}：{reasons}" if reasons else error.message)
        else:
            messages.success(request, _("保有量设置已保存"))
        return redirect("holding_limits")
    employees = list(
        Employee.objects.filter(status=Employee.Status.ACTIVE, deleted_at__isnull=True).order_by("name")
    )
    context = {
        "nav_active": "settings",
        "settings_json": holding.settings_get(actor=actor),
        "employees": [{"id": e.pk, "name": e.name} for e in employees],
        "departments": list(Department.objects.order_by("path").values("id", "name")),
        "usage": holding.usage_table(employees),
        "max_rules": holding.MAX_CUSTOM_RULES,
    }
    return render(request, "rules/holding_limits.html", context)
