"""Who may see or change an opportunity, a contract, an order and their money (SPEC ROLE
"Semantics", CUST-17, ORD-04): the sales :class:`~tidecrm.core.access.Policy`.

An opportunity (module ``opportunity``), a contract or an order (module ``contract``) is visible
when its owner is within the caller's scope for the module, or the customer is shared with the
caller (collaborators see the customer's sales records too). Changing one takes its owner, a
scope covering the owner, or a write collaborator on the customer; a read collaborator looks and
follows up, and is answered 403 ``permission_denied``. Payment plans, payments and invoices are
seen with their contract or order. Orders exist only while the enterprise's switch is on (403
``feature_disabled``). Deleted opportunities are gone for everyone.

Actions: ``view`` and ``change``.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from tidecrm.core import access, codes
from tidecrm.core.errors import BusinessError
from tidecrm.core.models import TenantModel
from tidecrm.customers.access import shared_with_q
from tidecrm.customers.models import Collaborator
from tidecrm.org.models import Employee
from tidecrm.org.scopes import visible_owner_q

from .defaults import require_orders
from .models import Contract, Invoice, Opportunity, Order, Payment, PaymentPlan


def _visible(module: str) -> Callable[[Employee], Q]:
    def condition(actor: Employee) -> Q:
        return access.any_of(visible_owner_q(actor, module), shared_with_q(actor))

    return condition


def _changeable(module: str) -> Callable[[Employee], Q]:
    def condition(actor: Employee) -> Q:
        return access.any_of(
            Q(owner_id=actor.pk),
            visible_owner_q(actor, module),
            shared_with_q(actor, access_level=Collaborator.Access.WRITE),
        )

    return condition


def _read_only(actor: Employee, record: Any, action: str) -> Exception:
    return BusinessError(codes.PERMISSION_DENIED, _("您是该客户的只读协作人，不能修改"), status=403)


def _owner(actor: Employee, record: Any, action: str) -> bool:
    return record.owner_id == actor.pk


def _owned_policy(model: type[TenantModel], module: str, base: Callable[[], Q] = Q) -> access.Policy:
    return access.register(
        access.Policy(
            model=model,
            conditions={"view": _visible(module), "change": _changeable(module)},
            known={"change": "view"},
            denied=_read_only,
            shortcut=_owner,
            base=base,
        )
    )


OPPORTUNITIES = _owned_policy(Opportunity, "opportunity", base=lambda: Q(deleted_at__isnull=True))
CONTRACTS = _owned_policy(Contract, "contract")
ORDERS = _owned_policy(Order, "contract")


def _money_visible(actor: Employee) -> Q:
    return Q(contract__in=access.restrict(Contract.objects.all(), actor).values("pk")) | Q(
        order__in=access.restrict(Order.objects.all(), actor).values("pk")
    )


for _model in (PaymentPlan, Payment, Invoice):
    access.register(access.Policy(model=_model, conditions={"view": _money_visible}))


# What a page or an answer shows with the record (a locked read takes the row alone).
SHOWN = {
    Opportunity: ("customer", "owner", "stage", "closed_by", "created_by"),
    Contract: ("customer", "owner", "opportunity", "created_by"),
    Order: ("customer", "owner", "contract", "created_by"),
}


def _access(model: type[TenantModel], actor: Employee, pk: int, action: str, lock: bool) -> Any:
    return access.access(model, actor, pk, action, lock=lock, related=() if lock else SHOWN[model])


def access_opportunity(
    actor: Employee, opportunity_id: int, action: str = "view", *, lock: bool = False
) -> Opportunity:
    """The (not deleted) opportunity if ``actor`` may ``action`` it; else 404 (403 for a read
    collaborator's change)."""
    return _access(Opportunity, actor, opportunity_id, action, lock)


def access_contract(
    actor: Employee, contract_id: int, action: str = "view", *, lock: bool = False
) -> Contract:
    """The contract if ``actor`` may ``action`` it; else 404 (403 for a read collaborator's change)."""
    return _access(Contract, actor, contract_id, action, lock)


def access_order(actor: Employee, order_id: int, action: str = "view", *, lock: bool = False) -> Order:
    """The order if orders are on (403 ``feature_disabled``) and ``actor`` may ``action`` it."""
    require_orders()
    return _access(Order, actor, order_id, action, lock)
