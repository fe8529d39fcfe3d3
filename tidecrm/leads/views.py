"""Lead pages: 待分配线索 / 销售线索 / 公共线索池 (LEAD-02/09/21), the drawer (LEAD-10), the new-lead
modal and the lead-rule settings. Thin: parse, call one selector or service, render."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tidecrm.accounts.web import sudo_required
from tidecrm.core import timeline
from tidecrm.core.errors import BusinessError, ValidationFailed
from tidecrm.core.pagination import paginate
from tidecrm.core.web import (
    add_toast,
    bulk_summary,
    error_text,
    is_htmx,
    login_required,
    page_permission_required,
    parse_date,
    parse_ids,
    parse_int,
    parse_local_datetime,
    toast_response,
)
from tidecrm.customers.models import Followup
from tidecrm.rules import holding

from . import exports, selectors, services
from .access import access_lead
from .models import Lead

State = Lead.State
TABS = (
    (State.UNALLOCATED, gettext_lazy("待分配线索"), "lead.allocate"),
    (State.OWNED, gettext_lazy("销售线索"), None),
    (State.POOL, gettext_lazy("公共线索池"), None),
)
# Bulk actions per container: (action, label, button style).
BULK = {
    State.UNALLOCATED: (
        ("allocate", gettext_lazy("批量分配"), "primary"),
        ("delete", gettext_lazy("批量删除"), "danger"),
    ),
    State.OWNED: (
        ("recycle", gettext_lazy("批量回收"), "secondary"),
        ("release", gettext_lazy("批量放弃"), "warning"),
    ),
    State.POOL: (
        ("claim", gettext_lazy("批量领取"), "primary"),
        ("delete", gettext_lazy("批量删除"), "danger"),
    ),
}
EXPORT_URLS = {
    State.UNALLOCATED: "lead_pending_export",
    State.OWNED: "lead_export",
    State.POOL: "lead_pool_export",
}
BULK_SERVICES = {
    "allocate": services.leads_allocate,
    "recycle": services.leads_recycle,
    "release": services.leads_release,
    "claim": services.leads_claim,
    "delete": services.leads_delete,
}
# The drawer's one-lead actions; a refusal raises and becomes a toast (BusinessErrorMiddleware).
SINGLE_SERVICES = {
    "release": services.lead_release,
    "recycle": services.lead_recycle,
    "claim": services.lead_claim,
    "delete": services.lead_delete,
}
BULK_DONE = {
    "allocate": gettext_lazy("已分配 %(n)s 条线索"),
    "recycle": gettext_lazy("已回收 %(n)s 条线索"),
    "release": gettext_lazy("已放弃 %(n)s 条线索，已进入公共线索池"),
    "claim": gettext_lazy("已领取 %(n)s 条线索"),
    "delete": gettext_lazy("已删除 %(n)s 条线索"),
}


def _filters(request):
    """Return the list filters of the query string, as the filter form shows them."""
    return {
        "q": (request.GET.get("q") or "").strip(),
        "status": request.GET.get("status") if request.GET.get("status") in Lead.Status.values else "",
        "created_from": parse_date(request.GET.get("created_from")),
        "created_to": parse_date(request.GET.get("created_to")),
    }


def _selected(filters):
    """Return ``filters`` as ``selectors.lead_list`` takes them (empty means no filter)."""
    return {name: value or None for name, value in filters.items()}


def _toast(text, level="success", *, close=None):
    """A toast that also refreshes the lead table."""
    return toast_response(text, level, trigger="leads-changed", close=close)


def summary(result, done_format):
    return bulk_summary(result, done_format, _("，%(n)s 条未处理：%(why)s"))


@login_required
def lead_list(request, state=State.OWNED):
    """One of the three containers, with filters, bulk actions, paging and the holding display."""
    actor = request.employee
    filters = _filters(request)
    leads = selectors.lead_list(actor=actor, state=state, **_selected(filters))
    page = paginate(leads, page=request.GET.get("page"), page_size=request.GET.get("page_size"))
    for lead in page.items:
        lead.shown = selectors.contact_fields(lead)
    held, limit = holding.usage(actor, "lead")
    context = {
        "nav_active": "leads",
        "state": state,
        "tabs": [(s, label) for s, label, code in TABS if code is None or actor.has_permission(code)],
        "page": page,
        "filters": filters,
        "statuses": Lead.Status.choices,
        "bulk": [b for b in BULK[state] if actor.has_permission(f"lead.{b[0]}")],
        "held": held,
        "limit": limit,
        "can_create": actor.has_permission("lead.create"),
        "can_import": actor.has_permission("lead.import"),
        "can_export": actor.has_permission("lead.export"),
        "export_url": reverse(EXPORT_URLS[state]),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "lead-table":
        return render(request, "leads/_table.html", context)
    return render(request, "leads/list.html", context)


@page_permission_required("lead.export")
def lead_export(request, state=State.OWNED):
    """导出: the container's xlsx with the filters of the list page (the query string)."""
    return exports.lead_export(actor=request.employee, state=state, **_selected(_filters(request)))


