"""Opportunity pages: the list (OPP-02), the kanban, create/edit, the actions by status
(OPP-05..10), the drawer (OPP-11) and the stage settings (OPP-04)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tidecrm.accounts.web import sudo_required
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.core.permissions import check
from tidecrm.core.web import add_toast, error_text, is_htmx, login_required, page_permission_required
from tidecrm.customers.access import access_customer
from tidecrm.customers.models import Followup

from .. import selectors, services
from ..access import access_opportunity
from ..models import Opportunity, OpportunityStage
from .common import (
    _date,
    _int,
    _line_rows,
    _lines_from,
    _list_filters,
    _list_page,
    _posted_rows,
    _product_catalogue,
    _toast,
    _work_customers,
)

# ---------------------------------------------------------------- opportunity list (OPP-02)


@login_required
def opportunity_list(request):
    """商机列表: filters by stage, status, follower, name and created dates; row actions by status."""
    actor = request.employee
    filters = _list_filters(
        request.GET,
        Opportunity.Status,
        stage_id=_int(request.GET.get("stage_id")),
        created_from=_date(request.GET.get("created_from")),
        created_to=_date(request.GET.get("created_to")),
    )
    return _list_page(
        request,
        "opportunity",
        selectors.opportunity_list,
        filters,
        Opportunity.Status,
        section="opportunities",
        stages=services.stages(),
        can_create=actor.has_permission("opportunity.create"),
        can_write=actor.has_permission("opportunity.create"),
        can_delete=actor.has_permission("opportunity.delete"),
    )


# ---------------------------------------------------------------- kanban


def _board_context(request):
    mine = request.GET.get("mine") == "1" or request.POST.get("mine") == "1"
    return {
        "nav_active": "sales",
        "section": "board",
        "columns": selectors.kanban(actor=request.employee, mine=mine),
        "mine": mine,
        "can_create": request.employee.has_permission("opportunity.create"),
    }


@login_required
def opportunity_board(request):
    """销售看板: open opportunities by stage with count and amount; drag a card to move it."""
    context = _board_context(request)
    if is_htmx(request) and request.headers.get("HX-Target") == "board":
        return render(request, "sales/_board.html", context)
    return render(request, "sales/board.html", context)


@login_required
@require_POST
def opportunity_move(request, opportunity_id):
    """A card dropped on another column: change the stage (won/lost ones are refused)."""
    stage_id = _int(request.POST.get("stage_id"))
    if not stage_id:
        raise ValidationFailed(message=_("请选择商机阶段"))
    opportunity = services.opportunity_update(
        actor=request.employee, opportunity_id=opportunity_id, stage_id=stage_id
    )
    opportunity.refresh_from_db()
    text = _("“%(name)s”已移到“%(stage)s”") % {"name": opportunity.name, "stage": opportunity.stage.name}
    response = render(request, "sales/_board.html", _board_context(request))
    return add_toast(response, request, text)


# ---------------------------------------------------------------- opportunity create / edit


def _opportunity_form_context(actor, *, values, rows, customer=None, opportunity=None):
    products, catalogue = _product_catalogue()
    return {
        "values": values,
        "rows": rows,
        "customer": customer,
        "opportunity": opportunity,
        "customers": [] if customer or opportunity else _work_customers(actor),
        "stages": services.stages(),
        "products": products,
        "catalogue": catalogue,
    }


def _opportunity_values(post):
    return {
        "name": post.get("name", ""),
        "amount": post.get("amount") or "0",
        "stage_id": _int(post.get("stage_id")),
        "expected_close_date": _date(post.get("expected_close_date")),
        "note": post.get("note", ""),
        "product_lines": _lines_from(post),
    }


@login_required
def opportunity_create(request):
    """新建商机 (OPP-03): choose the customer, or pre-filled from the customer detail."""
    actor = request.employee
    check(actor, "opportunity.create")
    source = request.POST if request.method == "POST" else request.GET
    customer_id = _int(source.get("customer_id"))
    customer = access_customer(actor, customer_id) if customer_id else None
    context = _opportunity_form_context(
        actor,
        values=request.POST or {"stage_id": str(services.stages()[0].pk)},
        rows=_posted_rows(request.POST),
        customer=customer,
    )
    if request.method == "POST":
        try:
            opportunity = services.opportunity_create(
                actor=actor,
                customer_id=customer_id or _int(request.POST.get("customer_id")),
                **_opportunity_values(request.POST),
            )
        except BusinessError as error:
            context.update(error=error, field_errors=getattr(error, "fields", {}))
            return render(request, "sales/_opportunity_modal.html", context, status=422)
        return _toast(
            _("商机“%(name)s”已创建") % {"name": opportunity.name},
            close="modal",
            trigger="opportunities-changed, customer-changed",
        )
    return render(request, "sales/_opportunity_modal.html", context)


@login_required
def opportunity_edit(request, opportunity_id):
    """编辑商机: open ones only (OPP-09); the product lines are replaced as a whole."""
    actor = request.employee
    opportunity = access_opportunity(actor, opportunity_id)
    initial = {
        "name": opportunity.name,
        "amount": str(opportunity.amount),
        "stage_id": str(opportunity.stage_id),
        "expected_close_date": opportunity.expected_close_date.isoformat()
        if opportunity.expected_close_date
        else "",
        "note": opportunity.note,
    }
    context = _opportunity_form_context(
        actor,
        values=request.POST or initial,
        rows=_posted_rows(request.POST)
        if request.method == "POST"
        else _line_rows(selectors.lines_of(opportunity=opportunity)),
        opportunity=opportunity,
    )
    if request.method == "POST":
        try:
            services.opportunity_update(
                actor=actor, opportunity_id=opportunity.pk, **_opportunity_values(request.POST)
            )
        except BusinessError as error:
            context.update(error=error, field_errors=getattr(error, "fields", {}))
            return render(request, "sales/_opportunity_modal.html", context, status=422)
        return _toast(
            _("已保存"), close="modal", trigger="opportunities-changed, opportunity-changed, customer-changed"
        )
    return render(request, "sales/_opportunity_modal.html", context)


# ---------------------------------------------------------------- opportunity actions (OPP-05..10)


OPPORTUNITY_DONE = {
    "win": gettext_lazy("已赢单"),
    "reopen": gettext_lazy("已恢复为未成交"),
    "delete": gettext_lazy("商机已删除"),
    "lose": gettext_lazy("已输单"),
}


@login_required
@require_POST
def opportunity_action(request, opportunity_id, action):
    """赢单, 取消赢单 / 取消输单, 删除 from a row, the drawer or the board."""
    actor = request.employee
    apply = {
        "win": services.opportunity_win,
        "reopen": services.opportunity_reopen,
        "delete": services.opportunity_delete,
    }.get(action)
    if apply is None:
        raise NotFound()
    apply(actor=actor, opportunity_id=opportunity_id)
    trigger = "opportunities-changed, customer-changed"
    if action == "delete":
        return _toast(OPPORTUNITY_DONE[action], close="drawer", trigger=trigger)
    if request.headers.get("HX-Target") == "drawer-slot":
        return _drawer_again(request, opportunity_id, OPPORTUNITY_DONE[action], trigger=trigger)
    return _toast(OPPORTUNITY_DONE[action], trigger=f"{trigger}, opportunity-changed")


@login_required
def opportunity_lose(request, opportunity_id):
    """输单 with an optional reason (OPP-07): a modal."""
    actor = request.employee
    opportunity = access_opportunity(actor, opportunity_id)
    if request.method == "POST":
        services.opportunity_lose(
            actor=actor, opportunity_id=opportunity.pk, reason=(request.POST.get("reason") or "").strip()
        )
        return _toast(
            OPPORTUNITY_DONE["lose"],
            close="modal",
            trigger="opportunities-changed, opportunity-changed, customer-changed",
        )
    return render(request, "sales/_lose_modal.html", {"opportunity": opportunity})


# ---------------------------------------------------------------- opportunity drawer (OPP-11)


def _opportunity_detail_context(request, opportunity):
    actor = request.employee
    stages = services.stages()
    position = next((i for i, s in enumerate(stages) if s.pk == opportunity.stage_id), 0)
    return {
        "opportunity": opportunity,
        "stages": stages,
        "stage_index": position,
        "lines": selectors.lines_of(opportunity=opportunity),
        "history": selectors.history_of(opportunity),
        "contract": selectors.contract_of_opportunity(opportunity),
        "followups": selectors.followups_of_opportunity(opportunity),
        "methods": Followup.Method.choices,
        "can_write": actor.has_permission("opportunity.create"),
        "can_delete": actor.has_permission("opportunity.delete"),
        "can_contract": actor.has_permission("contract.create"),
    }


@login_required
def opportunity_drawer(request, opportunity_id):
    opportunity = access_opportunity(request.employee, opportunity_id)
    return render(
        request, "sales/_opportunity_drawer.html", _opportunity_detail_context(request, opportunity)
    )


def _drawer_again(request, opportunity_id, text, *, trigger="opportunities-changed"):
    opportunity = access_opportunity(request.employee, opportunity_id)
    response = render(
        request, "sales/_opportunity_drawer.html", _opportunity_detail_context(request, opportunity)
    )
    return add_toast(response, request, text, trigger=trigger)


@login_required
@require_POST
def opportunity_followup(request, opportunity_id):
    """商机跟进 (OPP-13): written on the customer, naming the opportunity."""
    try:
        services.opportunity_followup_add(
            actor=request.employee,
            opportunity_id=opportunity_id,
            content=request.POST.get("content", ""),
            method=request.POST.get("method", "call"),
        )
    except ValidationFailed as error:
        raise ValidationFailed(error.fields, message=error_text(error)) from None
    return _drawer_again(request, opportunity_id, _("已添加跟进记录"), trigger="customer-changed")


# ---------------------------------------------------------------- stage settings (OPP-04)


@page_permission_required("opportunity.settings")
@sudo_required
def stage_settings(request):
    """商机阶段设置: add, rename, probability, move up, delete with a migration target."""
    actor = request.employee
    if request.method == "POST":
        post, action = request.POST, request.POST.get("action", "")
        stage_id = _int(post.get("stage_id"))
        try:
            if action == "create":
                services.stage_create(
                    actor=actor, name=post.get("name", ""), win_probability=post.get("win_probability", 0)
                )
                messages.success(request, _("已添加阶段"))
            elif action == "update":
                services.stage_update(
                    actor=actor,
                    stage_id=stage_id,
                    name=post.get("name", ""),
                    win_probability=post.get("win_probability", 0),
                )
                messages.success(request, _("阶段已保存"))
            elif action == "move":
                services.stage_update(
                    actor=actor, stage_id=stage_id, position=_int(post.get("position")) or 0
                )
                messages.success(request, _("顺序已调整"))
            elif action == "delete":
                moved = services.stage_delete(
                    actor=actor, stage_id=stage_id, move_to_id=_int(post.get("move_to_id"))
                )
                messages.success(request, _("阶段已删除，%(n)s 个商机已迁移") % {"n": moved})
            else:
                raise ValidationFailed(message=_("未知操作"))
        except BusinessError as error:
            if isinstance(error, NotFound):
                raise
            messages.error(request, error_text(error))
        return redirect(reverse("sales_stage_settings"))
    stages = services.stages()
    counts = selectors.stage_usage()
    for stage in stages:
        stage.opportunity_count = counts.get(stage.pk, 0)
    return render(
        request,
        "sales/stage_settings.html",
        {"nav_active": "sales", "section": "stages", "stages": stages, "stage_max": OpportunityStage.MAX},
    )
