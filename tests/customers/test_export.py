"""Customer export (CUST-20, GEN-06): who may export, what the file holds cell by cell (masking
in the pool and under data protection, CUST-15), the view's scope and filters, no follow-ups,
and a constant number of queries whatever the number of customers."""

import io

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from python_calamine import CalamineWorkbook

from tests import factories
from tidecrm.core import exports as framework
from tidecrm.core.errors import PermissionDenied
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import config, exports, io_views, services
from tidecrm.customers.models import Customer
from tidecrm.org import services as org_services

HEADERS = [
    "客户名称",
    "客户类型",
    "首要联系人",
    "手机号",
    "邮箱",
    "QQ",
    "微信",
    "跟进人",
    "客户进展",
    "客户状态",
    "标签",
    "来源",
    "获得时间",
    "最后跟进时间",
    "新建时间",
    "原跟进人",
    "移入公海时间",
]


def records(response):
    """The exported rows as dicts by header (asserting the answer is an xlsx with our headers)."""
    assert response.status_code == 200, getattr(response, "content", b"")
    assert response["Content-Type"] == framework.XLSX
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    rows = sheet.get_sheet_by_index(0).to_python()
    assert rows[0] == HEADERS  # follow-up records are never part of it (CUST-20)
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def by_name(response):
    return {record["客户名称"]: record for record in records(response)}


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


@pytest.fixture
def world(enterprise):
    """admin (everything), rep (sales, no export), exporter (own scope + customer.export),
    and customers: one owned by rep with tags, one released into the pool, one owned by exporter."""
    admin = enterprise
    with tenant_context(admin.tenant):
        role = org_services.role_create(
            actor=admin,
            name="导出销售",
            permissions=["customer.create", "customer.release", "customer.claim", "customer.export"],
        )
    rep = factories.employee(admin, name="销售")
    exporter = factories.employee(admin, name="导出员", role_keys=(), roles=[role])
    with tenant_context(admin.tenant):
        group = config.tag_group_create(actor=admin, name="意向", tags=("高", "低"))
        high, low = list(group.tags.order_by("position"))
        owned = services.customer_create(
            actor=admin,
            owner=rep,
            name="康师傅食品有限公司",
            source="展会",
            tag_ids=[low.pk, high.pk],
            contacts=[
                {
                    "name": "张三",
                    "mobile": "13900001111",
                    "email": "zs@x.cn",
                    "qq": "123456",
                    "wechat": "zs_wx",
                },
                {"name": "李四", "mobile": "13900002222"},
            ],
        )
        services.customer_followup_add(actor=rep, customer_id=owned.pk, content="聊了聊")
        pooled = services.customer_create(
            actor=rep,
            name="公海公司",
            kind=Customer.Kind.PERSONAL,
            contacts=[
                {"name": "王五", "mobile": "13900003333", "email": "ww@y.com", "qq": "9876", "wechat": "w5"}
            ],
        )
        services.customer_release(actor=rep, customer_id=pooled.pk, reason="无意向")
        own = services.customer_create(
            actor=exporter, name="导出员的客户", contacts=[{"name": "赵六", "mobile": "13900004444"}]
        )
    return {"admin": admin, "rep": rep, "exporter": exporter, "owned": owned, "pooled": pooled, "own": own}


def fresh(customer):
    with tenant_context(customer.tenant):
        return Customer.objects.select_related("stage").get(pk=customer.pk)


