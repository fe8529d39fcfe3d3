"""The timeline verbs of approvals.

A verb is ``<object>.<event>`` and is stored as written (``TimelineEvent.verb``), so a value
never changes. The events are written on the record in approval (its object type and id).
"""

APPROVAL_STARTED = "approval.started"
APPROVAL_APPROVED = "approval.approved"  # an approver approved the current level
APPROVAL_REJECTED = "approval.rejected"  # an approver rejected: the approval ends
