"""Contract pages (CON-01..08): the list, create/edit, the detail with its money tabs, the
approval to-do list (CON-03) and the contract settings."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tidecrm.accounts.web import sudo_required
from tidecrm.core import clock
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.core.permissions import check
from tidecrm.core.web import (
    add_toast,
    error_text,
    is_htmx,
    login_required,
    page_permission_required,
    parse_ids,
    parse_local_datetime,
)
from tidecrm.customers.access import access_customer
from tidecrm.customers.models import Followup
from tidecrm.office import approvals
from tidecrm.org.models import Employee

from .. import config, selectors, services
from ..access import access_contract, access_opportunity
from ..models import ORDER_FORM_FIELDS, Contract, Invoice
from .common import (
    CONTRACT_TABS,
    PAYMENT_METHODS,
    _date,
    _employees,
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

# ---------------------------------------------------------------- contracts (CON-01..08)


@login_required
def contract_list(request):
    """合同列表 (CON-08): amounts received, outstanding and invoiced; filters."""
    filters = _list_filters(
        request.GET,
        Contract.Status,
        signed_from=_date(request.GET.get("signed_from")),
        signed_to=_date(request.GET.get("signed_to")),
    )
    return _list_page(
        request,
        "contract",
        selectors.contract_list,
        filters,
        Contract.Status,
        section="contracts",
        can_create=request.employee.has_permission("contract.create"),
    )


def _contract_values(post):
    return {
        "title": post.get("title", ""),
        "amount": post.get("amount", ""),
        "signed_on": _date(post.get("signed_on")),
        "start_on": _date(post.get("start_on")),
        "end_on": _date(post.get("end_on")),
        "remark": post.get("remark", ""),
        "product_lines": _lines_from(post),
    }


@login_required
def contract_create(request):
    """新建合同 (CON-02): choose the customer (and optionally one of its opportunities), or
    pre-filled from an opportunity (生成合同, OPP-15) or a customer."""
    actor = request.employee
    check(actor, "contract.create")
    source = request.POST if request.method == "POST" else request.GET
    opportunity = None
    if _int(source.get("from_opportunity")):
        opportunity = access_opportunity(actor, _int(source.get("from_opportunity")))
    customer_id = opportunity.customer_id if opportunity else _int(source.get("customer_id"))
    fixed_customer = None
    if opportunity or _int(source.get("fixed_customer")):
        fixed_customer = opportunity.customer if opportunity else access_customer(actor, customer_id)
    initial = {"signed_on": clock.today().isoformat()}
    rows = []
    if opportunity:
        initial.update(
            title=opportunity.name, amount=str(opportunity.amount), opportunity_id=str(opportunity.pk)
        )
        rows = _line_rows(selectors.lines_of(opportunity=opportunity))
    products, catalogue = _product_catalogue()
    context = {
        "values": request.POST or initial,
        "rows": _posted_rows(request.POST) if request.method == "POST" else rows,
        "customer": fixed_customer,
        "from_opportunity": opportunity,
        "customers": [] if fixed_customer else _work_customers(actor),
        "opportunities": selectors.contract_opportunity_options(actor=actor, customer_id=customer_id)
        if customer_id
        else [],
        "products": products,
        "catalogue": catalogue,
    }
    if request.method == "POST":
        try:
            contract = services.contract_create(
                actor=actor,
                customer_id=customer_id or _int(request.POST.get("customer_id")),
                opportunity_id=_int(request.POST.get("opportunity_id")),
                **_contract_values(request.POST),
            )
        except BusinessError as error:
            context.update(error=error, field_errors=getattr(error, "fields", {}))
            if not customer_id and _int(request.POST.get("customer_id")):
                context["opportunities"] = selectors.contract_opportunity_options(
                    actor=actor, customer_id=_int(request.POST.get("customer_id"))
                )
            return render(request, "sales/_contract_modal.html", context, status=422)
        # The new draft opens in the drawer, ready to be submitted.
        contract = access_contract(actor, contract.pk)
        response = render(request, "sales/_contract_drawer.html", _contract_detail_context(request, contract))
        response["HX-Retarget"] = "#drawer-slot"
        response["HX-Reswap"] = "innerHTML"
        return add_toast(
            response,
            request,
            _("合同 %(number)s 已创建") % {"number": contract.number},
            trigger="contracts-changed, opportunities-changed, customer-changed",
            close_modal=True,
        )
    return render(request, "sales/_contract_modal.html", context)


@login_required
def contract_opportunity_options(request):
    """The <option>s of a customer's opportunities without a contract (the contract modal)."""
    customer_id = _int(request.GET.get("customer_id"))
    options = (
        selectors.contract_opportunity_options(actor=request.employee, customer_id=customer_id)
        if customer_id
        else []
    )
    return render(request, "sales/_opportunity_options.html", {"opportunities": options})


