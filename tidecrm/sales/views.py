"""Sales pages (SPEC 9–12): the opportunity list (OPP-02), the kanban, the opportunity drawer
(OPP-11) with its actions, stage settings (OPP-04), products and categories (PROD-01/02),
contracts with their money tabs (CON-01..08), the approval to-do list (CON-03) and contract
settings. Thin: parse, call one selector or service, render; refusals come back as toasts or as
the modal's messages."""

from datetime import date

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tidecrm.core import clock
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.core.pagination import paginate
from tidecrm.core.permissions import check
from tidecrm.core.web import is_htmx, login_required, page_permission_required
from tidecrm.customers import selectors as customer_selectors
from tidecrm.customers.models import Followup
from tidecrm.office import approvals
from tidecrm.org.models import Employee

from . import config, selectors, services
from .models import Contract, Invoice, Opportunity, OpportunityStage

MAX_LINES = 30
PAYMENT_METHODS = (
    gettext_lazy("银行转账"),
    gettext_lazy("现金"),
    gettext_lazy("支票"),
    gettext_lazy("微信"),
    gettext_lazy("支付宝"),
    gettext_lazy("其他"),
)
CONTRACT_TABS = ("info", "money", "invoices", "approvals")


def _int(value):
    return int(value) if str(value or "").isdigit() else None


def _date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _employees():
    return Employee.objects.filter(status=Employee.Status.ACTIVE, deleted_at__isnull=True).order_by("name")


def _toast(text, level="success", *, close=None, trigger="opportunities-changed"):
    """Answer with a toast, refresh what listens to ``trigger``, optionally close the modal or drawer."""
    response = HttpResponse(render_to_string("components/toast.html", {"level": level, "text": text}))
    response["HX-Retarget"] = "#toasts"
    response["HX-Reswap"] = "beforeend"
    response["HX-Trigger"] = trigger
    if close:
        response["HX-Trigger-After-Swap"] = f"{close}-close"
    return response


def _with_toast(response, request, text, level="success", *, trigger=None, close_modal=False):
    """Add an out-of-band toast (and optionally an emptied modal slot) to a rendered partial."""
    toast = render_to_string("components/toast.html", {"level": level, "text": text}, request)
    extra = f'<div hx-swap-oob="beforeend:#toasts">{toast}</div>'
    if close_modal:
        extra += '<div id="modal-slot" hx-swap-oob="true"></div>'
    response.content += extra.encode()
    if trigger:
        response["HX-Trigger"] = trigger
    return response


def _messages_of(error):
    fields = getattr(error, "fields", None) or {}
    return "；".join(m for ms in fields.values() for m in ms) or error.message


def _lines_from(post):
    """The product rows of a form (lines-N-product_id / quantity / discount), skipping blanks."""
    lines = []
    for index in range(MAX_LINES):
        product_id = _int(post.get(f"lines-{index}-product_id"))
        if not product_id:
            continue
        line = {"product_id": product_id, "quantity": post.get(f"lines-{index}-quantity") or 1}
        if post.get(f"lines-{index}-discount") not in (None, ""):
            line["discount"] = post.get(f"lines-{index}-discount")
        lines.append(line)
    return lines


def _line_rows(lines):
    """Line items as the form's rows (for editing and pre-filling)."""
    return [
        {
            "product_id": str(line.product_id or ""),
            "quantity": str(line.quantity),
            "discount": str(line.discount),
        }
        for line in lines
        if line.product_id
    ]


def _posted_rows(post):
    return [
        {
            "product_id": str(line["product_id"]),
            "quantity": str(line["quantity"]),
            "discount": str(line.get("discount", 100)),
        }
        for line in _lines_from(post)
    ]


def _product_catalogue():
    products = list(selectors.product_list(on_sale=True))
    return products, {str(p.pk): {"price": str(p.price), "unit": p.unit} for p in products}


def _work_customers(actor):
    """Customers the caller may open an opportunity or a contract on: owned, in their scope."""
    return list(customer_selectors.customer_list(actor=actor, view="all").values("pk", "name")[:500])


# ---------------------------------------------------------------- opportunity list (OPP-02)


def _opportunity_filters(params):
    return {
        "q": (params.get("q") or "").strip(),
        "status": params.get("status") if params.get("status") in Opportunity.Status.values else "",
        "stage_id": _int(params.get("stage_id")),
        "owner_id": _int(params.get("owner_id")),
        "created_from": _date(params.get("created_from")),
        "created_to": _date(params.get("created_to")),
    }