@login_required
@require_POST
def lead_bulk(request, action):
    """Run a batch action on the ticked leads and answer with a toast (per-record outcomes)."""
    if action not in BULK_SERVICES:
        raise ValidationFailed(message=_("未知操作"))
    ids = parse_ids(request.POST.getlist("lead_ids"))
    if not ids:
        raise ValidationFailed(message=_("请先选择线索"))
    kwargs = {"actor": request.employee, "ids": ids}
    if action == "allocate":
        kwargs["employee_id"] = parse_int(request.POST.get("employee_id"))
        if kwargs["employee_id"] is None:  # first step: choose whom to allocate to
            return render(request, "leads/_allocate_modal.html", _allocate_context(request, ids))
    if action in ("recycle", "release"):
        kwargs["reason"] = request.POST.get("reason", "")
    result = BULK_SERVICES[action](**kwargs)
    return _toast(
        summary(result, BULK_DONE[action]), "warning" if result["failed"] else "success", close="modal"
    )


def _allocate_context(request, ids):
    return {
        "lead_ids": ids,
    }


@login_required
def lead_create(request):
    """新建线索 modal (LEAD-03/11): the pending list creates unallocated leads, the others own ones."""
    context = {"values": request.POST, "to_me": request.GET.get("to_me") or request.POST.get("to_me")}
    if request.method == "POST":
        try:
            services.lead_create(
                actor=request.employee,
                to_me=bool(context["to_me"]),
                **{f: request.POST.get(f, "") for f in ("phone", *services.EDITABLE)},
            )
        except BusinessError as error:
            context.update(error=error, field_errors=getattr(error, "fields", {}))
            return render(request, "leads/_create_modal.html", context, status=422)
        return _toast(_("线索已创建"), close="modal")
    return render(request, "leads/_create_modal.html", context)


@login_required
def lead_drawer(request, lead_id):
    """线索详情 (LEAD-10): fields (masked in the pool), actions by state and status, history."""
    lead = access_lead(request.employee, lead_id)
    lead.shown = selectors.contact_fields(lead)
    context = {
        "lead": lead,
        "events": timeline.events_for(object_type="lead", object_id=lead.pk)[:20],
        "status_labels": dict(Lead.Status.choices),
        "followups": selectors.followups_of(lead)[:20],
        "methods": Followup.Method.choices,
        **services.status_actions(request.employee, lead),
    }
    return render(request, "leads/_drawer.html", context)


@login_required
@require_POST
def lead_action(request, lead_id, action):
    """Drawer actions: 待回访, 无效, 放弃, 回收, 领取, 删除; refusals become a toast."""
    actor = request.employee
    # The drawer names a lead the caller had on screen: one gone from their sight (claimed by
    # someone else meanwhile) is 404, as the drawer itself would be.
    access_lead(actor, lead_id)
    if action in ("callback", "invalid"):
        services.lead_set_status(actor=actor, lead_id=lead_id, status=action)
        text = _("已标记为%(s)s") % {"s": Lead.Status(action).label}
    elif action in SINGLE_SERVICES:
        SINGLE_SERVICES[action](actor=actor, lead_id=lead_id)
        text = BULK_DONE[action] % {"n": 1}
    else:
        raise ValidationFailed(message=_("未知操作"))
    if action in ("release", "recycle", "delete"):
        return _toast(text, close="drawer")
    # The drawer again, now in its new state.
    return add_toast(lead_drawer(request, lead_id), request, text, trigger="leads-changed")


@login_required
@require_POST
def lead_followup(request, lead_id):
    """添加跟进 from the drawer: the drawer comes back with the new record, or the form's errors."""
    next_at = parse_local_datetime(request.POST.get("next_followup_at"))
    try:
        services.lead_followup_add(
            actor=request.employee,
            lead_id=lead_id,
            content=request.POST.get("content", ""),
            method=request.POST.get("method", "call"),
            next_followup_at=next_at,
        )
    except ValidationFailed as error:
        raise ValidationFailed(error.fields, message=error_text(error)) from None
    return add_toast(lead_drawer(request, lead_id), request, _("已添加跟进记录"), trigger="leads-changed")


@login_required
def lead_convert(request, lead_id):
    """转为客户 modal: customer and contact names prefilled from the lead."""
    lead = access_lead(request.employee, lead_id)
    context = {
        "lead": lead,
        "values": request.POST or {"customer_name": lead.company_name, "contact_name": lead.name},
    }
    if request.method == "POST":
        try:
            customer = services.lead_convert(
                actor=request.employee,
                lead_id=lead.pk,
                customer_name=request.POST.get("customer_name", ""),
                contact_name=request.POST.get("contact_name", ""),
            )
        except BusinessError as error:
            context.update(error=error, field_errors=getattr(error, "fields", {}))
            return render(request, "leads/_convert_modal.html", context, status=422)
        response = _toast(_("已转为客户“%(name)s”") % {"name": customer.name}, close="modal")
        response["HX-Trigger"] = "leads-changed, drawer-close"
        return response
    return render(request, "leads/_convert_modal.html", context)


@page_permission_required("lead.settings")
@sudo_required
def lead_settings(request):
    """线索规则: daily claim limit, re-claim cooldown (and the timeout, used by the scheduler)."""
    settings = services.lead_settings()
    fields = ("daily_claim_limit", "reclaim_cooldown_days", "timeout_recycle_hours")
    current = {f: "" if getattr(settings, f) is None else str(getattr(settings, f)) for f in fields}
    context = {"nav_active": "leads", "settings": settings, "values": request.POST or current}
    if request.method == "POST":
        values = {field: parse_int((request.POST.get(field) or "").strip()) for field in fields}
        try:
            services.lead_settings_update(actor=request.employee, **values)
        except BusinessError as error:
            context.update(error=error, field_errors=getattr(error, "fields", {}))
            return render(request, "leads/settings.html", context, status=422)
        messages.success(request, _("线索规则已保存"))
        return redirect(reverse("lead_settings"))
    return render(request, "leads/settings.html", context)
