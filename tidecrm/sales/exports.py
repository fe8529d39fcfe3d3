"""Product export (PROD-02, GEN-06): the xlsx of the product list, as filtered on the page.

Everyone in the enterprise may read products (the list page and ``GET /products`` need only a
login), so the export needs nothing more. The rows are exactly :func:`selectors.product_list`
(same filters and order); the category column is the full path ("软件/CRM"), written from the
categories read once — an export costs the same few queries for 3 products or 30,000. The
columns are the import's, so an exported file can be edited and imported again.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tidecrm.core import exports

from . import selectors
from .imports import category_paths


def columns(paths):
    """Return the export's columns as (header, field or function): the product import's, the
    category written as its full path from ``paths`` ({category id: "软件/CRM"})."""
    return [
        (gettext_lazy("产品名称"), "name"),
        (gettext_lazy("产品分类"), lambda product: paths.get(product.category_id, "")),
        (gettext_lazy("产品编码"), "sku"),
        (gettext_lazy("规格"), "spec"),
        (gettext_lazy("单位"), "unit"),
        (gettext_lazy("标准价格"), "price"),
        (gettext_lazy("状态"), lambda product: _("上架") if product.on_sale else _("下架")),
        (gettext_lazy("描述"), "description"),
    ]


def product_export(*, actor, q=None, category_id=None, on_sale=None):
    """Return the xlsx download of the products ``selectors.product_list`` gives for the filters
    (404 for an unknown category; more than ``exports.MAX_ROWS`` → 409 ``export_too_large``)."""
    products = selectors.product_list(q=q or None, category_id=category_id, on_sale=on_sale)
    paths = category_paths(selectors.categories())
    label = _("产品")
    # The categories are in ``paths``: the rows need no join.
    return exports.export_response(
        exports.stamped_name(label), columns(paths), products.select_related(None), sheet_name=label
    )