@login_required
def opportunity_list(request):
    """商机列表: filters by stage, status, follower, name and created dates; row actions by status."""
    actor = request.employee
    filters = _opportunity_filters(request.GET)
    opportunities = selectors.opportunity_list(
        actor=actor, **{k: v for k, v in filters.items() if v not in ("", None)}
    )
    page = paginate(opportunities, page=request.GET.get("page"), page_size=request.GET.get("page_size"))
    context = {
        "nav_active": "sales",
        "section": "opportunities",
        "page": page,
        "filters": filters,
        "filtered": any(v not in ("", None) for v in filters.values()),
        "stages": services.stages(),
        "statuses": Opportunity.Status.choices,
        "owners": _employees(),
        "can_create": actor.has_permission("opportunity.create"),
        "can_write": actor.has_permission("opportunity.create"),
        "can_delete": actor.has_permission("opportunity.delete"),
        "list_url": request.path,
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "opportunity-table":
        return render(request, "sales/_opportunity_table.html", context)
    return render(request, "sales/opportunity_list.html", context)


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
    return _with_toast(response, request, text)


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
    customer = customer_selectors.customer_get(actor=actor, customer_id=customer_id) if customer_id else None
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
    opportunity = selectors.opportunity_get(actor=actor, opportunity_id=opportunity_id)
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
    opportunity = selectors.opportunity_get(actor=actor, opportunity_id=opportunity_id)
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
    opportunity = selectors.opportunity_get(actor=request.employee, opportunity_id=opportunity_id)
    return render(
        request, "sales/_opportunity_drawer.html", _opportunity_detail_context(request, opportunity)
    )


def _drawer_again(request, opportunity_id, text, *, trigger="opportunities-changed"):
    opportunity = selectors.opportunity_get(actor=request.employee, opportunity_id=opportunity_id)
    response = render(
        request, "sales/_opportunity_drawer.html", _opportunity_detail_context(request, opportunity)
    )
    return _with_toast(response, request, text, trigger=trigger)


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
        raise ValidationFailed(error.fields, message=_messages_of(error)) from None
    return _drawer_again(request, opportunity_id, _("已添加跟进记录"), trigger="customer-changed")


# ---------------------------------------------------------------- stage settings (OPP-04)


@page_permission_required("opportunity.settings")
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
            messages.error(request, _messages_of(error))
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


# ---------------------------------------------------------------- products (PROD-01/02)


@login_required
def product_list(request):
    """产品: the category tree, the products with filters; writes need product.manage."""
    on_sale = {"1": True, "0": False}.get(request.GET.get("on_sale"))
    filters = {
        "q": (request.GET.get("q") or "").strip(),
        "category_id": _int(request.GET.get("category_id")),
        "on_sale": request.GET.get("on_sale") if on_sale is not None else "",
    }
    products = selectors.product_list(q=filters["q"], category_id=filters["category_id"], on_sale=on_sale)
    page = paginate(products, page=request.GET.get("page"), page_size=request.GET.get("page_size"))
    categories = selectors.categories()
    context = {
        "nav_active": "sales",
        "section": "products",
        "page": page,
        "filters": filters,
        "filtered": bool(filters["q"] or filters["on_sale"]),
        "categories": categories,
        "current_category": next((c for c in categories if c.pk == filters["category_id"]), None),
        "can_manage": request.employee.has_permission("product.manage"),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "product-table":
        return render(request, "sales/_product_table.html", context)
    return render(request, "sales/products.html", context)


PRODUCT_FORM_FIELDS = ("name", "sku", "spec", "unit", "price", "description")


@login_required
def product_form(request, product_id=None):
    """新建 / 编辑产品 modal."""
    actor = request.employee
    check(actor, "product.manage")
    product = selectors.product_get(product_id=product_id) if product_id else None
    initial = (
        {
            **{f: str(getattr(product, f)) for f in PRODUCT_FORM_FIELDS},
            "category_id": str(product.category_id),
            "on_sale": "1" if product.on_sale else "",
        }
        if product
        else {"on_sale": "1", "category_id": request.GET.get("category_id", "")}
    )
    context = {"product": product, "values": request.POST or initial, "categories": selectors.categories()}
    if request.method == "POST":
        values = {f: request.POST.get(f, "") for f in PRODUCT_FORM_FIELDS}
        values["price"] = values["price"] or "0"
        values["category_id"] = _int(request.POST.get("category_id"))
        values["on_sale"] = bool(request.POST.get("on_sale"))
        try:
            if product:
                services.product_update(actor=actor, product_id=product.pk, **values)
            else:
                services.product_create(actor=actor, **values)
        except BusinessError as error:
            context.update(error=error, field_errors=getattr(error, "fields", {}))
            return render(request, "sales/_product_modal.html", context, status=422)
        return _toast(_("产品已保存"), close="modal", trigger="products-changed")
    return render(request, "sales/_product_modal.html", context)


@login_required
@require_POST
def product_toggle(request, product_id):
    """上架 / 下架."""
    product = selectors.product_get(product_id=product_id)
    services.product_update(actor=request.employee, product_id=product.pk, on_sale=not product.on_sale)
    return _toast(_("已下架") if product.on_sale else _("已上架"), trigger="products-changed")


@login_required
@require_POST
def category_create(request):
    try:
        services.category_create(
            actor=request.employee,
            name=request.POST.get("name", ""),
            parent_id=_int(request.POST.get("parent_id")),
        )
    except BusinessError as error:
        if isinstance(error, NotFound):
            raise
        messages.error(request, _messages_of(error))
    else:
        messages.success(request, _("分类已添加"))
    return redirect(reverse("product_list"))


@login_required
@require_POST
def category_delete(request, category_id):
    try:
        services.category_delete(actor=request.employee, category_id=category_id)
    except BusinessError as error:
        if isinstance(error, NotFound):
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, _("分类已删除"))
    return redirect(reverse("product_list"))


# ---------------------------------------------------------------- contracts (CON-01..08)


def _contract_filters(params):
    return {
        "q": (params.get("q") or "").strip(),
        "status": params.get("status") if params.get("status") in Contract.Status.values else "",
        "owner_id": _int(params.get("owner_id")),
        "signed_from": _date(params.get("signed_from")),
        "signed_to": _date(params.get("signed_to")),
    }


@login_required
def contract_list(request):
    """合同列表 (CON-08): amounts received, outstanding and invoiced; filters."""
    actor = request.employee
    filters = _contract_filters(request.GET)
    contracts = selectors.contract_list(
        actor=actor, **{k: v for k, v in filters.items() if v not in ("", None)}
    )
    page = paginate(contracts, page=request.GET.get("page"), page_size=request.GET.get("page_size"))
    context = {
        "nav_active": "sales",
        "section": "contracts",
        "page": page,
        "filters": filters,
        "filtered": any(v not in ("", None) for v in filters.values()),
        "statuses": Contract.Status.choices,
        "owners": _employees(),
        "can_create": actor.has_permission("contract.create"),
        "list_url": request.path,
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "contract-table":
        return render(request, "sales/_contract_table.html", context)
    return render(request, "sales/contract_list.html", context)


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
        opportunity = selectors.opportunity_get(
            actor=actor, opportunity_id=_int(source.get("from_opportunity"))
        )
    customer_id = opportunity.customer_id if opportunity else _int(source.get("customer_id"))
    fixed_customer = None
    if opportunity or _int(source.get("fixed_customer")):
        fixed_customer = (
            opportunity.customer
            if opportunity
            else customer_selectors.customer_get(actor=actor, customer_id=customer_id)
        )
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
        contract = selectors.contract_get(actor=actor, contract_id=contract.pk)
        response = render(request, "sales/_contract_drawer.html", _contract_detail_context(request, contract))
        response["HX-Retarget"] = "#drawer-slot"
        response["HX-Reswap"] = "innerHTML"
        return _with_toast(
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
    contract = selectors.contract_get(actor=actor, contract_id=contract_id)
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


def _contract_detail_context(request, contract):
    actor = request.employee
    history = approvals.history_of("contract", contract.pk)
    pending = next((r for r in history if r.status == "pending"), None)
    tab = request.GET.get("tab") if request.GET.get("tab") in CONTRACT_TABS else "info"
    return {
        "contract": contract,
        "tab": tab,
        "lines": selectors.lines_of(contract=contract),
        "money": selectors.money_of(contract=contract),
        "approval_history": history,
        "can_write": actor.has_permission("contract.create"),
        "can_void": actor.has_permission("contract.void"),
        "can_pay": actor.has_permission("payment.create"),
        "can_withdraw": pending is not None and pending.initiator_id == actor.pk,
        "pending_approval": pending,
    }


@login_required
def contract_drawer(request, contract_id):
    contract = selectors.contract_get(actor=request.employee, contract_id=contract_id)
    return render(request, "sales/_contract_drawer.html", _contract_detail_context(request, contract))


@login_required
def contract_page(request, contract_id):
    """The contract detail as a full page (a shareable link, the approval to-do list links here)."""
    contract = selectors.contract_get(actor=request.employee, contract_id=contract_id)
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


# ---------------------------------------------------------------- money (CON-05..07)


def _money_form(request, contract_id, kind):
    actor = request.employee
    contract = selectors.contract_get(actor=actor, contract_id=contract_id)
    check(actor, "payment.create")
    today = clock.today().isoformat()
    initial = {
        "plan": {"due_on": today},
        "payment": {"received_on": today, "method": str(PAYMENT_METHODS[0])},
        "invoice": {"type": Invoice.Type.NORMAL, "title": contract.customer.name},
    }[kind]
    context = {
        "contract": contract,
        "kind": kind,
        "values": request.POST or initial,
        "plans": selectors.money_of(contract=contract)["plans"] if kind == "payment" else [],
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
                contract_id=contract.pk,
                amount=post.get("amount", ""),
                due_on=_date(post.get("due_on")),
                remark=post.get("remark", ""),
            )
            text = _("已添加回款计划")
        elif kind == "payment":
            services.payment_add(
                actor=actor,
                contract_id=contract.pk,
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
                contract_id=contract.pk,
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
    return _toast(text, close="modal", trigger="contracts-changed, contract-changed")


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
    handler = approvals.HANDLERS.get(request_row.object_type)
    return handler.url(request_row.object_id) if handler and handler.url else ""


@login_required
def approval_list(request):
    """审批待办: the requests whose current level names me, with 同意 / 驳回."""
    pending = approvals.pending_for(request.employee)
    for row in pending:
        handler = approvals.HANDLERS.get(row.object_type)
        row.kind_label = handler.label if handler else row.object_type
        row.url = _approval_url(row)
    context = {"nav_active": "sales", "section": "approvals", "pending": pending}
    if is_htmx(request) and request.headers.get("HX-Target") == "approval-list":
        return render(request, "sales/_approval_table.html", context)
    return render(request, "sales/approvals.html", context)


@login_required
@require_POST
def approval_decide(request, request_id):
    approve = request.POST.get("decision") == "approve"
    comment = (request.POST.get("comment") or "").strip()
    if not approve and not comment:
        raise ValidationFailed({"comment": [_("请填写驳回原因")]}, message=_("请填写驳回原因"))
    approvals.decide(actor=request.employee, request_id=request_id, approve=approve, comment=comment)
    return _toast(
        _("已同意") if approve else _("已驳回"),
        trigger="approvals-changed, contracts-changed, contract-changed",
    )


# ---------------------------------------------------------------- contract settings


@page_permission_required("contract.settings")
def contract_settings(request):
    """合同设置: number prefix, approval flow (levels, or-sign, CC), orders switch."""
    actor = request.employee
    if request.method == "POST":
        post = request.POST
        try:
            config.contract_settings_update(
                actor=actor,
                number_prefix=post.get("number_prefix", ""),
                approval_enabled=bool(post.get("approval_enabled")),
                level1_approver_ids=[_int(v) for v in post.getlist("level1_approver_ids") if _int(v)],
                level2_approver_ids=[_int(v) for v in post.getlist("level2_approver_ids") if _int(v)],
                cc_ids=[_int(v) for v in post.getlist("cc_ids") if _int(v)],
                orders_enabled=bool(post.get("orders_enabled")),
            )
        except BusinessError as error:
            messages.error(request, _messages_of(error))
        else:
            messages.success(request, _("合同设置已保存"))
        return redirect(reverse("contract_settings"))
    return render(
        request,
        "sales/contract_settings.html",
        {
            "nav_active": "sales",
            "section": "contract_settings",
            "settings": services.sales_settings(),
            "employees": _employees(),
        },
    )
