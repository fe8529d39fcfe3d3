"""Lead reads: the three containers (each seen as the leads' access policy says,
:mod:`tidecrm.leads.access`), masking and the follow-ups."""

from django.db.models import Q

from tidecrm.core.access import restrict
from tidecrm.core.dates import filter_dates
from tidecrm.core.errors import PermissionDenied
from tidecrm.core.normalize import mask_email, mask_phone, mask_qq, normalize_phone

from .models import Lead

State = Lead.State
# GEN-03 / LEAD-21: the containers whose leads everyone sees with phone, QQ and e-mail masked.
MASKED_STATES = frozenset({State.POOL})


def lead_list(
    *,
    actor,
    state=State.OWNED,
    q=None,
    status=None,
    owner_id=None,
    recycled=None,
    created_from=None,
    created_to=None,
):
    """Return the leads of one container the actor may see, newest first."""
    if state == State.UNALLOCATED and not actor.has_permission("lead.allocate"):
        raise PermissionDenied()
    leads = restrict(Lead.objects.filter(state=state), actor)
    if status:
        leads = leads.filter(status=status)
    if owner_id:
        leads = leads.filter(owner_id=owner_id)
    if recycled is not None:
        leads = leads.filter(recycled=recycled)
    leads = filter_dates(leads, "created_at", created_from, created_to)
    if q:
        q = q.strip()
        digits = normalize_phone(q)
        condition = Q(name__icontains=q) | Q(company_name__icontains=q)
        if digits.isdigit():
            # A masked phone (``139****0008``) is found by its whole number only: matching a
            # part of it would let a dozen searches recover the digits the mask hides.
            condition |= Q(phone=digits) if state in MASKED_STATES else Q(phone__contains=digits)
        leads = leads.filter(condition)
    return leads.select_related("owner", "previous_owner", "created_by").order_by("-created_at", "-id")


def is_masked(lead):
    """GEN-03 / LEAD-21: phone, QQ and e-mail of a pool lead are masked until claimed."""
    return lead.state in MASKED_STATES


def contact_fields(lead):
    """Return phone, QQ and e-mail as the caller may see them (masked in the pool)."""
    if is_masked(lead):
        return {"phone": mask_phone(lead.phone), "qq": mask_qq(lead.qq), "email": mask_email(lead.email)}
    return {"phone": lead.phone, "qq": lead.qq, "email": lead.email}


def followups_of(lead):
    """Return a lead's follow-up records, newest first (the lead was already checked visible)."""
    from tidecrm.customers.models import Followup

    return Followup.objects.filter(lead=lead).select_related("created_by").order_by("-created_at", "-id")
