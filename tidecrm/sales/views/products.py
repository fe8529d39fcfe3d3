"""Product pages (PROD-01/02): the category tree and the products; writes need product.manage."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tidecrm.core.errors import BusinessError, NotFound
from tidecrm.core.pagination import paginate
from tidecrm.core.permissions import check
from tidecrm.core.web import error_text, is_htmx, login_required

from .. import exports, selectors, services
from .common import (
    _int,
    _toast,
)

# ---------------------------------------------------------------- products (PROD-01/02)


def _on_sale(params):
    return {"1": True, "0": False}.get(params.get("on_sale"))


@login_required
def product_list(request):
    """产品: the category tree, the products with filters; writes need product.manage."""
    on_sale = _on_sale(request.GET)
    filters = {
        "q": (request.GET.get("q") or "").strip(),
        "category_id": _int(request.GET.get("category_id")),
        "on_sale": request.GET.get("on_sale") if on_sale is not None else "",
    }
    products = selectors.product_list(q=filters["q"], category_id=filters["category_id"], on_sale=on_sale)
    page = paginate(products, page=request.GET.get("page"), page_size=request.GET.get("page_size"))
    categories = selectors.categories()
    context = {
        "nav_active": "sales",
        "section": "products",
        "page": page,
        "filters": filters,
        "filtered": bool(filters["q"] or filters["on_sale"]),
        "categories": categories,
        "current_category": next((c for c in categories if c.pk == filters["category_id"]), None),
        "can_manage": request.employee.has_permission("product.manage"),
        "export_url": reverse("product_export"),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "product-table":
        return render(request, "sales/_product_table.html", context)
    return render(request, "sales/products.html", context)


@login_required
def product_export(request):
    """导出: the xlsx of the products the list's filters (q, category_id, on_sale) select."""
    return exports.product_export(
        actor=request.employee,
        q=(request.GET.get("q") or "").strip() or None,
        category_id=_int(request.GET.get("category_id")),
        on_sale=_on_sale(request.GET),
    )


PRODUCT_FORM_FIELDS = ("name", "sku", "spec", "unit", "price", "description")


@login_required
def product_form(request, product_id=None):
    """新建 / 编辑产品 modal."""
    actor = request.employee
    check(actor, "product.manage")
    product = selectors.product_get(product_id=product_id) if product_id else None
    initial = (
        {
            **{f: str(getattr(product, f)) for f in PRODUCT_FORM_FIELDS},
            "category_id": str(product.category_id),
            "on_sale": "1" if product.on_sale else "",
        }
        if product
        else {"on_sale": "1", "category_id": request.GET.get("category_id", "")}
    )
    context = {"product": product, "values": request.POST or initial, "categories": selectors.categories()}
    if request.method == "POST":
        values = {f: request.POST.get(f, "") for f in PRODUCT_FORM_FIELDS}
        values["price"] = values["price"] or "0"
        values["category_id"] = _int(request.POST.get("category_id"))
        values["on_sale"] = bool(request.POST.get("on_sale"))
        try:
            if product:
                services.product_update(actor=actor, product_id=product.pk, **values)
            else:
                services.product_create(actor=actor, **values)
        except BusinessError as error:
            context.update(error=error, field_errors=getattr(error, "fields", {}))
            return render(request, "sales/_product_modal.html", context, status=422)
        return _toast(_("产品已保存"), close="modal", trigger="products-changed")
    return render(request, "sales/_product_modal.html", context)


@login_required
@require_POST
def product_toggle(request, product_id):
    """上架 / 下架."""
    product = selectors.product_get(product_id=product_id)
    services.product_update(actor=request.employee, product_id=product.pk, on_sale=not product.on_sale)
    return _toast(_("已下架") if product.on_sale else _("已上架"), trigger="products-changed")


@login_required
@require_POST
def category_create(request):
    try:
        services.category_create(
            actor=request.employee,
            name=request.POST.get("name", ""),
            parent_id=_int(request.POST.get("parent_id")),
        )
    except BusinessError as error:
        if isinstance(error, NotFound):
            raise
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("分类已添加"))
    return redirect(reverse("product_list"))


@login_required
@require_POST
def category_delete(request, category_id):
    try:
        services.category_delete(actor=request.employee, category_id=category_id)
    except BusinessError as error:
        if isinstance(error, NotFound):
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, _("分类已删除"))
    return redirect(reverse("product_list"))
