"""Customers count toward the holding limit while owned (HOLD-04; won-deal exemption comes with sales)."""

from django.db.models import Count

from tidecrm.rules import holding

from .models import Customer


def count_owned(employee_ids):
    rows = (
        Customer.objects.filter(owner_id__in=employee_ids, state=Customer.State.OWNED)
        .values("owner_id")
        .annotate(n=Count("pk"))
    )
    return {row["owner_id"]: row["n"] for row in rows}


holding.register_counter("customer", count_owned)
