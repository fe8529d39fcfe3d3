"""Customer export page (CUST-20): the list page's 导出 button downloads the view it shows.

Wired at ``/customers/export/`` (URL name ``customer_export``); the query string is the list's:
``view`` (mine / collaborating / team / all / pool / bin) and its filters. Imports use the shared
pages ``/imports/customer/`` and ``/imports/customer_pool/`` (core.import_views).
"""

from tidecrm.core.web import page_permission_required

from . import exports, selectors
from .views import list_filters


def export_filters(params):
    """The list page's view and filters from a query string (unknown values are ignored)."""
    view = params.get("view") if params.get("view") in selectors.VIEWS else "mine"
    return {"view": view, **list_filters(params)}


@page_permission_required("customer.export")
def customer_export_page(request):
    """导出: the xlsx of the view and filters in the query string (``customer.export``)."""
    return exports.customer_export(actor=request.employee, **export_filters(request.GET))
