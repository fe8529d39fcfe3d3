"""Sales pages (SPEC 9–12): the opportunity list (OPP-02), the kanban, the opportunity drawer
(OPP-11) with its actions, stage settings (OPP-04), products and categories (PROD-01/02),
contracts with their money tabs (CON-01..08), the approval to-do list (CON-03) and contract
settings. Thin: parse, call one selector or service, render; refusals come back as toasts or as
the modal's messages."""

from .contracts import (
    approval_decide,
    approval_list,
    contract_action,
    contract_create,
    contract_drawer,
    contract_edit,
    contract_list,
    contract_opportunity_options,
    contract_page,
    contract_settings,
    invoice_create,
    payment_create,
    plan_create,
)
from .opportunities import (
    opportunity_action,
    opportunity_board,
    opportunity_create,
    opportunity_drawer,
    opportunity_edit,
    opportunity_followup,
    opportunity_list,
    opportunity_lose,
    opportunity_move,
    stage_settings,
)
from .products import category_create, category_delete, product_form, product_list, product_toggle

__all__ = [
    "opportunity_list",
    "opportunity_board",
    "opportunity_move",
    "opportunity_create",
    "opportunity_edit",
    "opportunity_action",
    "opportunity_lose",
    "opportunity_drawer",
    "opportunity_followup",
    "stage_settings",
    "product_list",
    "product_form",
    "product_toggle",
    "category_create",
    "category_delete",
    "contract_list",
    "contract_create",
    "contract_opportunity_options",
    "contract_edit",
    "contract_drawer",
    "contract_page",
    "contract_action",
    "plan_create",
    "payment_create",
    "invoice_create",
    "approval_list",
    "approval_decide",
    "contract_settings",
]
