"""The money of contracts and orders (SPEC CON-05..07, ORD-01): payment plans, payments and
invoices, within the caps of Q-43 — Σ plans ≤ amount, Σ invoiced ≤ amount, Σ payments ≤ amount
unless confirmed — on effective contracts and on orders that are neither rejected nor void.
"""

from django.db import transaction
from django.db.models import Max, Sum
from django.utils.translation import gettext as _

from tidecrm.core import codes, timeline
from tidecrm.core.errors import BusinessError, ValidationFailed
from tidecrm.core.permissions import check

from ..access import access_contract, access_order
from ..models import ZERO, Invoice, Order, Payment, PaymentPlan
from ._common import CStatus, money
from .contracts import _require_contract


def _noun(kind):
    """合同 or 订单, for messages about the money of either."""
    return _("订单") if kind == "order" else _("合同")


def _target(actor, *, contract_id=None, order_id=None):
    if contract_id:
        return "contract", access_contract(actor, contract_id, "change", lock=True)
    return "order", access_order(actor, order_id, "change", lock=True)


ORDER_CLOSED = (Order.Status.REJECTED, Order.Status.VOID)  # no plans, payments or invoices


def _require_live_order(kind, target, action):
    """Plans, payments and invoices only on orders that are neither rejected nor void."""
    if kind == "order" and target.status in ORDER_CLOSED:
        raise BusinessError(
            codes.INVALID_TRANSITION,
            _("“%(s)s”的订单不能%(action)s") % {"s": target.get_status_display(), "action": action},
        )


def plan_add(*, actor, amount, due_on, contract_id=None, order_id=None, remark=""):
    """回款计划: Σ planned ≤ the contract amount (``plan_exceeds_amount``, Q-43)."""
    check(actor, "payment.create")
    amount = money(amount)
    if due_on is None:
        raise ValidationFailed({"due_on": [_("请选择计划回款日期")]})
    with transaction.atomic():
        kind, target = _target(actor, contract_id=contract_id, order_id=order_id)
        if kind == "contract":
            _require_contract(
                target,
                CStatus.DRAFT,
                CStatus.PENDING,
                CStatus.APPROVED,
                CStatus.REJECTED,
                action=_("添加回款计划"),
            )
        _require_live_order(kind, target, _("添加回款计划"))
        plans = PaymentPlan.objects.filter(**{kind: target})
        planned = plans.aggregate(s=Sum("amount"))["s"] or ZERO
        if planned + amount > target.amount:
            raise BusinessError(
                codes.PLAN_EXCEEDS_AMOUNT,
                _("回款计划总额不能超过%(noun)s金额（已计划 %(planned)s，%(noun)s金额 %(amount)s）")
                % {"noun": _noun(kind), "planned": planned, "amount": target.amount},
            )
        period = (plans.aggregate(m=Max("period"))["m"] or 0) + 1
        plan = PaymentPlan.objects.create(
            **{kind: target}, period=period, due_on=due_on, amount=amount, remark=(remark or "")[:200]
        )
        timeline.record(
            actor=actor, verb=f"{kind}.plan_added", obj=target, data={"period": period, "amount": str(amount)}
        )
    return plan


def payment_add(
    *,
    actor,
    amount,
    received_on,
    contract_id=None,
    order_id=None,
    plan_id=None,
    method="",
    remark="",
    confirm_overpay=False,
):
    """回款记录 on an effective contract (or an order); Σ received above the amount needs
    ``confirm_overpay`` (``payment_exceeds_amount``, Q-43)."""
    check(actor, "payment.create")
    amount = money(amount)
    if received_on is None:
        raise ValidationFailed({"received_on": [_("请选择回款日期")]})
    with transaction.atomic():
        kind, target = _target(actor, contract_id=contract_id, order_id=order_id)
        if kind == "contract":
            _require_contract(target, CStatus.APPROVED, action=_("登记回款"))
        _require_live_order(kind, target, _("登记回款"))
        plan = None
        if plan_id:
            plan = PaymentPlan.objects.filter(pk=plan_id, **{kind: target}).first()
            if plan is None:
                raise ValidationFailed({"plan_id": [_("回款期次不属于该%(noun)s") % {"noun": _noun(kind)}]})
        if target.received_amount + amount > target.amount and not confirm_overpay:
            raise BusinessError(
                codes.PAYMENT_EXCEEDS_AMOUNT,
                _("累计回款 %(total)s 将超过金额 %(amount)s，请确认后再提交")
                % {"total": target.received_amount + amount, "amount": target.amount},
            )
        payment = Payment.objects.create(
            **{kind: target},
            plan=plan,
            amount=amount,
            received_on=received_on,
            method=(method or "")[:20],
            remark=(remark or "")[:200],
            created_by=actor,
        )
        target.received_amount = (
            Payment.objects.filter(**{kind: target}).aggregate(s=Sum("amount"))["s"] or ZERO
        )
        target.save(update_fields=["received_amount"])
        timeline.record(actor=actor, verb=f"{kind}.payment", obj=target, data={"amount": str(amount)})
    return payment


def invoice_add(
    *,
    actor,
    amount,
    contract_id=None,
    order_id=None,
    type=Invoice.Type.NORMAL,
    title="",
    tax_number="",
    number="",
    issued_on=None,
):
    """开票: an application, issued when it has a number and date; Σ invoiced ≤ amount
    (``invoice_exceeds_amount``, Q-43)."""
    check(actor, "payment.create")
    amount = money(amount)
    if type not in Invoice.Type.values:
        raise ValidationFailed({"type": [_("请选择发票类型")]})
    with transaction.atomic():
        kind, target = _target(actor, contract_id=contract_id, order_id=order_id)
        if kind == "contract":
            _require_contract(target, CStatus.APPROVED, action=_("开票"))
        _require_live_order(kind, target, _("开票"))
        invoiced = Invoice.objects.filter(**{kind: target}).aggregate(s=Sum("amount"))["s"] or ZERO
        if invoiced + amount > target.amount:
            raise BusinessError(
                codes.INVOICE_EXCEEDS_AMOUNT,
                _("开票总额不能超过金额（已开 %(done)s，金额 %(amount)s）")
                % {"done": invoiced, "amount": target.amount},
            )
        issued = bool(number and issued_on)
        invoice = Invoice.objects.create(
            **{kind: target},
            amount=amount,
            type=type,
            title=(title or "")[:100],
            tax_number=(tax_number or "")[:30],
            number=(number or "")[:40],
            issued_on=issued_on,
            status=Invoice.Status.ISSUED if issued else Invoice.Status.APPLIED,
            created_by=actor,
        )
        target.invoiced_amount = invoiced + amount
        target.save(update_fields=["invoiced_amount"])
        timeline.record(actor=actor, verb=f"{kind}.invoice", obj=target, data={"amount": str(amount)})
    return invoice
