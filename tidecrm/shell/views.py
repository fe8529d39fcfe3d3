"""Shell pages: the workbench (工作台) and the settings home."""

import json

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tidecrm.accounts.web import sudo_required
from tidecrm.core.errors import BusinessError, NotFound, PermissionDenied, ValidationFailed
from tidecrm.core.pagination import Page, clamp_page
from tidecrm.core.web import is_htmx, login_required, parse_int
from tidecrm.org import services as org_services
from tidecrm.org.models import Employee
from tidecrm.signin import services as account_services
from tidecrm.signin.middleware import client_ip

# The workbench's module cards: (icon, avatar colour, title, what it holds).
WORKBENCH_MODULES = (
    ("ti-target-arrow", "bg-primary-lt", gettext_lazy("线索"), gettext_lazy("待分配、销售线索与公共线索池")),
    ("ti-users", "bg-green-lt", gettext_lazy("客户"), gettext_lazy("我的客户、公海与客户旅程")),
    ("ti-briefcase", "bg-orange-lt", gettext_lazy("商机与合同"), gettext_lazy("销售漏斗、合同审批与回款")),
    ("ti-chart-bar", "bg-purple-lt", gettext_lazy("统计"), gettext_lazy("员工报表、通话与转化分析")),
)


@login_required
def home(request):
    """The workbench (工作台): module overview, quick links, the caller's enterprise."""
    return render(request, "core/home.html", {"modules": WORKBENCH_MODULES, "nav_active": "home"})


@sudo_required
def settings_home(request):
    """企业设置: enterprise info, admin-console password, super-admin transfer, security log."""
    if not request.employee.is_admin:
        raise PermissionDenied()
    context = {
        "tenant": request.tenant,
        "seats_used": org_services.seats_used(request.tenant.pk),
        "transfer_candidates": Employee.objects.filter(status=Employee.Status.ACTIVE, deleted_at__isnull=True)
        .exclude(pk=request.employee.pk)
        .order_by("name"),
    }
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "hierarchy":
                org_services.hierarchy_visibility_set(
                    actor=request.employee, enabled=bool(request.POST.get("enabled"))
                )
                messages.success(request, _("数据权限设置已保存"))
                return redirect("settings_home")
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
                to_employee_id = parse_int(request.POST.get("to_employee_id"))
                if not to_employee_id:
                    raise ValidationFailed({"to_employee_id": [_("请选择新的超级管理员")]})
                target = account_services.owner_transfer(
                    actor=request.employee,
                    to_employee_id=to_employee_id,
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


# ---------------------------------------------------------------- component gallery (DEBUG only)

_DEMO_NAMES = ("杭州云帆科技", "宁波海曙贸易", "温州瓯江电器", "绍兴柯桥纺织", "嘉兴南湖食品", "湖州安吉竹业")
_DEMO_ROWS = [
    {
        "id": number,
        "name": f"{_DEMO_NAMES[number % 6]}有限公司（示例{number}）",
        "phone": f"1380000{number:04d}",
    }
    for number in range(1, 46)
]


@login_required
def components_demo(request):
    """组件示例: the shared list (filters, bulk bar, pager, empty state), drawer and modal on fake rows.

    Only with DEBUG: a living reference for the module pages, and what the browser tests drive.
    """
    if not settings.DEBUG:
        raise NotFound()
    part = request.GET.get("part")
    if part == "drawer":
        row = next((row for row in _DEMO_ROWS if str(row["id"]) == request.GET.get("row")), None)
        if row is None:
            raise NotFound()
        return render(request, "core/_components_demo_drawer.html", {"row": row})
    if part == "modal":
        ids = set(request.POST.getlist("ids") or request.GET.getlist("ids"))
        chosen = [row for row in _DEMO_ROWS if str(row["id"]) in ids]
        if request.method == "POST":
            response = render(
                request,
                "components/toast.html",
                {"level": "success", "text": _("已处理 %(n)s 条示例数据") % {"n": len(chosen)}},
            )
            response["HX-Retarget"] = "#toasts"
            response["HX-Reswap"] = "beforeend"
            # After the swap: closing the modal first would detach the form that asked, and htmx
            # would then not find #toasts from it.
            response["HX-Trigger-After-Swap"] = json.dumps({"modal-close": True, "demo-changed": True})
            return response
        return render(request, "core/_components_demo_modal.html", {"chosen": chosen})
    query = (request.GET.get("q") or "").strip()
    rows = [row for row in _DEMO_ROWS if query in row["name"]] if query else _DEMO_ROWS
    number, size = clamp_page(request.GET.get("page"), request.GET.get("page_size"))
    start = (number - 1) * size
    page = Page(items=rows[start : start + size], total=len(rows), page=number, page_size=size)
    context = {"page": page, "query": query}
    template = "core/_components_demo_table.html" if is_htmx(request) else "core/components_demo.html"
    return render(request, template, context)
