"""Ownership moves, one model and one write for leads and customers (SPEC LEAD-05..25,
CUST-18..29, POOL-02..14).

A lead and a customer are both held by one employee at a time, or by none (a pool, the recycle
bin). Every move of the holder — create, allocate, claim, transfer, release, recycle, delete,
restore, inherit, convert — is one append-only row of an :class:`OwnershipFlow` table (the
lead's ``LeadFlow``, the customer's ``CustomerFlow``: the same columns, each its own table so
that each is indexed by its record) and one timeline event, written by :func:`record_move`.
:func:`require_state` is the refusal of a move from the wrong container (``invalid_transition``,
worded by the record's model).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from . import clock, timeline
from .codes import INVALID_TRANSITION
from .errors import BusinessError, NotFound
from .models import TenantModel, unindexed_tenant_key


class OwnershipFlow(TenantModel):
    """One move of a record's holder: kind, from whom, to whom, by whom, why and when.

    A concrete flow names its record with a foreign key called :attr:`subject_field` and lists
    its kinds as ``Kind`` choices (the timeline verb is ``<subject>.<kind>``).
    """

    subject_field = ""  # the foreign key to the record that moved ("lead", "customer")

    tenant = unindexed_tenant_key()
    kind = models.CharField(max_length=16)
    from_owner = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    to_owner = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    operator = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        abstract = True


def record_move(
    flow_model: type[OwnershipFlow],
    subject: models.Model,
    kind: str,
    *,
    operator: Any,
    from_owner: Any = None,
    to_owner: Any = None,
    reason: str = "",
) -> OwnershipFlow:
    """Write the flow row and the timeline event (``<subject>.<kind>``, the owner's old → new
    names when it changed) of one move of ``subject``; return the flow row."""
    flow = flow_model.objects.create(
        **{flow_model.subject_field: subject},
        kind=kind,
        from_owner=from_owner,
        to_owner=to_owner,
        operator=operator,
        reason=(reason or "")[:200],
    )
    timeline.record(
        actor=operator,
        verb=f"{flow_model.subject_field}.{kind}",
        obj=subject,
        changes={"owner": [from_owner.name if from_owner else None, to_owner.name if to_owner else None]}
        if from_owner != to_owner
        else {},
        reason=reason,
    )
    return flow


def locked_for_job(model: type[TenantModel], pk: Any, **live: Any) -> Any:
    """Lock one record (``live``: the filter of rows that still exist, e.g. not soft-deleted) for
    a move made for the enterprise rather than for a caller's access -- inheritance (INH-03,
    LEAD-25) -- where :mod:`tidecrm.core.access` does not apply; 404 when it is gone."""
    record = model.objects.select_for_update(of=("self",)).filter(pk=pk, **live).first()
    if record is None:
        raise NotFound()
    return record


def require_state(record: Any, *states: str, action: str) -> None:
    """Refuse a move of ``record`` unless it is in one of ``states``: ``invalid_transition``,
    in the words of the record's own ``state_refusal(action)`` (where it is, what cannot be done)."""
    if record.state not in states:
        raise BusinessError(INVALID_TRANSITION, record.state_refusal(action))
