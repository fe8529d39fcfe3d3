"""Product import (PROD-02) on the shared import framework: kind ``product`` (``product.manage``).

Every imported product is what :func:`services.product_create` would have made (same cleaning,
price ≥ 0, SKU unique in the enterprise), but a chunk is checked and written set-based: the
categories are read once per file, the chunk's SKUs are looked up with one query, and the
accepted rows are inserted with one bulk insert.

Categories are never created by an import: the 产品分类 cell names an existing one, either by
its full path from the top ("软件/CRM/标准版", "／" and ">" also separate) or by a trailing part
of it ("CRM/标准版", or just "标准版") when only one category fits. A cell that is exactly a
category's full path always means that category (so a top-level "软件" is "软件" even when some
"硬件/软件" exists); otherwise a name several categories share fails the row, asking for the
full path.
"""

import re
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tidecrm.core.errors import ValidationFailed
from tidecrm.core.imports import Column, Importer, register

from . import services
from .models import Product, ProductCategory

STATUSES = {
    "": True,
    "上架": True,
    "在售": True,
    "是": True,
    "下架": False,
    "停售": False,
    "否": False,
}
PATH_SEPARATORS = re.compile(r"\s*[/／>＞]\s*")
MONEY_NOISE = re.compile(r"[,，¥￥\s]|元$")
# Lengths the API schema bounds (services._clean_product does not): checked here.
LENGTHS = (
    ("name", 100, gettext_lazy("产品名称")),
    ("sku", 40, gettext_lazy("产品编码")),
    ("spec", 100, gettext_lazy("规格")),
    ("unit", 10, gettext_lazy("单位")),
    ("description", 500, gettext_lazy("描述")),
)
FIELD_ORDER = ("name", "category", "sku", "spec", "unit", "price", "on_sale", "description")

COLUMNS = (
    Column("name", "产品名称", required=True, synonyms=("名称", "产品", "产品名", "品名", "商品名称")),
    Column(
        "category",
        "产品分类",
        required=True,
        synonyms=("分类", "类别", "产品类别", "分类名称", "所属分类"),
        hint="须是已有的分类；不同上级下有同名分类时写完整路径，如 软件/CRM",
    ),
    Column(
        "sku",
        "产品编码",
        synonyms=("编码", "SKU", "货号", "产品编号", "编号", "商品编码"),
        hint="选填；填写时在企业内不能重复",
    ),
    Column("spec", "规格", synonyms=("规格型号", "型号", "产品规格")),
    Column("unit", "单位", synonyms=("计量单位",)),
    Column(
        "price",
        "标准价格",
        synonyms=("价格", "单价", "售价", "标价", "价格元", "标准价"),
        hint="不小于0的金额，不填为0",
    ),
    Column("on_sale", "状态", synonyms=("上架状态", "产品状态", "是否上架"), hint="上架 / 下架，不填为上架"),
    Column("description", "描述", synonyms=("备注", "说明", "产品描述", "产品说明")),
)


class RowFailed(Exception):
    """A row that cannot be imported; the message is its 失败原因."""


# ---------------------------------------------------------------- categories


def category_paths(categories=None):
    """{category id: "顶级/二级/三级"} of the enterprise's categories, from one query."""
    categories = list(categories if categories is not None else ProductCategory.objects.all())
    names = {category.pk: category.name for category in categories}
    return {
        category.pk: "/".join(names.get(int(pk), "") for pk in category.path.strip("/").split("/") if pk)
        for category in categories
    }


class CategoryLookup:
    """The enterprise's categories by full path and by every trailing part of it, read once."""

    def __init__(self):
        self.full = {}  # (names ...) of a full path → category id
        self.trailing = {}  # (names ...) of a trailing part → {category id}
        for pk, path in category_paths().items():
            parts = tuple(path.split("/"))
            self.full[parts] = pk
            for start in range(len(parts)):
                self.trailing.setdefault(parts[start:], set()).add(pk)

    def find(self, text):
        """Return the id of the category ``text`` names (RowFailed when none or several fit)."""
        parts = tuple(part for part in PATH_SEPARATORS.split((text or "").strip()) if part)
        if not parts:
            raise RowFailed(_("请填写产品分类"))
        shown = "/".join(parts)
        if parts in self.full:
            return self.full[parts]
        found = self.trailing.get(parts) or set()
        if not found:
            raise RowFailed(_("产品分类“%(name)s”不存在") % {"name": shown})
        if len(found) > 1:
            raise RowFailed(
                _("产品分类“%(name)s”有多个同名分类，请填写完整路径，如 上级分类/%(name)s") % {"name": shown}
            )
        return next(iter(found))


