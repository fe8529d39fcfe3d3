"""What the leads app plugs into: holding-limit counting and resignation inheritance."""

from django.db.models import Count

from tidecrm.rules import holding

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
