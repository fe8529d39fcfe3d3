"""Helpers every sales sub-domain shares: money parsing (Q-43 amounts), the enterprise's
sales settings and the orders switch (ORD-04), per-enterprise numbering (CON-02, ORD-01), and
the customer a sales record is made for (one the caller may change, CUST-17). Who may see or
change an opportunity, contract or order is :mod:`tidecrm.sales.access`.
"""

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tidecrm.core import access, clock, codes
from tidecrm.core.errors import BusinessError, ValidationFailed
from tidecrm.customers.access import access_customer
from tidecrm.customers.models import Customer

from ..defaults import require_orders, sales_settings  # noqa: F401 - re-exported to the package
from ..models import Contract, NumberSequence, Opportunity

Status = Opportunity.Status
CStatus = Contract.Status


def money(value, field="amount", *, positive=True, allow_zero=False):
    """Parse a money value ("1089.09", 1089.09, Decimal) with two places; refuse ≤ 0."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationFailed({field: [_("请输入正确的金额")]}) from None
    if amount.is_nan() or amount > Decimal("999999999999"):
        raise ValidationFailed({field: [_("请输入正确的金额")]})
    if positive and (amount < 0 or (amount == 0 and not allow_zero)):
        raise ValidationFailed({field: [_("金额必须大于0")]})
    return amount


def _next_number(kind, prefix):
    """``<prefix><YYYYMMDD><4-digit sequence>``, unique per enterprise and safe under concurrency
    (the day's sequence row is locked)."""
    day = clock.today()
    try:
        with transaction.atomic():
            NumberSequence.objects.get_or_create(kind=kind, day=day)
    except IntegrityError:
        pass
    sequence = NumberSequence.objects.select_for_update().get(kind=kind, day=day)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"{prefix}{day:%Y%m%d}{sequence.last:04d}"


def _customer_for_work(actor, customer_id):
    """A customer the caller may work on (owner, scope, or write collaborator), owned."""
    customer = access_customer(actor, customer_id)
    if customer.state != Customer.State.OWNED:
        raise BusinessError(codes.INVALID_TRANSITION, _("公海中的客户需先领取"))
    access.require(actor, customer, "change")
    return customer
