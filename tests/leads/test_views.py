"""Lead pages: containers by permission, masking, actions, refusals as toasts, query counts."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.conftest import mark_sudo
from tests.org.test_import_views import logged_in
from tidecrm.core.tenancy import tenant_context
from tidecrm.leads import services
from tidecrm.leads.models import Lead

HTMX = {"HTTP_HX_REQUEST": "true"}


def make(actor, phone, **values):
    with tenant_context(actor.tenant):
        return services.lead_create(actor=actor, phone=phone, **values)


def test_tabs_and_pending_list_follow_permissions(enterprise):
    rep = factories.employee(enterprise, name="销售", role_keys=("sales",))
    assert logged_in(rep).get("/leads/pending/").status_code == 403
    page = logged_in(rep).get("/leads/").content.decode()
    assert "公共线索池" in page and "待分配线索" not in page
    make(enterprise, "13900001111", company_name="待分配公司")
    assert "待分配公司" in logged_in(enterprise).get("/leads/pending/").content.decode()


def test_pool_masks_phones_in_list_and_drawer(enterprise):
    rep = factories.employee(enterprise, name="销售", role_keys=("sales",))
    lead = make(rep, "15612342345")
    with tenant_context(enterprise.tenant):
        services.lead_release(actor=rep, lead_id=lead.pk)
    client = logged_in(factories.employee(enterprise, name="同事", role_keys=("sales",)))
    page = client.get("/leads/pool/").content.decode()
    assert "156****2345" in page and "15612342345" not in page
    drawer = client.get(f"/leads/{lead.pk}/", **HTMX).content.decode()
    assert "156****2345" in drawer and "15612342345" not in drawer


def test_claim_from_the_drawer_and_refusal_toast(enterprise):
    a = factories.employee(enterprise, name="甲", role_keys=("sales",))
    b = factories.employee(enterprise, name="乙", role_keys=("sales",))
    lead = make(a, "13900002222")
    with tenant_context(enterprise.tenant):
        services.lead_release(actor=a, lead_id=lead.pk)
    response = logged_in(b).post(f"/leads/{lead.pk}/claim/", **HTMX)
    assert response.status_code == 200 and "已领取 1 条线索" in response.content.decode()
    refused = logged_in(a).post(f"/leads/{lead.pk}/claim/", **HTMX)
    assert refused.status_code == 404  # no longer in the pool, and 乙's lead is not 甲's to see
    with tenant_context(enterprise.tenant):
        assert Lead.objects.get(pk=lead.pk).owner_id == b.pk


def test_status_refusal_is_a_chinese_toast(enterprise):
    rep = factories.employee(enterprise, name="销售", role_keys=("sales",))
    lead = make(rep, "13900003333")
    client = logged_in(rep)
    assert client.post(f"/leads/{lead.pk}/invalid/", **HTMX).status_code == 200
    again = client.post(f"/leads/{lead.pk}/invalid/", **HTMX)
    assert again.status_code == 409 and "不能设为“无效”" in again.content.decode()
    assert again["HX-Retarget"] == "#toasts"


def test_bulk_allocate_reports_per_record(enterprise):
    rep = factories.employee(enterprise, name="销售", role_keys=("sales",))
    leads = [make(enterprise, f"1390000444{i}") for i in range(2)]
    with tenant_context(enterprise.tenant):
        services.lead_allocate(actor=enterprise, lead_id=leads[1].pk, employee=rep)
    client = logged_in(enterprise)
    ask = client.post("/leads/bulk/allocate/", {"lead_ids": [leads[0].pk]}, **HTMX)
    assert "跟进员工" in ask.content.decode()
    done = client.post(
        "/leads/bulk/allocate/", {"lead_ids": [leads[0].pk, leads[1].pk], "employee_id": rep.pk}, **HTMX
    ).content.decode()
    assert "已分配 1 条线索" in done and "1 条未处理" in done


def test_new_lead_modal_refuses_duplicates_in_place(enterprise):
    rep = factories.employee(enterprise, name="老张", role_keys=("sales",))
    make(rep, "13900005555")
    response = logged_in(enterprise).post("/leads/new/", {"phone": "139 0000 5555"}, **HTMX)
    assert (
        response.status_code == 422
        and "线索重复" in response.content.decode()
        and "老张" in response.content.decode()
    )
    created = logged_in(rep).post("/leads/new/", {"phone": "13900006666", "to_me": "1"}, **HTMX)
    assert created.status_code == 200 and created["HX-Trigger-After-Swap"] == "modal-close"


def test_list_query_count_does_not_grow(enterprise):
    client = logged_in(enterprise)
    make(enterprise, "13700000000")
    client.get("/leads/pending/")
    with CaptureQueriesContext(connection) as few:
        client.get("/leads/pending/")
    for i in range(1, 30):
        make(enterprise, f"137000000{i:02d}")
    with CaptureQueriesContext(connection) as many:
        client.get("/leads/pending/")
    assert len(many) == len(few)


def test_lead_settings_page(enterprise):
    client = mark_sudo(logged_in(enterprise))
    assert client.post("/leads/settings/", {"daily_claim_limit": "5"}).status_code == 302
    with tenant_context(enterprise.tenant):
        assert services.lead_settings().daily_claim_limit == 5
    assert 'value="5"' in client.get("/leads/settings/").content.decode()
    rep = factories.employee(enterprise, role_keys=("sales",))
    assert logged_in(rep).get("/leads/settings/").status_code == 403
