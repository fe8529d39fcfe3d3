"""Helpers every sales sub-domain shares: money parsing (Q-43 amounts), the enterprise's
sales settings and the orders switch (ORD-04), per-enterprise numbering (CON-02, ORD-01), and
the two access checks for writes — a customer the caller works on, and who may change an
opportunity, contract or order (CUST-17). Which records the caller may see is
:func:`tidecrm.sales.selectors.visible_q`, shared with the reads.
"""

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tidecrm.core import clock
from tidecrm.core.errors import BusinessError, ValidationFailed
from tidecrm.customers import services as customer_services
from tidecrm.customers.models import Customer
from tidecrm.org.scopes import visible_owner_q

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
    from tidecrm.customers.selectors import customer_get

    customer = customer_get(actor=actor, customer_id=customer_id)
    if customer.state != Customer.State.OWNED:
        raise BusinessError("invalid_transition", _("公海中的客户需先领取"))
    customer_services.may_write(actor, customer)
    return customer


def _may_change(actor, record, module):
    """Changing an opportunity or contract: its owner, someone whose scope covers the owner, or
    a collaborator with write access on the customer; read-only collaborators only look and
    follow up (CUST-17)."""
    from tidecrm.customers.models import Collaborator

    if record.owner_id == actor.pk:
        return
    if type(record).objects.filter(visible_owner_q(actor, module), pk=record.pk).exists():
        return
    if Collaborator.objects.filter(
        customer_id=record.customer_id, employee=actor, access=Collaborator.Access.WRITE
    ).exists():
        return
    raise BusinessError("permission_denied", _("您是该客户的只读协作人，不能修改"), status=403)
