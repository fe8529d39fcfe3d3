"""Sales writes (SPEC OPP-*, CON-*, PROD-*, ORD-*; API.md "Sales").

Opportunities follow the OPP-09 state machine exactly (``invalid_transition`` otherwise) and
keep an immutable stage history; every change recomputes the customer's ``deal_status`` and
``has_won`` (CUST-09). Contracts are numbered per enterprise, one per opportunity, and go
through the approval component (office.approvals) when the enterprise configured approvers;
an effective contract moves its customer to the terminal progress stage. Amounts respect the
caps of Q-43: Σ plans ≤ amount, Σ invoiced ≤ amount, Σ payments ≤ amount unless confirmed.

One module per sub-domain: ``stages``, ``products`` (categories, products, line items),
``opportunities``, ``contracts`` (with the approval hooks), ``money`` (plans, payments,
invoices of contracts and orders) and ``orders``; ``_common`` holds what they share. Callers
keep importing this package (``from tidecrm.sales import services``): every public name, and
the private ones other modules use, is re-exported here. Importing it registers the
``"contract"`` approval type (contracts.py).
"""

from ..selectors import plan_statuses
from ._common import (
    CStatus,
    Status,
    _customer_for_work,
    _next_number,
    money,
    require_orders,
    sales_settings,
)
from .contracts import (
    _effective,
    _on_approved,
    _on_rejected,
    _on_withdrawn,
    _require_contract,
    contract_create,
    contract_followup_add,
    contract_submit,
    contract_update,
    contract_void,
    contract_withdraw,
)
from .money import ORDER_CLOSED, invoice_add, payment_add, plan_add
from .opportunities import (
    opportunity_create,
    opportunity_delete,
    opportunity_followup_add,
    opportunity_lose,
    opportunity_reopen,
    opportunity_update,
    opportunity_win,
)
from .orders import (
    ORDER_FLOW,
    ORDER_FORM_PARAMS,
    ORDER_VOIDABLE,
    order_actions,
    order_create,
    order_form,
    order_transition,
)
from .products import (
    PRODUCT_FIELDS,
    _clean_product,
    _lines,
    _replace_lines,
    category_create,
    category_delete,
    product_create,
    product_update,
)
from .stages import stage_create, stage_delete, stage_update, stages, won_stage

__all__ = [
    "ORDER_CLOSED",
    "ORDER_FLOW",
    "ORDER_FORM_PARAMS",
    "ORDER_VOIDABLE",
    "PRODUCT_FIELDS",
    "CStatus",
    "Status",
    "_clean_product",
    "_customer_for_work",
    "_effective",
    "_lines",
    "_next_number",
    "_on_approved",
    "_on_rejected",
    "_on_withdrawn",
    "_replace_lines",
    "_require_contract",
    "category_create",
    "category_delete",
    "contract_create",
    "contract_followup_add",
    "contract_submit",
    "contract_update",
    "contract_void",
    "contract_withdraw",
    "invoice_add",
    "money",
    "opportunity_create",
    "opportunity_delete",
    "opportunity_followup_add",
    "opportunity_lose",
    "opportunity_reopen",
    "opportunity_update",
    "opportunity_win",
    "order_actions",
    "order_create",
    "order_form",
    "order_transition",
    "payment_add",
    "plan_add",
    "plan_statuses",
    "product_create",
    "product_update",
    "require_orders",
    "sales_settings",
    "stage_create",
    "stage_delete",
    "stage_update",
    "stages",
    "won_stage",
]