# ---------------------------------------------------------------- rows


def _price(text):
    """The 标准价格 cell as a Decimal ≥ 0 (blank: 0); "1,280.00", "¥99", "99元" are accepted."""
    text = MONEY_NOISE.sub("", text or "")
    if not text:
        return Decimal("0")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise RowFailed(_("标准价格请填写正确的金额")) from None
    if value.is_nan() or value.is_infinite():
        raise RowFailed(_("标准价格请填写正确的金额"))
    if value < 0:
        raise RowFailed(_("标准价格不能小于0"))
    return value


def clean_row(row, categories):
    """Validate one row as product_create would, plus what only the import has (category by
    path or name, 上架/下架 text, lengths); return the Product fields."""
    errors = {}
    values = {
        field: (row.get(field) or "").strip() for field in ("name", "sku", "spec", "unit", "description")
    }
    try:
        values["price"] = _price(row.get("price"))
    except RowFailed as failure:
        errors["price"] = [str(failure)]
    try:
        cleaned = services._clean_product(values)
    except ValidationFailed as error:
        labels = {"price": _("标准价格")}
        for field, messages in error.fields.items():
            errors.setdefault(field, []).extend(
                f"{labels[field]}{m}" if field in labels else m for m in messages
            )
        cleaned = {}
    try:
        category_id = categories.find(row.get("category"))
    except RowFailed as failure:
        errors["category"] = [str(failure)]
    on_sale = STATUSES.get((row.get("on_sale") or "").strip())
    if on_sale is None:
        errors["on_sale"] = [_("状态只能填 上架 或 下架")]
    for field, limit, label in LENGTHS:
        if len(values[field]) > limit:
            errors.setdefault(field, []).append(
                _("%(label)s不能超过%(n)s个字") % {"label": label, "n": limit}
            )
    if errors:
        order = {field: index for index, field in enumerate(FIELD_ORDER)}
        raise RowFailed("；".join(m for f in sorted(errors, key=order.get) for m in errors[f]))
    return {**cleaned, "category_id": category_id, "on_sale": on_sale}


# ---------------------------------------------------------------- importer


class ProductImporter(Importer):
    """产品导入: each good row becomes an (on-sale unless 下架) product in an existing category."""

    def prepare(self, actor, options):
        return {"categories": CategoryLookup(), "skus": {}}  # skus: the file's SKUs → file row number

    def import_rows(self, actor, rows, context):
        outcomes = [None] * len(rows)
        cleaned = []
        for index, row in enumerate(rows):
            try:
                cleaned.append((index, clean_row(row, context["categories"])))
            except RowFailed as failure:
                outcomes[index] = str(failure)
        if not cleaned:
            return outcomes
        offset = context.get("row_offset", 0)
        skus = {values["sku"] for _index, values in cleaned if values["sku"]}
        existing = dict(Product.objects.filter(sku__in=skus).values_list("sku", "name")) if skus else {}
        accepted = []
        for index, values in cleaned:
            sku = values["sku"]
            if sku and sku in context["skus"]:
                outcomes[index] = _("产品编码“%(sku)s”与第 %(n)s 行重复") % {
                    "sku": sku,
                    "n": context["skus"][sku],
                }
                continue
            if sku in existing:
                outcomes[index] = _("产品编码“%(sku)s”已被产品“%(name)s”使用") % {
                    "sku": sku,
                    "name": existing[sku],
                }
                continue
            if sku:
                context["skus"][sku] = offset + index + 2  # the file's row: after the header row
            accepted.append((index, values))
        self._insert(accepted, outcomes)
        return outcomes

    @staticmethod
    def _insert(accepted, outcomes):
        """One bulk insert; should a SKU have been taken meanwhile (a product saved while the
        file ran), the rows go in one by one and only the clashing ones fail."""
        if not accepted:
            return
        try:
            with transaction.atomic():
                Product.objects.bulk_create(
                    [Product(**values) for _index, values in accepted], batch_size=500
                )
            return
        except IntegrityError:
            pass
        for index, values in accepted:
            try:
                with transaction.atomic():
                    Product.objects.create(**values)
            except IntegrityError:
                outcomes[index] = _("产品编码“%(sku)s”已存在") % {"sku": values["sku"]}


PRODUCT_IMPORTER = register(
    ProductImporter(
        kind="product",
        label=gettext_lazy("产品"),
        permission="product.manage",
        columns=COLUMNS,
    )
)