def test_owned_customer_cell_by_cell(world, api):
    owned = fresh(world["owned"])
    exported = by_name(api(world["admin"]).get("/customers/export", {"scope": "all"}))
    assert set(exported) == {"康师傅食品有限公司", "导出员的客户"}
    assert exported["康师傅食品有限公司"] == {
        "客户名称": "康师傅食品有限公司",
        "客户类型": "企业客户",
        "首要联系人": "张三",
        "手机号": "13900001111",
        "邮箱": "zs@x.cn",
        "QQ": "123456",
        "微信": "zs_wx",
        "跟进人": "销售",
        "客户进展": owned.stage.name,
        "客户状态": "未成交",
        "标签": "高、低",
        "来源": "展会",
        "获得时间": local(owned.acquired_at),
        "最后跟进时间": local(owned.last_followup_at),
        "新建时间": local(owned.created_at),
        "原跟进人": "",
        "移入公海时间": "",
    }
    assert owned.last_followup_at is not None


def test_pool_is_always_masked(world, api):
    pooled = fresh(world["pooled"])
    for employee in (world["admin"], world["exporter"]):
        exported = by_name(api(employee).get("/customers/export", {"state": "pool"}))
        assert list(exported) == ["公海公司"]
        assert exported["公海公司"] == {
            "客户名称": "公海公司",
            "客户类型": "个人客户",
            "首要联系人": "王五",
            "手机号": "139****3333",
            "邮箱": "w***@y.com",
            "QQ": "98****76",
            "微信": "****",
            "跟进人": "",
            "客户进展": pooled.stage.name,
            "客户状态": "未成交",
            "标签": "",
            "来源": "",
            "获得时间": "",
            "最后跟进时间": "",
            "新建时间": local(pooled.created_at),
            "原跟进人": "销售",
            "移入公海时间": local(pooled.released_at),
        }


def test_data_protection_masks_everything_for_that_employee_only(world, api):
    admin, exporter = world["admin"], world["exporter"]
    with tenant_context(admin.tenant):
        config.settings_update(actor=admin, masked_employee_ids=[exporter.pk])
    mine = by_name(api(exporter).get("/customers/export", {"scope": "mine"}))["导出员的客户"]
    assert (mine["手机号"], mine["邮箱"], mine["QQ"], mine["微信"]) == ("139****4444", "", "", "")
    assert mine["首要联系人"] == "赵六"  # names stay
    seen_by_admin = by_name(api(admin).get("/customers/export", {"scope": "all"}))
    assert seen_by_admin["导出员的客户"]["手机号"] == "13900004444"
    assert seen_by_admin["康师傅食品有限公司"]["QQ"] == "123456"
    # The API list and the export agree on what is masked.
    listed = (
        api(exporter).get("/customers", {"scope": "mine"}).json()["items"][0]["primary_contact"]["mobile"]
    )
    assert listed == mine["手机号"]


def test_scope_and_filters_are_those_of_the_list(world, api):
    exporter, admin = world["exporter"], world["admin"]
    client = api(exporter)
    for params in ({"scope": "all"}, {"scope": "mine"}, {"scope": "team"}, {"state": "pool"}):
        listed = sorted(item["name"] for item in client.get("/customers", params).json()["items"])
        assert sorted(by_name(client.get("/customers/export", params))) == listed, params
    assert list(by_name(client.get("/customers/export", {"scope": "all"}))) == ["导出员的客户"]
    admin_client = api(admin)
    with tenant_context(admin.tenant):
        high = config.tag_groups()[0].tag_list[0]
    assert list(by_name(admin_client.get("/customers/export", {"scope": "all", "tag_id": high.pk}))) == [
        "康师傅食品有限公司"
    ]
    assert list(by_name(admin_client.get("/customers/export", {"scope": "all", "q": "2222"}))) == [
        "康师傅食品有限公司"
    ]
    assert by_name(admin_client.get("/customers/export", {"scope": "mine"})) == {}


def test_permissions(world, api):
    response = api(world["rep"]).get("/customers/export", {"scope": "mine"})
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    response = api(world["exporter"]).get(
        "/customers/export", {"state": "deleted"}
    )  # bin needs customer.delete
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    response = api().get("/customers/export")
    assert response.status_code == 401
    assert api(world["exporter"]).get("/customers/export", {"scope": "nonsense"}).status_code == 422


