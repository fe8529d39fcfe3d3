"""Follow-up pages (SPEC FUP-05, FUP-01): 联系记录, every follow-up on customers the caller may
see with its filters, its xlsx export (``followup.export``), and the download of a follow-up's
attachment."""

from urllib.parse import urlencode

from django.shortcuts import render
from django.utils.translation import gettext as _

from tidecrm.core import exports
from tidecrm.core.pagination import paginate
from tidecrm.core.web import is_htmx, login_required, page_permission_required, parse_date, parse_int
from tidecrm.org import selectors as org_selectors

from .. import selectors
from ..access import access_attachment
from ..models import Followup

# ---------------------------------------------------------------- follow-up list (FUP-05)


def _followup_filters(params):
    return {
        "employee_id": parse_int(params.get("employee_id")),
        "method": params.get("method") if params.get("method") in Followup.Method.values else None,
        "created_from": parse_date(params.get("created_from")),
        "created_to": parse_date(params.get("created_to")),
    }


@login_required
def followup_list(request):
    """联系记录: every follow-up on customers the caller may see, with filters."""
    filters = _followup_filters(request.GET)
    followups = selectors.followup_list(actor=request.employee, **filters)
    page = paginate(followups, page=request.GET.get("page"), page_size=request.GET.get("page_size"))
    context = {
        "nav_active": "customers",
        "page": page,
        "filters": filters,
        "methods": Followup.Method.choices,
        "employee_selected": org_selectors.employee_picked(
            actor=request.employee, employee_id=filters["employee_id"]
        ),
        "can_export": request.employee.has_permission("followup.export"),
        "export_query": urlencode({k: v for k, v in request.GET.items() if k not in ("page",)}),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "followup-table":
        return render(request, "customers/_followup_table.html", context)
    return render(request, "customers/followups.html", context)


@page_permission_required("followup.export")
def followup_export(request):
    """导出联系记录 (FUP-05, ``followup.export``): the filtered list as xlsx."""
    followups = selectors.followup_list(actor=request.employee, **_followup_filters(request.GET))
    columns = [
        (_("跟进时间"), "created_at"),
        (_("客户名称"), "customer.name"),
        (_("联系人"), "contact.name"),
        (_("跟进方式"), lambda f: f.get_method_display()),
        (_("跟进内容"), "content"),
        (_("下次跟进时间"), "next_followup_at"),
        (_("跟进人"), "created_by.name"),
    ]
    return exports.export_response(f"{_('联系记录')}.xlsx", columns, followups)


@login_required
def attachment_download(request, attachment_id):
    """A follow-up attachment, for callers who may see its customer; images open inline."""
    from django.http import FileResponse

    attachment = access_attachment(request.employee, attachment_id)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not attachment.is_image,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
