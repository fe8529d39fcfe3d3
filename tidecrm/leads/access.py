"""Who may see or work a lead (SPEC LEAD-05/10/21/22, ROLE "Semantics"): the leads'
:class:`~tidecrm.core.access.Policy`.

The three containers see differently: an owned (or converted) lead is visible when its owner is
within the caller's lead scope, and whoever sees an owned lead may work it (edit, follow up, set
its status, convert, release, recycle, delete); the pending pool (待分配) is visible to holders of
``lead.allocate``; the public pool to everyone. Deleted leads are gone for everyone. Everything
else is 404.

Actions: ``view`` (which is also the right to work an owned lead) and ``claim``: every lead, whose
state then answers (the pool's is claimed, an owned one was claimed first: ``already_claimed``).
"""

from django.db.models import Q

from tidecrm.core import access
from tidecrm.org.models import Employee
from tidecrm.org.scopes import visible_owner_q

from .models import Lead

State = Lead.State


def visible_condition(actor: Employee) -> Q:
    """Leads the caller sees: own scope for owned and converted ones, the pending pool for
    allocators, the public pool for everyone."""
    condition = Q(state=State.POOL) | (
        Q(state__in=[State.OWNED, State.CONVERTED]) & visible_owner_q(actor, "lead")
    )
    if actor.has_permission("lead.allocate"):
        condition |= Q(state=State.UNALLOCATED)
    return condition


LEADS = access.register(
    access.Policy(
        model=Lead,
        conditions={
            "view": visible_condition,
            # every lead: the claim is answered by the lead's state (a pool lead is claimed, an
            # owned one was claimed first: already_claimed; others: invalid_transition)
            "claim": lambda actor: Q(),
        },
        known={"claim": "claim"},
        shortcut=lambda actor, lead, action: lead.state == State.OWNED and lead.owner_id == actor.pk,
        base=lambda: Q(deleted_at__isnull=True),
    )
)

SHOWN = ("owner", "previous_owner", "created_by")


def access_lead(
    actor: Employee, lead_id: int, action: str = "view", *, lock: bool = False, permission: str | None = None
) -> Lead:
    """The (not deleted) lead if ``actor`` may ``action`` it, else 404 (403 for a missing
    ``permission``); with ``lock`` the row is locked and the decision taken on it."""
    return access.access(
        Lead, actor, lead_id, action, lock=lock, permission=permission, related=() if lock else SHOWN
    )
