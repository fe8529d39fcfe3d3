"""Lead export (GEN-06): who may export, what the file holds (scope, masking, filters), the cap."""

import importlib
import io
from datetime import datetime
from urllib.parse import quote

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from python_calamine import CalamineWorkbook

from tests import factories
from tests.org.test_import_views import logged_in
from tidecrm.core import clock, exports
from tidecrm.core.tenancy import tenant_context
from tidecrm.leads import services
from tidecrm.org import services as org_services
from tidecrm.org.models import Role

HEADERS = ["手机号", "姓名", "客户名称", "QQ", "邮箱", "微信", "来源", "线索状态", "跟进人", "原跟进人"]


def records(response):
    """Return the exported rows as dicts by header (asserting the answer is a file)."""
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == exports.XLSX
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    rows = sheet.get_sheet_by_index(0).to_python()
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def phones(response):
    return sorted(record["手机号"] for record in records(response))


def make(actor, phone, **values):
    with tenant_context(actor.tenant):
        return services.lead_create(actor=actor, phone=phone, **values)


@pytest.fixture
def exporter(enterprise):
    """A salesperson (own data only) whose role also allows exporting leads."""
    with tenant_context(enterprise.tenant):
        role = org_services.role_create(
            actor=enterprise,
            name="导出销售",
            permissions=["lead.create", "lead.release", "lead.claim", "lead.export"],
        )
    return factories.employee(enterprise, name="导出员", role_keys=(), roles=[role])


def test_anonymous_is_refused(api):
    response = api().get("/leads/export")
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")
    page = Client().get("/leads/export/")
    assert page.status_code == 302 and page["Location"].startswith("/login")


def test_without_the_permission_403_and_no_button(enterprise, exporter, api):
    rep = factories.employee(enterprise, name="销售", role_keys=("sales",))
    make(rep, "13900001111")

    response = api(rep).get("/leads/export")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert logged_in(rep).get("/leads/export/").status_code == 403
    for url in ("/leads/", "/leads/pool/"):
        assert 'data-testid="export-leads"' not in logged_in(rep).get(url).content.decode()
    for url in ("/leads/", "/leads/pool/"):
        assert 'data-testid="export-leads"' in logged_in(exporter).get(url).content.decode()
    assert 'data-testid="export-leads"' in logged_in(enterprise).get("/leads/pending/").content.decode()


def test_managers_hold_the_permission_by_default(enterprise):
    with tenant_context(enterprise.tenant):
        granted = {role.system_key: "lead.export" in role.permissions for role in Role.objects.all()}
    assert granted == {
        "admin": True,
        "sales_manager": True,
        "marketing_manager": True,
        "sales": False,
        "member": False,
    }


def test_the_migration_grants_it_to_existing_system_roles(enterprise):
    migration = importlib.import_module("tidecrm.leads.migrations.0005_grant_lead_export")
    with tenant_context(enterprise.tenant):
        Role.objects.update(permissions=["lead.create"])
        migration.grant(django_apps, None)
        granted = {role.system_key: role.permissions for role in Role.objects.all()}
    assert granted["sales_manager"] == ["lead.create", "lead.export"]
    assert granted["admin"] == ["lead.create", "lead.export"]
    assert granted["sales"] == granted["member"] == ["lead.create"]


def test_the_pending_container_needs_the_allocation_permission(exporter, api):
    response = api(exporter).get("/leads/export", {"state": "unallocated"})
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert api(exporter).get("/leads/export", {"state": "nonsense"}).status_code == 422


def test_export_follows_the_data_scope_and_the_enterprise(enterprise, other_enterprise, exporter, api):
    colleague = factories.employee(enterprise, name="同事", role_keys=("sales",))
    make(exporter, "13900001111", name="我的客户")
    make(colleague, "13900002222", name="同事的客户")
    make(enterprise, "13900003333")  # waits in 待分配: not in the owned export
    make(other_enterprise, "13900004444", owner_id=other_enterprise.pk)

    assert phones(api(exporter).get("/leads/export")) == ["13900001111"]
    everyone = api(enterprise).get("/leads/export")
    assert "; filename*=UTF-8''" + quote("销售线索-") in everyone["Content-Disposition"]
    assert phones(everyone) == ["13900001111", "13900002222"]
    assert phones(api(enterprise).get("/leads/export", {"state": "unallocated"})) == ["13900003333"]
    assert phones(api(other_enterprise).get("/leads/export")) == ["13900004444"]


