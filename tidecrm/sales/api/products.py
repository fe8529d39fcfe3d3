"""Sales API: product categories and products, with their export and import (PROD-01, PROD-02,
PROD-04, GEN-06)."""

from ninja import File, Query, Status, UploadedFile

from tidecrm.core import imports
from tidecrm.core.api import PageOut
from tidecrm.core.imports_api import ImportJobOut, job_out
from tidecrm.core.pagination import paginate

from .. import exports, selectors, services
from ._common import ERRORS, Router
from .schemas import (
    CategoryIn,
    CategoryOut,
    ProductExportQuery,
    ProductIn,
    ProductOut,
    ProductPatch,
    ProductQuery,
)

router = Router()


def _product_out(product):
    return {
        "id": product.pk,
        "name": product.name,
        "category_id": product.category_id,
        "sku": product.sku,
        "spec": product.spec,
        "unit": product.unit,
        "price": str(product.price),
        "on_sale": product.on_sale,
        "description": product.description,
    }


@router.get("/product-categories", response={200: list[CategoryOut], **ERRORS})
def category_list(request):
    return [
        {"id": c.pk, "name": c.name, "parent_id": c.parent_id, "depth": c.depth}
        for c in selectors.categories()
    ]


@router.post("/product-categories", response={201: CategoryOut, **ERRORS})
def category_create(request, payload: CategoryIn):
    """At most 3 levels (409 ``category_too_deep``); names unique among siblings."""
    category = services.category_create(actor=request.employee, **payload.dict())
    return Status(
        201,
        {"id": category.pk, "name": category.name, "parent_id": category.parent_id, "depth": category.depth},
    )


@router.delete("/product-categories/{int:category_id}", response={204: None, **ERRORS})
def category_delete(request, category_id: int):
    """409 ``category_not_empty`` while it has sub-categories or products."""
    services.category_delete(actor=request.employee, category_id=category_id)
    return Status(204, None)


@router.get("/products", response={200: PageOut[ProductOut], **ERRORS})
def product_list(request, filters: Query[ProductQuery]):
    data = filters.dict()
    page, page_size = data.pop("page"), data.pop("page_size")
    return paginate(selectors.product_list(**data), page=page, page_size=page_size).as_dict(_product_out)


@router.post("/products", response={201: ProductOut, **ERRORS})
def product_create(request, payload: ProductIn):
    """409 ``duplicate_sku``; 422 without a category."""
    return Status(201, _product_out(services.product_create(actor=request.employee, **payload.dict())))


@router.get("/products/export", response={200: None, **ERRORS})
def product_export(request, filters: Query[ProductExportQuery]):
    """xlsx of the products ``GET /products`` would list for the same filters, every page: 产品名称,
    产品分类 (full path), 产品编码, 规格, 单位, 标准价格, 状态, 描述 — the import's columns. Any
    employee may export (products are readable by all); over 100,000 → 409 ``export_too_large``."""
    return exports.product_export(actor=request.employee, **filters.dict())


@router.post("/products/imports", response={202: ImportJobOut, **ERRORS})
def product_import(request, file: File[UploadedFile]):
    """Import products from xlsx / xls / csv (``product.manage``) in the background; poll
    ``GET /imports/{id}``, failed rows with their 失败原因 at ``GET /imports/{id}/failures``.
    Categories must exist (full path "软件/CRM" or a unique name); SKUs unique."""
    job = imports.import_start(
        actor=request.employee,
        kind="product",
        file_name=file.name,
        content=imports.validate_upload(file),
    )
    return Status(202, job_out(job))


@router.patch("/products/{int:product_id}", response={200: ProductOut, **ERRORS})
def product_update(request, product_id: int, payload: ProductPatch):
    """Editing a product never changes the lines that already reference it (PROD-04)."""
    return _product_out(
        services.product_update(
            actor=request.employee, product_id=product_id, **payload.dict(exclude_unset=True)
        )
    )
