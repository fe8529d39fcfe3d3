"""Order pages (ORD-01), behind ``ContractSettings.orders_enabled`` (ORD-04): the list, the
新建订单 modal, the detail (drawer and page) with its status actions and the 回款 / 开票 tabs
shared with contracts. With orders off every page answers the ``feature_disabled`` refusal."""

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tidecrm.core import clock
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.core.permissions import check
from tidecrm.core.web import add_toast, is_htmx, login_required

from .. import selectors, services
from ..access import access_order
from ..models import Order
from .common import (
    ORDER_TABS,
    _date,
    _int,
    _lines_from,
    _list_filters,
    _list_page,
    _posted_rows,
    _product_catalogue,
    _toast,
    _work_customers,
)
from .contracts import money_form

TRIGGER = "orders-changed, order-changed, customer-changed"


@login_required
def order_list(request):
    """订单列表 (ORD-01): number, customer, contract, date, amount, received, invoiced, status."""
    services.require_orders()
    filters = _list_filters(
        request.GET,
        Order.Status,
        ordered_from=_date(request.GET.get("ordered_from")),
        ordered_to=_date(request.GET.get("ordered_to")),
    )
    return _list_page(
        request,
        "order",
        selectors.order_list,
        filters,
        Order.Status,
        section="orders",
        can_create=request.employee.has_permission("order.create"),
    )


@login_required
def order_create(request):
    """新建订单: a customer, optionally one of its contracts, the date, and product lines (the
    total) or an amount — the fields laid out, hidden and required as the enterprise set the
    order form (ORD-02); a hidden field's posted value is ignored."""
    services.require_orders()
    actor = request.employee
    check(actor, "order.create")
    source = request.POST if request.method == "POST" else request.GET
    customer_id = _int(source.get("customer_id"))
    products, catalogue = _product_catalogue()
    order_form = services.order_form()
    shown = {item["field"] for item in order_form if item["visible"]}
    context = {
        "order_form": order_form,
        "contract_shown": "contract" in shown,
        "values": request.POST or {"order_date": clock.today().isoformat(), "customer_id": customer_id or ""},
        "rows": _posted_rows(request.POST) if request.method == "POST" else [],
        "customers": _work_customers(actor),
        "contracts": selectors.order_contract_options(actor=actor, customer_id=customer_id)
        if customer_id
        else [],
        "products": products,
        "catalogue": catalogue,
    }
    if request.method == "POST":
        post = request.POST
        lines = _lines_from(post)
        try:
            if not customer_id:
                raise ValidationFailed({"customer_id": [_("请选择客户")]})
            if not lines and "amount" not in shown:
                raise ValidationFailed({"product_lines": [_("请添加产品明细")]})
            order = services.order_create(
                actor=actor,
                customer_id=customer_id,
                contract_id=_int(post.get("contract_id")) if "contract" in shown else None,
                order_date=_date(post.get("order_date")) if "order_date" in shown else None,
                amount=None if lines else (post.get("amount") or "").strip(),
                remark=post.get("remark", "") if "remark" in shown else "",
                product_lines=lines if "product_lines" in shown else [],
            )
        except BusinessError as error:
            context.update(error=error, field_errors=getattr(error, "fields", {}))
            return render(request, "sales/_order_modal.html", context, status=422)
        order = access_order(actor, order.pk)
        response = render(request, "sales/_order_drawer.html", _order_detail_context(request, order))
        response["HX-Retarget"] = "#drawer-slot"
        response["HX-Reswap"] = "innerHTML"
        return add_toast(
            response,
            request,
            _("订单 %(number)s 已创建") % {"number": order.number},
            trigger=TRIGGER,
            close_modal=True,
        )
    return render(request, "sales/_order_modal.html", context)


@login_required
def order_contract_options(request):
    """The <option>s of a customer's contracts (the order modal)."""
    services.require_orders()
    customer_id = _int(request.GET.get("customer_id"))
    options = (
        selectors.order_contract_options(actor=request.employee, customer_id=customer_id)
        if customer_id
        else []
    )
    return render(request, "sales/_order_contract_options.html", {"contracts": options})


# ---------------------------------------------------------------- detail


def _order_detail_context(request, order):
    actor = request.employee
    tab = request.GET.get("tab") if request.GET.get("tab") in ORDER_TABS else "info"
    can_write = actor.has_permission("order.create")
    can_pay = actor.has_permission("payment.create")
    live = order.status not in services.ORDER_CLOSED
    allowed = services.order_actions(order) if can_write else []
    return {
        "order": order,
        "tab": tab,
        "lines": selectors.lines_of(order=order),
        "money": selectors.money_of(order=order),
        "money_urls": {
            kind: reverse(f"order_{kind}_create", args=[order.pk]) if can_pay and live else ""
            for kind in ("plan", "payment", "invoice")
        },
        "money_live": live,
        "outstanding": order.amount - order.received_amount,
        "payment_hint": _("已驳回或作废的订单不能登记回款"),
        "invoice_hint": _("已驳回或作废的订单不能开票"),
        "actions": [action for action in allowed if action != "void"],
        "can_void": "void" in allowed,
        "can_pay": can_pay,
    }


@login_required
def order_drawer(request, order_id):
    services.require_orders()
    order = access_order(request.employee, order_id)
    return render(request, "sales/_order_drawer.html", _order_detail_context(request, order))


@login_required
def order_page(request, order_id):
    """The order detail as a full page (a shareable link)."""
    services.require_orders()
    order = access_order(request.employee, order_id)
    context = _order_detail_context(request, order)
    context.update(nav_active="sales", section="orders")
    if is_htmx(request) and request.headers.get("HX-Target") == "order-detail":
        return render(request, "sales/_order_detail.html", {**context, "target": "#order-detail"})
    return render(request, "sales/order_page.html", context)


ORDER_DONE = {
    "confirm": gettext_lazy("订单已确认"),
    "reject": gettext_lazy("订单已驳回"),
    "ship": gettext_lazy("订单已发货"),
    "complete": gettext_lazy("订单已完成"),
    "void": gettext_lazy("订单已作废"),
}


@login_required
@require_POST
def order_action(request, order_id, action):
    """确认 / 驳回 (待审核), 发货 (已确认), 完成 (已发货), 作废."""
    services.require_orders()
    if action not in ORDER_DONE:
        raise NotFound()
    services.order_transition(actor=request.employee, order_id=order_id, action=action)
    return _toast(str(ORDER_DONE[action]), trigger=TRIGGER)


# ---------------------------------------------------------------- money (CON-05..07 on orders)


def _order_money(request, order_id, kind):
    services.require_orders()
    order = access_order(request.employee, order_id)
    return money_form(
        request,
        record=order,
        kind=kind,
        target={"order_id": order.pk},
        form_url=reverse(f"order_{kind}_create", args=[order.pk]),
        trigger="orders-changed, order-changed",
    )


@login_required
def order_plan_create(request, order_id):
    return _order_money(request, order_id, "plan")


@login_required
def order_payment_create(request, order_id):
    return _order_money(request, order_id, "payment")


@login_required
def order_invoice_create(request, order_id):
    return _order_money(request, order_id, "invoice")
