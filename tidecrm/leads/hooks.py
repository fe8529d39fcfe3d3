"""What the leads app plugs into: holding-limit counting and resignation inheritance."""

from django.db.models import Count
from django.utils.translation import gettext_lazy

from tidecrm.core import hooks
from tidecrm.org import inheritance
from tidecrm.rules import engine, holding

from .models import Lead
from .services import seed_defaults
from .timeout import recycle_timed_out


def count_owned(employee_ids):
    """HOLD-01: leads owned count, except 无效 ones (PROPOSED in SPEC)."""
    rows = (
        Lead.objects.filter(owner_id__in=employee_ids, state=Lead.State.OWNED, deleted_at__isnull=True)
        .exclude(status=Lead.Status.INVALID)
        .values("owner_id")
        .annotate(n=Count("pk"))
    )
    return {row["owner_id"]: row["n"] for row in rows}


holding.register_counter("lead", count_owned)


engine.register("lead_timeout_recycle", recycle_timed_out)


def count_pending(employee_ids):
    """INH-01 待继承线索数: every owned lead of a resigned employee, whatever its status."""
    rows = (
        Lead.objects.filter(owner_id__in=employee_ids, state=Lead.State.OWNED, deleted_at__isnull=True)
        .values("owner_id")
        .annotate(n=Count("pk"))
    )
    return {row["owner_id"]: row["n"] for row in rows}


def transfer(actor, from_employee, to_employee, ids=None):
    from tidecrm.core.bulk import each_independently

    from .services import lead_inherit

    owned = Lead.objects.filter(state=Lead.State.OWNED, owner=from_employee, deleted_at__isnull=True)
    if ids is not None:
        owned = owned.filter(pk__in=ids)
    ids = list(owned.order_by("pk").values_list("pk", flat=True))
    return each_independently(ids, lambda pk: lead_inherit(actor=actor, lead_id=pk, employee=to_employee))


inheritance.register(
    inheritance.InheritanceHandler(
        kind="lead", label=gettext_lazy("线索"), count=count_pending, transfer=transfer
    )
)


hooks.register(hooks.TENANT_CREATED, seed_defaults)
