"""The lead timeout (超时未处理自动回收, LEAD-08): a rule the rules engine runs (registered in
``hooks.py``), set-based and idempotent."""

from datetime import timedelta

from django.db.models import F, Q
from django.db.models.functions import Coalesce

from tidecrm.core.bulk import fast_insert
from tidecrm.core.models import TimelineEvent

from .models import Lead, LeadFlow
from .services import lead_settings


def recycle_timed_out(*, now):
    """LEAD-08: owned leads still 待处理 / 领取待处理 with no change for N hours go back to
    待分配 (回收待分配), set-based and idempotent. Returns how many were recycled."""
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
