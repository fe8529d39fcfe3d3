"""What the leads app plugs into: holding-limit counting and resignation inheritance."""

from django.db.models import Count
from django.utils.translation import gettext_lazy

from tidecrm.org import inheritance
from tidecrm.rules import engine, holding

from .models import Lead


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


def recycle_timed_out(*, now):
    """LEAD-08: owned leads still 待处理 / 领取待处理 with no change for N hours go back to
    待分配 (回收待分配), set-based and idempotent. Returns how many were recycled."""
    from datetime import timedelta

    from django.db.models import F, Q
    from django.db.models.functions import Coalesce

    from tidecrm.core.bulk import fast_insert
    from tidecrm.core.models import TimelineEvent

    from .models import LeadFlow
    from .services import lead_settings

    hours = lead_settings().timeout_recycle_hours
    if not hours:
        return 0
    cutoff = now - timedelta(hours=hours)
    stale = (
        Lead.objects.filter(
            state=Lead.State.OWNED,
            status__in=[Lead.Status.PENDING, Lead.Status.CLAIMED_PENDING],
            deleted_at__isnull=True,
            updated_at__lte=cutoff,
        )
        .filter(Q(last_followup_at__isnull=True) | Q(last_followup_at__lte=cutoff))
        .annotate(took_at=Coalesce("claimed_at", "allocated_at", "created_at"))
        .filter(took_at__lte=cutoff)
    )
    rows = list(stale.select_for_update(skip_locked=True).values_list("pk", "owner_id", "tenant_id"))
    if not rows:
        return 0
    ids = [pk for pk, _owner, _tenant in rows]
    changed = Lead.objects.filter(pk__in=ids, state=Lead.State.OWNED).update(
        state=Lead.State.UNALLOCATED,
        recycled=True,
        previous_owner_id=F("owner_id"),
        owner=None,
        recycled_at=now,
        updated_at=now,
    )
    reason = "超时未处理，自动回收"
    fast_insert(
        LeadFlow,
        [
            {
                "tenant_id": tenant,
                "lead_id": pk,
                "kind": LeadFlow.Kind.RECYCLE,
                "from_owner_id": owner,
                "reason": reason,
                "created_at": now,
            }
            for pk, owner, tenant in rows
        ],
    )
    fast_insert(
        TimelineEvent,
        [
            {
                "tenant_id": tenant,
                "verb": f"lead.{LeadFlow.Kind.RECYCLE}",  # as core.ownership.record_move names it
                "object_type": "lead",
                "object_id": pk,
                "reason": reason,
                "created_at": now,
            }
            for pk, _owner, tenant in rows
        ],
    )
    return changed


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
