"""Customer pages: the views of CUST-03 (我的客户 / 我参与的 / 全部客户 / 公海 / 回收站), the detail
drawer and full page (CUST-05) with contacts, tags, collaborators and the journey, the modals,
the follow-up list (FUP-05) and the customer settings. Thin: parse, call one selector or
service, render; refusals come back as toasts or as the modal's messages.

The package by page: ``lists`` (the lists and saved views), ``actions`` (bulk actions and the
same moves from the detail), ``detail`` (create / edit modals, the drawer and page and what is
written from inside them), ``followups`` (联系记录, its export, attachments), ``settings``
(客户设置) and ``_common`` (toasts and pickers they share). ``urls`` and ``io_views`` keep
``from . import views``: every view and public name is re-exported here."""

from ._common import DETAIL_CHANGED, LIST_CHANGED, summary
from .actions import BULK, BULK_DONE, NEEDS_MODAL, customer_action, customer_bulk, customer_move
from .detail import (
    collaborator_add,
    collaborator_remove,
    contact_delete,
    contact_form,
    customer_create,
    customer_drawer,
    customer_edit,
    customer_followup,
    customer_page,
    customer_tags,
)
from .followups import attachment_download, followup_export, followup_list
from .lists import (
    COLUMNS,
    DEFAULT_COLUMNS,
    VIEW_TABS,
    customer_list,
    list_filters,
    view_delete,
    view_open,
    view_save,
)
from .settings import SETTINGS_TABS, customer_settings

__all__ = [
    # shared
    "LIST_CHANGED",
    "DETAIL_CHANGED",
    "summary",
    # lists
    "VIEW_TABS",
    "COLUMNS",
    "DEFAULT_COLUMNS",
    "list_filters",
    "customer_list",
    "view_save",
    "view_open",
    "view_delete",
    # actions
    "BULK",
    "BULK_DONE",
    "NEEDS_MODAL",
    "customer_bulk",
    "customer_action",
    "customer_move",
    # detail
    "customer_create",
    "customer_edit",
    "customer_drawer",
    "customer_page",
    "customer_followup",
    "customer_tags",
    "collaborator_add",
    "collaborator_remove",
    "contact_form",
    "contact_delete",
    # follow-ups
    "followup_list",
    "followup_export",
    "attachment_download",
    # settings
    "SETTINGS_TABS",
    "customer_settings",
]
