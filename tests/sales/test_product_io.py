"""Product import and export (PROD-02): exact counts and failure reasons, categories by path or
unique name, SKU duplicates in the file and in the enterprise, permissions, the export's
contents and constant cost, and the buttons on the product page."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from python_calamine import CalamineWorkbook

from tests import factories
from tests.conftest import ApiClient
from tests.core.test_imports import xlsx
from tests.org.test_import_views import logged_in
from tidecrm.core import exports as export_framework
from tidecrm.core import imports as framework
from tidecrm.core.errors import BusinessError, NotFound
from tidecrm.core.tenancy import tenant_context
from tidecrm.sales import exports, services
from tidecrm.sales import imports as product_imports
from tidecrm.sales.models import Product

HEADERS = ["名称", "分类", "SKU", "规格", "单位", "单价", "状态", "备注"]
EXPORT_HEADERS = ["产品名称", "产品分类", "产品编码", "规格", "单位", "标准价格", "状态", "描述"]
HTMX = {"HTTP_HX_REQUEST": "true"}


def row(name, category, sku="", spec="", unit="", price="", status="", description=""):
    return [name, category, sku, spec, unit, price, status, description]


def run(actor, rows, capture, *, headers=HEADERS):
    with capture(execute=True):
        job = framework.import_start(
            actor=actor, kind="product", file_name="产品.xlsx", content=xlsx([headers, *rows])
        )
    job.refresh_from_db()
    return job


def reasons(job):
    """{product name: 失败原因} of the failure file."""
    headers, failed = framework.failure_rows(job)
    assert headers == [*HEADERS, "失败原因"]
    return {r[0]: r[-1] for r in failed}


@pytest.fixture
def tree(bound):
    """软件 / 软件/CRM / 软件/CRM/标准版, 硬件 / 硬件/配件 / 服务/配件 (配件 twice), 硬件/软件."""
    made = {}

    def add(path):
        parent, _sep, name = path.rpartition("/")
        made[path] = services.category_create(
            actor=bound, name=name, parent_id=made[parent].pk if parent else None
        )

    for path in (
        "软件",
        "软件/CRM",
        "软件/CRM/标准版",
        "硬件",
        "硬件/配件",
        "服务",
        "服务/配件",
        "硬件/软件",
    ):
        add(path)
    return made


def test_mixed_file_exact_counts_and_reasons(bound, tree, django_capture_on_commit_callbacks):
    services.product_create(actor=bound, name="老产品", category_id=tree["硬件"].pk, sku="OLD-1")
    rows = [
        row("CRM 标准版许可", "软件/CRM/标准版", "CRM-STD", "10用户", "套", "12,800.50", "上架", "年度许可"),
        row("CRM 插件", "CRM", "CRM-PLUG", price="0"),
        row("下架的服务", "服务", status="下架", price="¥99"),
        row("", "软件", "NONAME"),
        row("无分类", ""),
        row("未知分类", "软件/ERP"),
        row("重名分类", "配件"),
        row("完整路径配件", "服务／配件", price="5元"),
        row("负价格", "软件", price="-1"),
        row("坏价格", "软件", price="abc"),
        row("坏状态", "软件", status="热卖"),
        row("老编码", "软件", "OLD-1"),
        row("文件内重复", "软件", "CRM-STD"),
        row("名字太长" + "长" * 100, "软件"),
        row("多错", "不存在", "X" * 41, unit="一二三四五六七八九十一", price="-3"),
        row("顶级软件", "软件"),
    ]
    job = run(bound, rows, django_capture_on_commit_callbacks)
    assert (job.status, job.total, job.succeeded, job.failed) == ("done", 16, 5, 11)
    assert reasons(job) == {
        "": "请填写产品名称",
        "无分类": "请填写产品分类",
        "未知分类": "产品分类“软件/ERP”不存在",
        "重名分类": "产品分类“配件”有多个同名分类，请填写完整路径，如 上级分类/配件",
        "负价格": "标准价格不能小于0",
        "坏价格": "标准价格请填写正确的金额",
        "坏状态": "状态只能填 上架 或 下架",
        "老编码": "产品编码“OLD-1”已被产品“老产品”使用",
        "文件内重复": "产品编码“CRM-STD”与第 2 行重复",
        "名字太长" + "长" * 100: "产品名称不能超过100个字",
        "多错": "产品分类“不存在”不存在；产品编码不能超过40个字；单位不能超过10个字；标准价格不能小于0",
    }
    products = {p.name: p for p in Product.objects.exclude(name="老产品").select_related("category")}
    assert set(products) == {"CRM 标准版许可", "CRM 插件", "下架的服务", "完整路径配件", "顶级软件"}
    std = products["CRM 标准版许可"]
    assert (std.category_id, std.sku, std.spec, std.unit, std.price, std.on_sale, std.description) == (
        tree["软件/CRM/标准版"].pk,
        "CRM-STD",
        "10用户",
        "套",
        Decimal("12800.50"),
        True,
        "年度许可",
    )
    assert products["CRM 插件"].category_id == tree["软件/CRM"].pk  # a unique name is enough
    assert (products["下架的服务"].on_sale, products["下架的服务"].price) == (False, Decimal("99.00"))
    assert products["完整路径配件"].category_id == tree["服务/配件"].pk
    # "软件" is a top-level category's full path: that one, though 硬件/软件 exists too.
    assert products["顶级软件"].category_id == tree["软件"].pk
    assert products["CRM 插件"].sku == "CRM-PLUG" and products["下架的服务"].sku == ""


def test_categories_by_path_suffix_and_ambiguity(bound, tree):
    lookup = product_imports.CategoryLookup()
    assert lookup.find("软件/CRM/标准版") == tree["软件/CRM/标准版"].pk
    assert lookup.find(" 软件 > CRM ") == tree["软件/CRM"].pk
    assert lookup.find("CRM/标准版") == tree["软件/CRM/标准版"].pk  # a trailing part, unique
    assert lookup.find("标准版") == tree["软件/CRM/标准版"].pk
    assert lookup.find("硬件/配件") == tree["硬件/配件"].pk
    assert lookup.find("硬件/软件") == tree["硬件/软件"].pk
    assert lookup.find("软件") == tree["软件"].pk
    with pytest.raises(product_imports.RowFailed, match="有多个同名分类"):
        lookup.find("配件")
    with pytest.raises(product_imports.RowFailed, match="“服务/CRM”不存在"):
        lookup.find("服务/CRM")
    with pytest.raises(product_imports.RowFailed, match="“CRM/软件”不存在"):
        lookup.find("CRM/软件")


def test_sku_duplicates_across_chunks_and_a_sku_taken_meanwhile(bound, tree, monkeypatch):
    importer = framework.get_importer("product")
    context = importer.prepare(bound, {})
    context["row_offset"] = 0
    first = importer.import_rows(
        bound, [{"name": "甲", "category": "软件", "sku": "A-1"}, {"name": "乙", "category": "软件"}], context
    )
    assert first == [None, None]
    context["row_offset"] = 2  # the next chunk: rows 4 and 5 of the file
    services.product_create(actor=bound, name="别人刚建的", category_id=tree["硬件"].pk, sku="B-1")
    second = importer.import_rows(
        bound,
        [
            {"name": "丙", "category": "软件", "sku": "A-1"},
            {"name": "丁", "category": "软件", "sku": "C-1"},
            {"name": "戊", "category": "软件", "sku": "C-1"},
        ],
        context,
    )
    assert second == ["产品编码“A-1”与第 2 行重复", None, "产品编码“C-1”与第 5 行重复"]
    # A SKU saved by someone else after the chunk's check: only that row fails.
    real_filter = Product.objects.filter

    def blind_filter(*args, **kwargs):
        return Product.objects.none() if "sku__in" in kwargs else real_filter(*args, **kwargs)

    monkeypatch.setattr(Product.objects, "filter", blind_filter)
    third = importer.import_rows(
        bound,
        [{"name": "己", "category": "软件", "sku": "B-1"}, {"name": "庚", "category": "软件", "sku": "D-1"}],
        context,
    )
    assert third == ["产品编码“B-1”已存在", None]
    monkeypatch.undo()
    assert sorted(Product.objects.values_list("name", flat=True)) == sorted(
        ["甲", "乙", "丁", "别人刚建的", "庚"]
    )


def test_permission_refusal_and_the_api(enterprise, django_capture_on_commit_callbacks):
    admin = enterprise
    rep = factories.employee(admin, name="销售", role_keys=("sales",))
    with tenant_context(admin.tenant):
        services.category_create(actor=admin, name="软件")
    content = xlsx([HEADERS, row("接口产品", "软件", "API-1", price="100"), row("", "软件")])

    def post(employee):
        client = ApiClient(factories.token_for(employee))
        return client, client.client.post(
            "/api/v1/products/imports",
            {"file": SimpleUploadedFile("产品.xlsx", content)},
            HTTP_AUTHORIZATION=f"Bearer {client.token}",
        )

    _client, refused = post(rep)
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    with tenant_context(admin.tenant), pytest.raises(BusinessError) as caught:
        framework.import_start(actor=rep, kind="product", file_name="p.xlsx", content=content)
    assert caught.value.code == "permission_denied"
    assert logged_in(rep).get("/imports/product/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        client, accepted = post(admin)
    assert accepted.status_code == 202, accepted.content
    job = client.get(f"/imports/{accepted.json()['id']}").json()
    assert (job["kind"], job["status"], job["succeeded"], job["failed"]) == ("product", "done", 1, 1)
    assert client.get(f"/imports/{job['id']}/failures").status_code == 200
    with tenant_context(admin.tenant):
        assert Product.objects.get(sku="API-1").price == Decimal("100.00")


def test_template_and_import_pages(enterprise):
    client = logged_in(enterprise)
    template = client.get("/imports/product/template/")
    assert template.status_code == 200
    first = CalamineWorkbook.from_filelike(io.BytesIO(template.content)).get_sheet_by_index(0).to_python()[0]
    assert first == ["产品名称*", "产品分类*", "产品编码", "规格", "单位", "标准价格", "状态", "描述"]
    assert "下载模板" in client.get("/imports/product/new/", **HTMX).content.decode()
    assert client.get("/imports/product/").status_code == 200


# ---------------------------------------------------------------- export


def records(response):
    assert response.status_code == 200, getattr(response, "content", b"")
    assert response["Content-Type"] == export_framework.XLSX
    rows = (
        CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
        .get_sheet_by_index(0)
        .to_python()
    )
    assert rows[0] == EXPORT_HEADERS
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_export_contents_and_filters(bound, tree):
    services.product_create(
        actor=bound,
        name="CRM 标准版",
        category_id=tree["软件/CRM/标准版"].pk,
        sku="CRM-1",
        spec="10用户",
        unit="套",
        price="12800.5",
        description="年度",
    )
    services.product_create(actor=bound, name="键盘", category_id=tree["硬件/配件"].pk, on_sale=False)
    rows = records(exports.product_export(actor=bound))
    assert rows == [
        {
            "产品名称": "CRM 标准版",
            "产品分类": "软件/CRM/标准版",
            "产品编码": "CRM-1",
            "规格": "10用户",
            "单位": "套",
            "标准价格": 12800.5,
            "状态": "上架",
            "描述": "年度",
        },
        {
            "产品名称": "键盘",
            "产品分类": "硬件/配件",
            "产品编码": "",
            "规格": "",
            "单位": "",
            "标准价格": 0.0,
            "状态": "下架",
            "描述": "",
        },
    ]
    assert [
        r["产品名称"] for r in records(exports.product_export(actor=bound, category_id=tree["软件"].pk))
    ] == ["CRM 标准版"]
    assert [r["产品名称"] for r in records(exports.product_export(actor=bound, on_sale=False))] == ["键盘"]
    assert [r["产品名称"] for r in records(exports.product_export(actor=bound, q="crm-1"))] == ["CRM 标准版"]
    with pytest.raises(NotFound):
        exports.product_export(actor=bound, category_id=999999)


def test_export_costs_the_same_for_3_or_30_products(bound, tree):
    def make(count, start):
        for number in range(start, start + count):
            category = tree[("软件/CRM/标准版", "硬件/配件", "服务")[number % 3]]
            services.product_create(actor=bound, name=f"产品{number:02d}", category_id=category.pk)

    def export():
        with CaptureQueriesContext(connection) as queries:
            rows = records(exports.product_export(actor=bound))
        return len(rows), len(queries)

    make(3, 0)
    few, few_queries = export()
    make(27, 3)
    many, many_queries = export()
    assert (few, many) == (3, 30)
    assert few_queries == many_queries == 3  # categories, count, rows


def test_exported_file_imports_again(bound, tree, django_capture_on_commit_callbacks):
    services.product_create(actor=bound, name="键盘", category_id=tree["硬件/配件"].pk, sku="K-1", price="9")
    content = b"".join(exports.product_export(actor=bound).streaming_content)
    Product.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        job = framework.import_start(actor=bound, kind="product", file_name="产品.xlsx", content=content)
    job.refresh_from_db()
    assert (job.succeeded, job.failed) == (1, 0)
    product = Product.objects.get()
    assert (product.name, product.category_id, product.sku, product.price) == (
        "键盘",
        tree["硬件/配件"].pk,
        "K-1",
        Decimal("9.00"),
    )


# ---------------------------------------------------------------- page and API


def test_buttons_on_the_product_page_and_the_downloads(enterprise):
    admin = enterprise
    rep = factories.employee(admin, name="销售", role_keys=("sales",))
    with tenant_context(admin.tenant):
        category = services.category_create(actor=admin, name="软件")
        services.product_create(actor=admin, name="CRM", category_id=category.pk, sku="C-1")
        services.product_create(actor=admin, name="ERP", category_id=category.pk, on_sale=False)
    page = logged_in(admin).get("/sales/products/").content.decode()
    assert 'data-testid="import-products"' in page and "/imports/product/new/" in page
    assert 'data-testid="export-products"' in page and "/sales/products/export/" in page
    rep_client = logged_in(rep)
    rep_page = rep_client.get("/sales/products/?on_sale=1").content.decode()
    assert 'data-testid="import-products"' not in rep_page  # no product.manage
    assert 'data-testid="export-products"' in rep_page and "/sales/products/export/?on_sale=1" in rep_page
    download = rep_client.get("/sales/products/export/?on_sale=1")
    assert [r["产品名称"] for r in records(download)] == ["CRM"]
    assert "filename*=UTF-8''%E4%BA%A7%E5%93%81-" in download["Content-Disposition"]
    api = ApiClient(factories.token_for(rep))
    assert [r["产品名称"] for r in records(api.get("/products/export", {"on_sale": "false"}))] == ["ERP"]
    assert [r["产品编码"] for r in records(api.get("/products/export", {"q": "CRM"}))] == ["C-1"]
    assert api.get("/products/export", {"category_id": 999999}).status_code == 404
