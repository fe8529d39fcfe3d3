"""Customer writes (SPEC CUST-*, POOL-02/03/05/12/13/14, HOLD-02..06, FUP-01; API.md "Customers").

Every ownership move — create, transfer, release, claim, assign, delete, restore, inherit — is
one function here. Each locks the customer row (``select_for_update``), re-checks its state
inside the transaction, reserves holding-limit capacity for the new owner (rules.holding, which
also serialises that owner's acquisitions), and writes a :class:`CustomerFlow` row plus a
timeline event. Bulk actions answer per record. Apps whose records follow the customer (sales:
opportunities and contracts, POOL-14) listen at ``core.hooks.OWNER_CHANGED``.

The package by sub-domain: ``customers`` (create, edit, deal status), ``ownership`` (transfer,
release, pool targets, claim, assign, delete, restore, inherit), ``duplicates``, ``contacts``,
``tags``, ``collaborators``, ``followups``, and ``_common`` (the state check and the flow record
they share). Access is :mod:`tidecrm.customers.access`. Callers keep ``from tidecrm.customers import services`` and
``services.customer_claim(...)``: every public name (and the private ones the imports use) is
re-exported here. What other apps plug in (owner changes, release guards, deal sources) is
registered at ``tidecrm.core.hooks``.
"""

from ._common import (
    Kind,
    State,
    active_employee,
    counts_toward_limit,
)
from .collaborators import collaborator_remove, collaborator_set
from .contacts import CONTACT_FIELDS, clean_contact, contact_add, contact_delete, contact_update
from .customers import (
    EDITABLE,
    FIELD_LABELS,
    _clean_customer,
    customer_create,
    customer_update,
    deal_status_of,
    refresh_deal_status,
)
from .duplicates import (
    _candidates,
    _duplicate_lock,
    duplicate_of,
    duplicate_rule,
    find_duplicate,
    held_where,
    holder_of,
    refuse_duplicate,
)
from .followups import customer_followup_add, followup_create
from .ownership import (
    customer_assign,
    customer_claim,
    customer_delete,
    customer_inherit,
    customer_pool_target,
    customer_release,
    customer_restore,
    customer_transfer,
    customers_assign,
    customers_claim,
    customers_delete,
    customers_pool_target,
    customers_release,
    customers_restore,
    customers_transfer,
    may_delete,
)
from .tags import customer_set_tags, customers_add_tags, validate_tags

__all__ = [
    # shared checks
    "State",
    "Kind",
    "active_employee",
    "counts_toward_limit",
    "may_delete",
    # customers
    "EDITABLE",
    "FIELD_LABELS",
    "customer_create",
    "customer_update",
    "deal_status_of",
    "refresh_deal_status",
    # duplicates
    "duplicate_of",
    "duplicate_rule",
    "find_duplicate",
    "held_where",
    "holder_of",
    "refuse_duplicate",
    # ownership
    "customer_assign",
    "customer_claim",
    "customer_delete",
    "customer_inherit",
    "customer_pool_target",
    "customer_release",
    "customer_restore",
    "customer_transfer",
    "customers_assign",
    "customers_claim",
    "customers_delete",
    "customers_pool_target",
    "customers_release",
    "customers_restore",
    "customers_transfer",
    # tags
    "customer_set_tags",
    "customers_add_tags",
    "validate_tags",
    # contacts
    "CONTACT_FIELDS",
    "clean_contact",
    "contact_add",
    "contact_delete",
    "contact_update",
    # collaborators
    "collaborator_remove",
    "collaborator_set",
    # follow-ups
    "customer_followup_add",
    "followup_create",
    # private, used by customers.imports (its bulk twin of customer_create)
    "_candidates",
    "_clean_customer",
    "_duplicate_lock",
]
