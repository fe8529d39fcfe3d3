"""The timeline verbs of opportunities, contracts, orders and their settings.

A verb is ``<object>.<event>`` and is stored as written (``TimelineEvent.verb``), so a value
never changes. What sales records on the customer (``customer.opportunity``,
``customer.contract``, ``customer.stage``) is a customer verb: :mod:`tidecrm.customers.verbs`.

Built verbs (not listed here):

- ``opportunity.<status>``: ``opportunity.won`` and ``opportunity.lost`` (``Opportunity.Status``);
- ``order.<action>``: ``order.confirm``, ``.reject``, ``.ship``, ``.complete`` (``ORDER_FLOW``) and
  ``order.void``;
- ``<contract|order>.plan_added``, ``<contract|order>.payment``, ``<contract|order>.invoice``:
  money recorded on a contract or an order (``services/money.py``).
"""

# ---------------------------------------------------------------- opportunities
OPPORTUNITY_CREATED = "opportunity.created"
OPPORTUNITY_UPDATED = "opportunity.updated"
OPPORTUNITY_REOPENED = "opportunity.reopened"  # a won or lost opportunity opened again
OPPORTUNITY_DELETED = "opportunity.deleted"
OPPORTUNITY_STAGE_CREATED = "opportunity_stage.created"
OPPORTUNITY_STAGE_UPDATED = "opportunity_stage.updated"
OPPORTUNITY_STAGE_DELETED = "opportunity_stage.deleted"

# ---------------------------------------------------------------- contracts
CONTRACT_CREATED = "contract.created"
CONTRACT_UPDATED = "contract.updated"
CONTRACT_SUBMITTED = "contract.submitted"  # sent to approval
CONTRACT_APPROVED = "contract.approved"
CONTRACT_REJECTED = "contract.rejected"
CONTRACT_VOIDED = "contract.voided"
CONTRACT_SETTINGS = "contract.settings"  # the enterprise's contract settings changed

# ---------------------------------------------------------------- orders
ORDER_CREATED = "order.created"
ORDER_FORM_SETTINGS = "order.form_settings"  # the order form's settings changed
