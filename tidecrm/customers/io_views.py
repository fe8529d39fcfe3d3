"""Customer export page (CUST-20): the list page's 导出 button downloads the view it shows.

Wired at ``/customers/export/`` (URL name ``customer_export``); the query string is the list's:
``view`` (mine / collaborating / team / all / pool / bin) and its filters. Imports use the shared
pages ``/imports/customer/`` and ``/imports/customer_pool/`` (core.import_views).
"""

from datetime import date

from tidecrm.core.web import page_permission_required

from . import exports, selectors
from .models import Customer


def _int(value):
    return int(value) if str(value or "").isdigit() else None


def _date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def export_filters(params):
    """Read the list page's filters from a query string (unknown values are ignored)."""
    return {
        "view": params.get("view") if params.get("view") in selectors.VIEWS else "mine",
        "library_id": _int(params.get("library_id")),
        "q": (params.get("q") or "").strip() or None,
        "stage_id": _int(params.get("stage_id")),
        "tag_id": _int(params.get("tag_id")),
        "owner_id": _int(params.get("owner_id")),
        "deal_status": params.get("deal_status")
        if params.get("deal_status") in Customer.DealStatus.values
        else None,
        "source": (params.get("source") or "").strip() or None,
        "created_from": _date(params.get("created_from")),
        "created_to": _date(params.get("created_to")),
        "no_followup_days": _int(params.get("no_followup_days")),
        "sort": params.get("sort") if params.get("sort") in selectors.SORTS else None,
    }


@page_permission_required("customer.export")
def customer_export_page(request):
    """导出: the xlsx of the view and filters in the query string (``customer.export``)."""
    return exports.customer_export(actor=request.employee, **export_filters(request.GET))
