"""Order writes (SPEC ORD-01/02/04): orders behind the enterprise's switch, checked against
its order form layout, numbered per enterprise, optionally tied to a live contract, and moved
along ORDER_FLOW (or voided). Their money is in :mod:`.money`.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from tidecrm.core import clock, codes, timeline
from tidecrm.core.errors import BusinessError, ValidationFailed
from tidecrm.core.permissions import check

from .. import verbs
from ..models import ORDER_FORM_FIELDS, ZERO, Contract, Order, default_order_form
from ._common import _customer_for_work, _next_number, money, require_orders, sales_settings
from .money import _target
from .products import _lines, _replace_lines


def order_form(settings=None):
    """ORD-02: the enterprise's order form layout as ``[{field, visible, required}]`` in display
    order — the stored list cleaned (unknown or repeated fields dropped, a hidden field never
    required) with any field it lacks appended visible, as in the default."""
    stored = (settings or sales_settings()).order_form
    stored = stored if isinstance(stored, list) and stored else default_order_form()
    items, seen = [], set()
    for item in stored:
        field = item.get("field") if isinstance(item, dict) else None
        if not isinstance(field, str) or field not in ORDER_FORM_FIELDS or field in seen:
            continue
        seen.add(field)
        visible = bool(item.get("visible", True))
        items.append({"field": field, "visible": visible, "required": visible and bool(item.get("required"))})
    items += [item for item in default_order_form() if item["field"] not in seen]
    return items


# The order_create parameter each form field fills (the key of its 422 message).
ORDER_FORM_PARAMS = {
    "contract": "contract_id",
    "order_date": "order_date",
    "amount": "amount",
    "remark": "remark",
    "product_lines": "product_lines",
}


def _check_order_form(settings, given):
    """ORD-02: the fields the enterprise made required must be given (``given`` maps a form
    field to whether it was). The amount counts as given when the order has product lines."""
    messages = {
        "contract": _("请选择关联合同"),
        "order_date": _("请填写下单日期"),
        "amount": _("请填写订单金额"),
        "remark": _("请填写备注"),
        "product_lines": _("请添加产品明细"),
    }
    errors = {
        ORDER_FORM_PARAMS[item["field"]]: [messages[item["field"]]]
        for item in order_form(settings)
        if item["required"] and not given[item["field"]]
    }
    if errors:
        raise ValidationFailed(errors)


def order_create(
    *, actor, customer_id, amount=None, order_date=None, contract_id=None, remark="", product_lines=()
):
    """新建订单 (ORD-01): an order for an owned customer the caller may change, numbered
    ``DD<YYYYMMDD><sequence>``, followed by the customer's owner, status 待审核; the amount is Σ lines
    when lines are given. Needs ``order.create`` and the orders switch (403 ``feature_disabled``,
    ORD-04); refusals: 422 for a field the order form requires (ORD-02) or a contract that is not
    this customer's or is void, ``invalid_transition`` for a pool customer."""
    check(actor, "order.create")
    settings = require_orders()
    _check_order_form(
        settings,
        {
            "contract": bool(contract_id),
            "order_date": bool(order_date),
            "amount": bool(product_lines) or str(amount if amount is not None else "").strip() != "",
            "remark": bool((remark or "").strip()),
            "product_lines": bool(product_lines),
        },
    )
    lines = _lines(product_lines)
    with transaction.atomic():
        customer = _customer_for_work(actor, customer_id)
        total = (
            sum((line["subtotal"] for line in lines), ZERO)
            if lines
            else money(amount if amount is not None else 0)
        )
        contract = None
        if contract_id:
            contract = Contract.objects.filter(pk=contract_id, customer=customer).first()
            if contract is None:
                raise ValidationFailed({"contract_id": [_("合同不属于该客户")]})
            if contract.status == Contract.Status.VOID:
                raise ValidationFailed({"contract_id": [_("该合同已作废，不能再下订单")]})
        order = Order.objects.create(
            number=_next_number("order", "DD"),
            customer=customer,
            contract=contract,
            owner=customer.owner,
            order_date=order_date or clock.today(),
            amount=total,
            remark=(remark or "")[:500],
            created_by=actor,
        )
        _replace_lines("order", order, lines)
        timeline.record(actor=actor, verb=verbs.ORDER_CREATED, obj=order)
    return order


ORDER_FLOW = {
    "confirm": (Order.Status.PENDING, Order.Status.CONFIRMED),
    "reject": (Order.Status.PENDING, Order.Status.REJECTED),
    "ship": (Order.Status.CONFIRMED, Order.Status.SHIPPED),
    "complete": (Order.Status.SHIPPED, Order.Status.COMPLETED),
}
ORDER_VOIDABLE = (Order.Status.PENDING, Order.Status.CONFIRMED, Order.Status.SHIPPED)


def order_actions(order):
    """What may be done to an order in its status: the ORDER_FLOW steps, then "void"."""
    actions = [action for action, (source, _to) in ORDER_FLOW.items() if source == order.status]
    if order.status in ORDER_VOIDABLE:
        actions.append("void")
    return actions


def order_transition(*, actor, order_id, action):
    """Move an order along ORDER_FLOW (confirm, reject, ship, complete) or void it from 待审核,
    已确认 or 已发货; each move is a timeline event. Needs ``order.create`` and the orders switch;
    refusals: 422 for an unknown action, 404, ``invalid_transition`` from any other status."""
    check(actor, "order.create")
    if action == "void":
        sources, target = ORDER_VOIDABLE, Order.Status.VOID
    elif action in ORDER_FLOW:
        source, target = ORDER_FLOW[action]
        sources = (source,)
    else:
        raise ValidationFailed(message=_("未知操作"))
    with transaction.atomic():
        _kind, order = _target(actor, order_id=order_id)
        if order.status not in sources:
            raise BusinessError(
                codes.INVALID_TRANSITION, _("“%(s)s”的订单不能执行该操作") % {"s": order.get_status_display()}
            )
        order.status = target
        order.save(update_fields=["status"])
        timeline.record(actor=actor, verb=f"order.{action}", obj=order)
    return order
