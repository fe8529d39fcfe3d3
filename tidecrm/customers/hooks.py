"""What the customers app plugs into: holding-limit counting (HOLD-04) and inheritance (INH)."""

from django.db.models import Count, Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from tidecrm.core import hooks
from tidecrm.core.bulk import each_independently
from tidecrm.org import inheritance
from tidecrm.rules import holding

from . import config
from .models import Customer, PoolTarget


def countable():
    """HOLD-04 / Q-15: owned customers count unless at the terminal stage or won."""
    return Customer.objects.filter(state=Customer.State.OWNED, has_won=False).exclude(stage__is_terminal=True)


def count_owned(employee_ids):
    rows = countable().filter(owner_id__in=employee_ids).values("owner_id").annotate(n=Count("pk"))
    return {row["owner_id"]: row["n"] for row in rows}


holding.register_counter("customer", count_owned)


def count_pending(employee_ids):
    rows = (
        Customer.objects.filter(state=Customer.State.OWNED, owner_id__in=employee_ids)
        .values("owner_id")
        .annotate(n=Count("pk"))
    )
    return {row["owner_id"]: row["n"] for row in rows}


def transfer(actor, from_employee, to_employee, ids=None):
    from .services import customer_inherit

    owned = Customer.objects.filter(state=Customer.State.OWNED, owner=from_employee)
    if ids is not None:
        owned = owned.filter(pk__in=ids)
    ids = list(owned.order_by("pk").values_list("pk", flat=True))
    return each_independently(
        ids, lambda pk: customer_inherit(actor=actor, customer_id=pk, employee=to_employee)
    )


inheritance.register(
    inheritance.InheritanceHandler(kind="customer", label=_("客户"), count=count_pending, transfer=transfer)
)


def open_when_no_target_is_left(department):
    """定向公海: the pool targets at a department being deleted go, and a customer whose last
    target that was is open to its whole library again, not hidden from everyone but the pool
    managers (set-based, in the deletion's transaction)."""
    targets = PoolTarget.objects.filter(department=department)
    customer_ids = list(targets.values_list("customer_id", flat=True))
    targets.delete()
    Customer.objects.filter(pk__in=customer_ids, targeted=True).exclude(
        Exists(PoolTarget.objects.filter(customer_id=OuterRef("pk")))
    ).update(targeted=False)


hooks.register(hooks.DEPARTMENT_DELETING, open_when_no_target_is_left)
hooks.register(hooks.TENANT_CREATED, config.seed_defaults)