def test_recycle_bin_export(world, api):
    admin = world["admin"]
    with tenant_context(admin.tenant):
        services.customer_delete(actor=admin, customer_id=world["owned"].pk)
    exported = by_name(api(admin).get("/customers/export", {"state": "deleted"}))
    assert list(exported) == ["康师傅食品有限公司"]
    record = exported["康师傅食品有限公司"]
    assert (record["手机号"], record["跟进人"], record["原跟进人"], record["获得时间"]) == (
        "139****1111",
        "",
        "销售",
        "",
    )


def test_page_view_reads_the_list_query_string(world):
    exporter, rep = world["exporter"], world["rep"]
    factory = RequestFactory()
    with tenant_context(exporter.tenant):
        request = factory.get(
            "/customers/export/", {"view": "pool", "q": "公海", "sort": "bogus", "stage_id": "x"}
        )
        request.employee = exporter
        response = io_views.customer_export_page(request)
        assert list(by_name(response)) == ["公海公司"]
        assert "filename*=UTF-8''" in response["Content-Disposition"]
        request = factory.get("/customers/export/", {"view": "all"})
        request.employee = rep
        with pytest.raises(PermissionDenied):
            io_views.customer_export_page(request)


@pytest.mark.parametrize("view", ["mine", "pool"])
def test_query_count_does_not_grow_with_the_customers(bound, view):
    admin = bound
    group = config.tag_group_create(actor=admin, name="行业", tags=("制造", "零售"))
    tag_ids = list(group.tags.values_list("pk", flat=True))

    def make(n, start):
        for i in range(start, start + n):
            customer = services.customer_create(
                actor=admin,
                name=f"客户{i}",
                tag_ids=tag_ids,
                contacts=[
                    {"name": f"甲{i}", "mobile": f"1370000{i:04d}"},
                    {"name": f"乙{i}", "mobile": f"1380000{i:04d}"},
                ],
            )
            if view == "pool":
                services.customer_release(actor=admin, customer_id=customer.pk)

    def export():
        with CaptureQueriesContext(connection) as queries:
            rows = records(exports.customer_export(actor=admin, view=view))
        return len(rows), len(queries)

    make(3, 0)
    few, few_queries = export()
    make(27, 3)
    many, many_queries = export()
    assert (few, many) == (3, 30)
    assert many_queries == few_queries
    assert few_queries <= 12, few_queries  # settings, scope, count, rows, contacts, tags


def test_chunks_decorate_every_row(bound, monkeypatch):
    """Across iterator chunks, each row keeps its own primary contact and tags."""
    admin = bound
    group = config.tag_group_create(actor=admin, name="行业", tags=("制造", "零售"))
    tags = list(group.tags.order_by("position"))
    for i in range(7):
        services.customer_create(
            actor=admin,
            name=f"客户{i}",
            tag_ids=[tags[i % 2].pk],
            contacts=[{"name": f"联系人{i}", "mobile": f"1360000{i:04d}"}],
        )
    monkeypatch.setattr(framework, "CHUNK_SIZE", 3)
    rows = exports.DecoratedRows(
        Customer.objects.order_by("pk").select_related("owner", "stage", "previous_owner"),
        admin,
        chunk_size=3,
    )
    assert len(rows) == 7
    seen = [(c.name, c.primary.name, c.primary_shown["mobile"], c.tag_names) for c in rows]
    assert seen == [(f"客户{i}", f"联系人{i}", f"1360000{i:04d}", [tags[i % 2].name]) for i in range(7)]


def test_export_url_of_the_list_page(world):
    from tests.org.test_import_views import logged_in

    response = logged_in(world["exporter"]).get("/customers/export/", {"view": "pool", "q": "公海"})
    assert list(by_name(response)) == ["公海公司"]
    assert logged_in(world["rep"]).get("/customers/export/", {"view": "mine"}).status_code == 403
