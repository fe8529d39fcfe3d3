"""The timeline verbs of customers, contacts, follow-ups and the customer settings.

A verb is ``<object>.<event>`` and is stored as written (``TimelineEvent.verb``): the journey,
the audit and the templates that word an event (``customers/_change.html``) match on the value,
so a value never changes. Sales writes :data:`CUSTOMER_OPPORTUNITY`, :data:`CUSTOMER_CONTRACT`
and :data:`CUSTOMER_STAGE` on the customer it works for.

Built verbs (not listed here): every ownership move is ``customer.<kind>``, one verb per
``CustomerFlow.Kind`` (``customer.create``, ``.claim``, ``.transfer``, ``.assign``, ``.release``,
``.recycle``, ``.autoflow``, ``.inherit``, ``.delete``, ``.restore``, ``.import``), written by
``core.ownership.record_move`` and, for an import, by ``customers/imports.py``.
"""

# ---------------------------------------------------------------- the customer (its journey's changes)
CUSTOMER_UPDATED = "customer.updated"  # fields edited; changes = {field: [old, new]}
CUSTOMER_STAGE = "customer.stage"  # only the stage changed (by an edit, or a contract approved)
CUSTOMER_TAGS = "customer.tags"  # the tags changed
CUSTOMER_COLLABORATOR_ADDED = "customer.collaborator_added"
CUSTOMER_COLLABORATOR_CHANGED = "customer.collaborator_changed"  # a collaborator's access changed
CUSTOMER_COLLABORATOR_REMOVED = "customer.collaborator_removed"
CUSTOMER_POOL_TARGETED = "customer.pool_targeted"  # pool customer offered to departments (or to all)
CUSTOMER_OPPORTUNITY = "customer.opportunity"  # an opportunity created for the customer (sales)
CUSTOMER_CONTRACT = "customer.contract"  # a contract created for the customer (sales)

# ---------------------------------------------------------------- contacts and follow-ups
CONTACT_CREATED = "contact.created"
CONTACT_UPDATED = "contact.updated"
CONTACT_DELETED = "contact.deleted"
FOLLOWUP_CREATED = "followup.created"  # on the customer or the lead followed up

# ---------------------------------------------------------------- customer settings
CUSTOMER_SETTINGS = "customer.settings"  # the enterprise's customer settings changed
LIBRARY_CREATED = "library.created"
LIBRARY_UPDATED = "library.updated"
LIBRARY_DELETED = "library.deleted"
STAGE_CREATED = "stage.created"  # a customer stage (进展)
STAGE_UPDATED = "stage.updated"
STAGE_DELETED = "stage.deleted"
TAG_GROUP_CREATED = "tag_group.created"
TAG_GROUP_UPDATED = "tag_group.updated"
TAG_GROUP_DELETED = "tag_group.deleted"
