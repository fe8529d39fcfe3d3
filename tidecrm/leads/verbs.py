"""The timeline verbs of leads.

A verb is ``<object>.<event>`` and is stored as written (``TimelineEvent.verb``): the lead's
history and its template (``leads/_event_label.html``) match on the value, so a value never
changes.

Built verbs (not listed here): every ownership move is ``lead.<kind>``, one verb per
``LeadFlow.Kind`` (``lead.create``, ``.allocate``, ``.recycle``, ``.release``, ``.claim``,
``.delete``, ``.inherit``, ``.convert``), written by ``core.ownership.record_move`` and, for the
timeout recycle, by ``leads/hooks.py``.
"""

LEAD_UPDATED = "lead.updated"  # fields edited; changes = {field: [old, new]}
LEAD_STATUS = "lead.status"  # the follow-up status changed
LEAD_IMPORT = "lead.import"  # one per import job (each lead's LeadFlow records its creation)
LEAD_SETTINGS = "lead.settings"  # the enterprise's lead settings changed