def test_pool_rows_are_masked_in_the_file(enterprise, exporter, api):
    rep = factories.employee(enterprise, name="销售", role_keys=("sales",))
    lead = make(rep, "15612342345", name="王五", qq="123456789", email="li@example.com", wechat="wx_li")
    with tenant_context(enterprise.tenant):
        services.lead_release(actor=rep, lead_id=lead.pk)

    response = api(exporter).get("/leads/export", {"state": "pool"})

    [record] = records(response)
    assert [record[h] for h in HEADERS] == [
        "156****2345",
        "王五",
        "",
        "12****89",
        "l***@example.com",
        "wx_li",  # as on the list: GEN-03 masks phone, QQ and e-mail
        "",
        "待处理",
        "",
        "销售",
    ]
    # And the page's export link gives the same masked file.
    page = logged_in(exporter).get("/leads/pool/export/")
    assert phones(page) == ["156****2345"]
    assert "15612342345" not in str(records(logged_in(exporter).get("/leads/pool/export/")))


def test_owned_rows_are_in_full_with_local_times(enterprise, api):
    rep = factories.employee(enterprise, name="销售", role_keys=("sales",))
    with clock.frozen(datetime(2026, 3, 1, 1, 30, tzinfo=timezone.get_fixed_timezone(0))):
        make(rep, "15612342345", email="li@example.com", company_name="甲公司")

    [record] = records(api(enterprise).get("/leads/export"))

    assert (record["手机号"], record["邮箱"], record["跟进人"]) == ("15612342345", "li@example.com", "销售")
    assert (record["新建时间"], record["分配时间"], record["领取时间"]) == (
        "2026-03-01 09:30",
        "2026-03-01 09:30",
        "",
    )
    assert record["导入/创建人"] == "销售"


def test_filters_are_honoured(enterprise, api):
    rep = factories.employee(enterprise, name="销售", role_keys=("sales",))
    utc = timezone.get_fixed_timezone(0)
    with clock.frozen(datetime(2026, 1, 5, 2, 0, tzinfo=utc)):
        early = make(rep, "13900001111", company_name="早鸟科技")
    with clock.frozen(datetime(2026, 2, 5, 2, 0, tzinfo=utc)):
        make(rep, "13900002222", company_name="晚到贸易")
        with tenant_context(enterprise.tenant):
            services.lead_set_status(actor=rep, lead_id=early.pk, status="callback")
    client = api(enterprise)

    assert phones(client.get("/leads/export", {"status": "callback"})) == ["13900001111"]
    assert phones(client.get("/leads/export", {"q": "贸易"})) == ["13900002222"]
    assert phones(client.get("/leads/export", {"q": "1390000 1111"})) == ["13900001111"]
    assert phones(client.get("/leads/export", {"created_from": "2026-02-01"})) == ["13900002222"]
    assert phones(client.get("/leads/export", {"created_to": "2026-01-31"})) == ["13900001111"]
    assert phones(client.get("/leads/export", {"owner_id": enterprise.pk})) == []
    # The page takes the same filters from its query string.
    page = logged_in(enterprise).get("/leads/export/", {"status": "callback", "q": "早鸟"})
    assert phones(page) == ["13900001111"]


def test_too_many_leads_are_refused_not_cut(enterprise, monkeypatch, api):
    monkeypatch.setattr(exports, "MAX_ROWS", 2)
    for i in range(3):
        make(enterprise, f"1390000111{i}", owner_id=enterprise.pk)

    response = api(enterprise).get("/leads/export")

    assert response.status_code == 409
    assert response.json()["code"] == "export_too_large"
    assert response.json()["details"] == {"total": 3, "limit": 2}
    page = logged_in(enterprise).get("/leads/export/")
    assert page.status_code == 409 and "导出数据超过 2 条上限" in page.content.decode()
    assert len(records(api(enterprise).get("/leads/export", {"q": "13900001110"}))) == 1


def test_export_query_count_is_constant(enterprise, api):
    reps = [factories.employee(enterprise, name=f"销售{i}", role_keys=("sales",)) for i in range(3)]
    client = api(enterprise)
    client.get("/me")
    for i in range(3):
        make(reps[i], f"1370000000{i}")
    with CaptureQueriesContext(connection) as few:
        assert len(records(client.get("/leads/export"))) == 3
    for i in range(3, 30):
        make(reps[i % 3], f"137000000{i:02d}")
    with CaptureQueriesContext(connection) as many:
        assert len(records(client.get("/leads/export"))) == 30
    assert len(many) == len(few)