@login_required
def contract_edit(request, contract_id):
    """编辑合同: draft or rejected only."""
    actor = request.employee
    contract = access_contract(actor, contract_id)
    initial = {
        "title": contract.title,
        "amount": str(contract.amount),
        "signed_on": contract.signed_on.isoformat() if contract.signed_on else "",
        "start_on": contract.start_on.isoformat() if contract.start_on else "",
        "end_on": contract.end_on.isoformat() if contract.end_on else "",
        "remark": contract.remark,
    }
    products, catalogue = _product_catalogue()
    context = {
        "contract": contract,
        "customer": contract.customer,
        "values": request.POST or initial,
        "rows": _posted_rows(request.POST)
        if request.method == "POST"
        else _line_rows(selectors.lines_of(contract=contract)),
        "products": products,
        "catalogue": catalogue,
    }
    if request.method == "POST":
        try:
            services.contract_update(actor=actor, contract_id=contract.pk, **_contract_values(request.POST))
        except BusinessError as error:
            context.update(error=error, field_errors=getattr(error, "fields", {}))
            return render(request, "sales/_contract_modal.html", context, status=422)
        return _toast(_("合同已保存"), close="modal", trigger="contracts-changed, contract-changed")
    return render(request, "sales/_contract_modal.html", context)


def _with_cc_names(history):
    """Name the CC list of each approval (shown once it completes, CON-03): one query."""
    ids = {pk for request_row in history for pk in request_row.cc_ids or ()}
    names = dict(Employee.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    for request_row in history:
        request_row.cc_names = [names[pk] for pk in request_row.cc_ids or () if pk in names]
    return history


def _contract_detail_context(request, contract):
    actor = request.employee
    history = _with_cc_names(approvals.history_of("contract", contract.pk))
    pending = next((r for r in history if r.status == "pending"), None)
    tab = request.GET.get("tab") if request.GET.get("tab") in CONTRACT_TABS else "info"
    can_pay = actor.has_permission("payment.create")
    approved = contract.status == Contract.Status.APPROVED
    return {
        "contract": contract,
        "tab": tab,
        "lines": selectors.lines_of(contract=contract),
        "money": selectors.money_of(contract=contract),
        "money_urls": {
            "plan": reverse("contract_plan_create", args=[contract.pk])
            if can_pay and contract.status != Contract.Status.VOID
            else "",
            "payment": reverse("contract_payment_create", args=[contract.pk]) if can_pay and approved else "",
            "invoice": reverse("contract_invoice_create", args=[contract.pk]) if can_pay and approved else "",
        },
        "money_live": approved,
        "payment_hint": _("合同生效后可以登记回款"),
        "invoice_hint": _("合同生效后可以开票"),
        "approval_history": history,
        "followups": selectors.followups_of_contract(contract),
        "methods": Followup.Method.choices,
        "can_followup": contract.owner_id is not None,
        "can_write": actor.has_permission("contract.create"),
        "can_void": actor.has_permission("contract.void"),
        "can_pay": can_pay,
        "can_withdraw": pending is not None and pending.initiator_id == actor.pk,
        "pending_approval": pending,
    }


@login_required
def contract_drawer(request, contract_id):
    contract = access_contract(request.employee, contract_id)
    return render(request, "sales/_contract_drawer.html", _contract_detail_context(request, contract))


@login_required
def contract_page(request, contract_id):
    """The contract detail as a full page (a shareable link, the approval to-do list links here)."""
    contract = access_contract(request.employee, contract_id)
    context = _contract_detail_context(request, contract)
    context.update(nav_active="sales", section="contracts")
    if is_htmx(request) and request.headers.get("HX-Target") == "contract-detail":
        return render(request, "sales/_contract_detail.html", {**context, "target": "#contract-detail"})
    return render(request, "sales/contract_page.html", context)


CONTRACT_DONE = {
    "submit": gettext_lazy("合同已提交"),
    "withdraw": gettext_lazy("已撤回审批，合同回到草稿"),
    "void": gettext_lazy("合同已作废"),
}


@login_required
@require_POST
def contract_action(request, contract_id, action):
    """提交审批 (or takes effect without approvers), 撤回, 作废."""
    actor = request.employee
    if action == "submit":
        contract = services.contract_submit(actor=actor, contract_id=contract_id)
        text = _("已提交审批") if contract.status == Contract.Status.PENDING else _("合同已生效")
    elif action == "withdraw":
        services.contract_withdraw(actor=actor, contract_id=contract_id)
        text = CONTRACT_DONE[action]
    elif action == "void":
        services.contract_void(
            actor=actor, contract_id=contract_id, reason=(request.POST.get("reason") or "").strip()
        )
        text = CONTRACT_DONE[action]
    else:
        raise NotFound()
    return _toast(text, trigger="contracts-changed, contract-changed, approvals-changed, customer-changed")


# ---------------------------------------------------------------- contract follow-ups (CON-04)


@login_required
@require_POST
def contract_followup(request, contract_id):
    """合同跟进 (CON-04): written on the customer, naming the contract (FUP-02)."""
    try:
        services.contract_followup_add(
            actor=request.employee,
            contract_id=contract_id,
            content=request.POST.get("content", ""),
            method=request.POST.get("method", "call"),
            next_followup_at=parse_local_datetime(request.POST.get("next_followup_at")),
        )
    except ValidationFailed as error:
        raise ValidationFailed(error.fields, message=error_text(error)) from None
    return _toast(_("已添加跟进记录"), trigger="contract-changed, order-changed, customer-changed")


# ---------------------------------------------------------------- money (CON-05..07)


def _money_form(request, contract_id, kind):
    contract = access_contract(request.employee, contract_id)
    url = {"plan": "contract_plan_create", "payment": "contract_payment_create"}.get(
        kind, "contract_invoice_create"
    )
    return money_form(
        request,
        record=contract,
        kind=kind,
        target={"contract_id": contract.pk},
        form_url=reverse(url, args=[contract.pk]),
        trigger="contracts-changed, contract-changed",
    )


def money_form(request, *, record, kind, target, form_url, trigger):
    """The 回款计划 / 回款 / 开票 modal of a contract or an order (``target`` names which)."""
    actor = request.employee
    check(actor, "payment.create")
    today = clock.today().isoformat()
    initial = {
        "plan": {"due_on": today},
        "payment": {"received_on": today, "method": str(PAYMENT_METHODS[0])},
        "invoice": {"type": Invoice.Type.NORMAL, "title": record.customer.name},
    }[kind]
    owner_field = "contract" if "contract_id" in target else "order"
    context = {
        "record": record,
        "is_order": owner_field == "order",
        "form_url": form_url,
        "kind": kind,
        "values": request.POST or initial,
        "plans": selectors.money_of(**{owner_field: record})["plans"] if kind == "payment" else [],
        "methods": PAYMENT_METHODS,
        "invoice_types": Invoice.Type.choices,
    }
    if request.method != "POST":
        return render(request, "sales/_money_modal.html", context)
    post = request.POST
    try:
        if kind == "plan":
            services.plan_add(
                actor=actor,
                **target,
                amount=post.get("amount", ""),
                due_on=_date(post.get("due_on")),
                remark=post.get("remark", ""),
            )
            text = _("已添加回款计划")
        elif kind == "payment":
            services.payment_add(
                actor=actor,
                **target,
                amount=post.get("amount", ""),
                received_on=_date(post.get("received_on")),
                plan_id=_int(post.get("plan_id")),
                method=post.get("method", ""),
                remark=post.get("remark", ""),
                confirm_overpay=post.get("confirm_overpay") == "1",
            )
            text = _("已登记回款")
        else:
            services.invoice_add(
                actor=actor,
                **target,
                amount=post.get("amount", ""),
                type=post.get("type", Invoice.Type.NORMAL),
                title=post.get("title", ""),
                tax_number=post.get("tax_number", ""),
                number=post.get("number", ""),
                issued_on=_date(post.get("issued_on")),
            )
            text = _("已添加开票记录")
    except BusinessError as error:
        context.update(error=error, field_errors=getattr(error, "fields", {}))
        # Over the contract amount: the same form again, asking to confirm.
        context["ask_overpay"] = error.code == "payment_exceeds_amount"
        return render(request, "sales/_money_modal.html", context, status=422)
    return _toast(text, close="modal", trigger=trigger)


@login_required
def plan_create(request, contract_id):
    return _money_form(request, contract_id, "plan")


@login_required
def payment_create(request, contract_id):
    return _money_form(request, contract_id, "payment")


@login_required
def invoice_create(request, contract_id):
    return _money_form(request, contract_id, "invoice")


# ---------------------------------------------------------------- approvals (CON-03, OFF-08)


def _approval_url(request_row):
    if request_row.object_type == "contract":
        return reverse("contract_page", args=[request_row.object_id])
    handler = approvals.handler_of(request_row.object_type)
    return handler.url(request_row.object_id) if handler and handler.url else ""


LEVEL_LABELS = {1: gettext_lazy("一级审批"), 2: gettext_lazy("二级审批")}


@login_required
def approval_list(request):
    """审批待办: the requests whose current level names me, with 同意 / 驳回."""
    pending = approvals.pending_for(request.employee)
    for row in pending:
        handler = approvals.handler_of(row.object_type)
        row.kind_label = handler.label if handler else row.object_type
        row.url = _approval_url(row)
        row.level_label = LEVEL_LABELS.get(row.current_level, row.current_level)
    context = {"nav_active": "sales", "section": "approvals", "pending": pending}
    if is_htmx(request) and request.headers.get("HX-Target") == "approval-list":
        return render(request, "sales/_approval_table.html", context)
    return render(request, "sales/approvals.html", context)


@login_required
@require_POST
def approval_decide(request, request_id):
    approve = request.POST.get("decision") == "approve"
    comment = request.POST.get("comment") or ""
    approvals.decide(actor=request.employee, request_id=request_id, approve=approve, comment=comment)
    return _toast(
        _("已同意") if approve else _("已驳回"),
        trigger="approvals-changed, contracts-changed, contract-changed",
    )


# ---------------------------------------------------------------- contract settings


@page_permission_required("contract.settings")
@sudo_required
def contract_settings(request):
    """合同设置: number prefix, approval flow (levels, or-sign, CC), orders switch."""
    actor = request.employee
    if request.method == "POST" and request.POST.get("action") == "order_form":
        return _order_form_save(request)
    if request.method == "POST":
        post = request.POST
        try:
            config.contract_settings_update(
                actor=actor,
                number_prefix=post.get("number_prefix", ""),
                approval_enabled=bool(post.get("approval_enabled")),
                level1_approver_ids=parse_ids(post.getlist("level1_approver_ids")),
                level2_approver_ids=parse_ids(post.getlist("level2_approver_ids")),
                cc_ids=parse_ids(post.getlist("cc_ids")),
                orders_enabled=bool(post.get("orders_enabled")),
            )
        except BusinessError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("合同设置已保存"))
        return redirect(reverse("contract_settings"))
    settings = services.sales_settings()
    return render(
        request,
        "sales/contract_settings.html",
        {
            "nav_active": "sales",
            "section": "contract_settings",
            "settings": settings,
            "employees": _employees(),
            "order_form": [
                {**item, "label": ORDER_FORM_FIELDS[item["field"]]} for item in services.order_form(settings)
            ],
        },
    )


def _order_form_save(request):
    """ORD-02: the 订单表单 section posts every field in its display order with its 显示 / 必填
    boxes; an ↑ / ↓ button also names the field to move (``move=<field>:up``)."""
    post = request.POST
    visible, required = set(post.getlist("visible")), set(post.getlist("required"))
    items = [
        {"field": field, "visible": field in visible, "required": field in required}
        for field in post.getlist("field")
    ]
    field, _sep, direction = (post.get("move") or "").partition(":")
    index = next((i for i, item in enumerate(items) if item["field"] == field), None)
    if index is not None and direction in ("up", "down"):
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(items):
            items[index], items[other] = items[other], items[index]
    try:
        config.order_form_update(actor=request.employee, order_form=items)
    except BusinessError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("订单表单已保存"))
    return redirect(reverse("contract_settings") + "#order-form")
