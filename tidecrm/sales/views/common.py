"""Helpers shared by the sales pages: parsing, toasts, the filtered lists, product-line rows."""

from django.shortcuts import render
from django.utils.translation import gettext_lazy

from tidecrm.core.pagination import paginate
from tidecrm.core.web import is_htmx, parse_date, parse_int, toast_response
from tidecrm.customers import selectors as customer_selectors
from tidecrm.org import selectors as org_selectors
from tidecrm.org.models import Employee

from .. import selectors

MAX_LINES = 30
PAYMENT_METHODS = (
    gettext_lazy("银行转账"),
    gettext_lazy("现金"),
    gettext_lazy("支票"),
    gettext_lazy("微信"),
    gettext_lazy("支付宝"),
    gettext_lazy("其他"),
)
CONTRACT_TABS = ("info", "money", "invoices", "approvals", "followups")
ORDER_TABS = ("info", "money", "invoices")


_int, _date = parse_int, parse_date


def _employees():
    return Employee.objects.filter(status=Employee.Status.ACTIVE, deleted_at__isnull=True).order_by("name")


def _toast(text, level="success", *, close=None, trigger="opportunities-changed"):
    """A toast that also refreshes what listens to ``trigger`` (and, when asked, closes a modal/drawer)."""
    return toast_response(text, level, trigger=trigger, close=close)


def _list_filters(params, statuses, **more):
    """The filters every sales list has (name/number, status, owner), then the list's own."""
    return {
        "q": (params.get("q") or "").strip(),
        "status": params.get("status") if params.get("status") in statuses.values else "",
        "owner_id": _int(params.get("owner_id")),
        **more,
    }


def _list_page(request, name, rows_of, filters, statuses, **context):
    """A filtered, paged sales list (opportunities, contracts, orders): the whole page
    ``sales/<name>_list.html``, or only its table for htmx requests aimed at ``#<name>-table``."""
    given = {key: value for key, value in filters.items() if value not in ("", None)}
    rows = rows_of(actor=request.employee, **given)
    context.update(
        nav_active="sales",
        page=paginate(rows, page=request.GET.get("page"), page_size=request.GET.get("page_size")),
        filters=filters,
        filtered=bool(given),
        statuses=statuses.choices,
        owner_selected=org_selectors.employee_picked(
            actor=request.employee, employee_id=filters.get("owner_id")
        ),
        list_url=request.path,
    )
    if is_htmx(request) and request.headers.get("HX-Target") == f"{name}-table":
        return render(request, f"sales/_{name}_table.html", context)
    return render(request, f"sales/{name}_list.html", context)


def _lines_from(post):
    """The product rows of a form (lines-N-product_id / quantity / discount), skipping blanks."""
    lines = []
    for index in range(MAX_LINES):
        product_id = _int(post.get(f"lines-{index}-product_id"))
        if not product_id:
            continue
        line = {"product_id": product_id, "quantity": post.get(f"lines-{index}-quantity") or 1}
        if post.get(f"lines-{index}-discount") not in (None, ""):
            line["discount"] = post.get(f"lines-{index}-discount")
        lines.append(line)
    return lines


def _line_rows(lines):
    """Line items as the form's rows (for editing and pre-filling)."""
    return [
        {
            "product_id": str(line.product_id or ""),
            "quantity": str(line.quantity),
            "discount": str(line.discount),
        }
        for line in lines
        if line.product_id
    ]


def _posted_rows(post):
    return [
        {
            "product_id": str(line["product_id"]),
            "quantity": str(line["quantity"]),
            "discount": str(line.get("discount", 100)),
        }
        for line in _lines_from(post)
    ]


def _product_catalogue():
    products = list(selectors.product_list(on_sale=True))
    return products, {str(p.pk): {"price": str(p.price), "unit": p.unit} for p in products}


def _work_customers(actor):
    """Customers the caller may open an opportunity or a contract on: owned, in their scope."""
    return list(customer_selectors.customer_list(actor=actor, view="all").values("pk", "name")[:500])
