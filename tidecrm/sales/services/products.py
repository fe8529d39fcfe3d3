"""Products and their use (SPEC PROD-01/02/04, OPP-12): categories up to
ProductCategory.MAX_DEPTH levels, products with a unique SKU, and the product lines of
opportunities, contracts and orders, which snapshot the product's name, unit and price.
"""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tidecrm.core import codes
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.core.permissions import check

from ..models import LineItem, Product, ProductCategory
from ._common import money


def category_create(*, actor, name, parent_id=None):
    """Add a product category (PROD-01) under ``parent_id`` or at the top, at most
    ProductCategory.MAX_DEPTH levels deep. Needs ``product.manage``; refusals: 422 on a bad name,
    404 for an unknown parent, ``category_too_deep``, ``duplicate_category``."""
    check(actor, "product.manage")
    name = (name or "").strip()
    if not name or len(name) > 40:
        raise ValidationFailed({"name": [_("请填写分类名称（不超过40个字）")]})
    with transaction.atomic():
        parent = None
        if parent_id:
            parent = ProductCategory.objects.select_for_update().filter(pk=parent_id).first()
            if parent is None:
                raise NotFound()
            if parent.depth >= ProductCategory.MAX_DEPTH:
                raise BusinessError(
                    codes.CATEGORY_TOO_DEEP, _("产品分类最多%(n)s级") % {"n": ProductCategory.MAX_DEPTH}
                )
        if ProductCategory.objects.filter(parent=parent, name=name).exists():
            raise BusinessError(codes.DUPLICATE_CATEGORY, _("同级已有同名分类"))
        category = ProductCategory.objects.create(
            name=name, parent=parent, depth=parent.depth + 1 if parent else 1
        )
        category.path = f"{parent.path if parent else '/'}{category.pk}/"
        category.save(update_fields=["path"])
    return category


def category_delete(*, actor, category_id):
    """Delete an empty product category. Needs ``product.manage``; refusals: 404,
    ``category_not_empty`` while it has sub-categories or products."""
    check(actor, "product.manage")
    with transaction.atomic():
        category = ProductCategory.objects.select_for_update().filter(pk=category_id).first()
        if category is None:
            raise NotFound()
        if (
            ProductCategory.objects.filter(parent=category).exists()
            or Product.objects.filter(category=category).exists()
        ):
            raise BusinessError(codes.CATEGORY_NOT_EMPTY, _("分类下还有子分类或产品，不能删除"))
        category.delete()


PRODUCT_FIELDS = ("name", "category_id", "sku", "spec", "unit", "price", "on_sale", "description")


def _clean_product(values):
    cleaned, errors = {}, {}
    for field in ("name", "sku", "spec", "unit", "description"):
        if field in values:
            cleaned[field] = (values.get(field) or "").strip()
    if "name" in cleaned and not cleaned["name"]:
        errors["name"] = [_("请填写产品名称")]
    if "category_id" in values:
        if not values["category_id"] or not ProductCategory.objects.filter(pk=values["category_id"]).exists():
            errors["category_id"] = [_("请先选择产品分类")]
        cleaned["category_id"] = values["category_id"]
    if "price" in values:
        try:
            cleaned["price"] = money(values["price"], "price", allow_zero=True)
        except ValidationFailed as error:
            errors.update(error.fields)
    if "on_sale" in values:
        cleaned["on_sale"] = bool(values["on_sale"])
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def product_create(*, actor, **values):
    """Add a product (PROD-01) in an existing category. Needs ``product.manage``; refusals: 422
    on a missing name or category or a bad price, ``duplicate_sku``."""
    check(actor, "product.manage")
    cleaned = _clean_product(
        {f: values.get(f) for f in PRODUCT_FIELDS if f in values}
        | {"name": values.get("name"), "category_id": values.get("category_id")}
    )
    try:
        with transaction.atomic():
            product = Product.objects.create(**cleaned)
    except IntegrityError:
        raise BusinessError(codes.DUPLICATE_SKU, _("产品编码已存在")) from None
    return product


def product_update(*, actor, product_id, **values):
    """Edit a product (existing lines keep their snapshot, PROD-04). Needs ``product.manage``;
    refusals: 404, 422, ``duplicate_sku``."""
    check(actor, "product.manage")
    cleaned = _clean_product({k: v for k, v in values.items() if k in PRODUCT_FIELDS and v is not None})
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise NotFound()
    for field, value in cleaned.items():
        setattr(product, field, value)
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError:
        raise BusinessError(codes.DUPLICATE_SKU, _("产品编码已存在")) from None
    return product


# ---------------------------------------------------------------- line items (OPP-12, PROD-04)


def _lines(raw_lines):
    """Validate line dicts {product_id, quantity, unit_price?, discount?} into LineItem kwargs
    with the product's name, unit and price snapshotted."""
    raw_lines = list(raw_lines or [])
    products = {
        p.pk: p for p in Product.objects.filter(pk__in=[line.get("product_id") for line in raw_lines])
    }
    lines = []
    for index, line in enumerate(raw_lines):
        product = products.get(line.get("product_id"))
        if product is None:
            raise ValidationFailed({f"product_lines.{index}": [_("产品不存在")]})
        if not product.on_sale:
            raise ValidationFailed(
                {f"product_lines.{index}": [_("产品“%(name)s”已下架") % {"name": product.name}]}
            )
        quantity = money(line.get("quantity", 1), f"product_lines.{index}.quantity")
        unit_price = (
            money(line["unit_price"], f"product_lines.{index}.unit_price", allow_zero=True)
            if line.get("unit_price") is not None
            else product.price
        )
        discount = money(line.get("discount", 100), f"product_lines.{index}.discount", allow_zero=True)
        if discount > 100:
            raise ValidationFailed(
                {f"product_lines.{index}.discount": [_("成交比例应在0到100之间（100 为原价，90 即九折）")]}
            )
        subtotal = (unit_price * quantity * discount / 100).quantize(Decimal("0.01"))
        lines.append(
            {
                "product": product,
                "product_name": product.name,
                "unit": product.unit,
                "list_price": product.price,
                "unit_price": unit_price,
                "quantity": quantity,
                "discount": discount,
                "subtotal": subtotal,
            }
        )
    return lines


def _replace_lines(owner_field, owner, lines):
    LineItem.objects.filter(**{owner_field: owner}).delete()
    LineItem.objects.bulk_create([LineItem(**{owner_field: owner}, **line) for line in lines])
