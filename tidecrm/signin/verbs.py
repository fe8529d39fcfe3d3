"""The timeline verbs of signin: the enterprise's registration and its owner.

A verb is ``<object>.<event>`` and is stored as written (``TimelineEvent.verb``): the audit and
the tests match on the value, so a value never changes. The employee, department and role verbs
are the organisation's: :mod:`tidecrm.org.verbs`.
"""

# ---------------------------------------------------------------- the enterprise
ENTERPRISE_REGISTERED = "enterprise.registered"  # a new enterprise and its super admin (registration)
# the super admin handed over to another employee; changes = {"owner": [old, new]}
ENTERPRISE_OWNER_TRANSFERRED = "enterprise.owner_transferred"
