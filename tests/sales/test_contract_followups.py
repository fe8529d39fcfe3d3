"""Contract follow-ups (CON-04): written on the contract, kept on its customer (FUP-02), shown
on the contract's 跟进记录 tab and in the customer journey; a contract out of scope is not
found. Also the approval views of CON-03: the CC list once an approval completes, and the
initiator and level on the approval to-do list."""

import itertools

import pytest

from tests import factories
from tests.org.test_import_views import logged_in
from tidecrm.core.errors import NotFound
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import selectors as customer_selectors
from tidecrm.customers import services as customer_services
from tidecrm.customers.models import Customer, Followup
from tidecrm.office.approvals import pending_for
from tidecrm.sales import services

HTMX = {"HTTP_HX_REQUEST": "true"}
_mobiles = itertools.count(13400000000)


@pytest.fixture
def deal(enterprise):
    owner = enterprise
    with tenant_context(owner.tenant):
        customer = customer_services.customer_create(
            actor=owner, name="北辰物流有限公司", contacts=[{"name": "李四", "mobile": str(next(_mobiles))}]
        )
        contract = services.contract_create(
            actor=owner, customer_id=customer.pk, title="仓储系统合同", amount="20000"
        )
    return {"owner": owner, "customer": customer, "contract": contract}


def test_followup_on_a_contract_shows_on_the_contract_and_in_the_journey(deal):
    owner, contract, customer = deal["owner"], deal["contract"], deal["customer"]
    client = logged_in(owner)
    response = client.post(
        f"/sales/contracts/{contract.pk}/followups/",
        {"content": "已完成第一批设备交付", "method": "visit", "next_followup_at": "2099-01-02T10:00"},
        **HTMX,
    )
    assert response.status_code == 200 and "已添加跟进记录" in response.content.decode()
    assert "contract-changed" in response["HX-Trigger"] and "customer-changed" in response["HX-Trigger"]
    with tenant_context(owner.tenant):
        followup = Followup.objects.get()
        assert (followup.customer_id, followup.contract_pk) == (customer.pk, contract.pk)
        assert followup.method == "visit" and followup.next_followup_at is not None
        assert Customer.objects.get(pk=customer.pk).last_followup_at == followup.created_at
        journey = customer_selectors.journey(Customer.objects.get(pk=customer.pk))
        assert any(item["kind"] == "followup" and "第一批设备交付" in item["content"] for item in journey)
    detail = client.get(f"/sales/contracts/{contract.pk}/drawer/?tab=followups").content.decode()
    assert 'data-testid="contract-followup"' in detail and "已完成第一批设备交付" in detail
    assert 'data-testid="contract-followup-form"' in detail
    page = client.get(f"/sales/contracts/{contract.pk}/").content.decode()
    assert "已完成第一批设备交付" in page
    drawer = client.get(f"/customers/{customer.pk}/drawer/").content.decode()
    assert "已完成第一批设备交付" in drawer


def test_followups_of_another_contract_stay_there(deal):
    owner, customer = deal["owner"], deal["customer"]
    with tenant_context(owner.tenant):
        other = services.contract_create(actor=owner, customer_id=customer.pk, title="另一份", amount="100")
        services.contract_followup_add(actor=owner, contract_id=other.pk, content="只属于另一份合同")
        customer_services.customer_followup_add(
            actor=owner, customer_id=customer.pk, content="客户本身的跟进"
        )
    detail = logged_in(owner).get(f"/sales/contracts/{deal['contract'].pk}/drawer/").content.decode()
    assert "只属于另一份合同" not in detail and "客户本身的跟进" not in detail and "暂无跟进记录" in detail


def test_followup_needs_content(deal):
    client = logged_in(deal["owner"])
    response = client.post(f"/sales/contracts/{deal['contract'].pk}/followups/", {"content": " "}, **HTMX)
    assert response.status_code == 422 and "请填写跟进内容" in response.content.decode()
    bad_time = client.post(
        f"/sales/contracts/{deal['contract'].pk}/followups/",
        {"content": "看看", "next_followup_at": "明天"},
        **HTMX,
    )
    assert bad_time.status_code == 422
    with tenant_context(deal["owner"].tenant):
        assert not Followup.objects.exists()


def test_followup_out_of_scope_is_not_found(deal):
    owner, contract = deal["owner"], deal["contract"]
    stranger = factories.employee(owner, name="销售丁", role_keys=("sales",))
    client = logged_in(stranger)
    response = client.post(f"/sales/contracts/{contract.pk}/followups/", {"content": "偷看"}, **HTMX)
    assert response.status_code == 404
    assert client.get(f"/sales/contracts/{contract.pk}/drawer/").status_code == 404
    with tenant_context(owner.tenant):
        with pytest.raises(NotFound):
            services.contract_followup_add(actor=stranger, contract_id=contract.pk, content="偷看")
        assert not Followup.objects.exists()


def test_approval_cc_names_and_the_to_do_level(deal):
    owner, contract = deal["owner"], deal["contract"]
    first = factories.employee(owner, name="一审经理", role_keys=("sales",))
    second = factories.employee(owner, name="二审总监", role_keys=("sales",))
    cc = factories.employee(owner, name="财务小周", role_keys=("sales",))
    with tenant_context(owner.tenant):
        settings = services.sales_settings()
        settings.approval_enabled = True
        settings.level1_approver_ids, settings.level2_approver_ids = [first.pk], [second.pk]
        settings.cc_ids = [cc.pk]
        settings.save()
        services.contract_submit(actor=owner, contract_id=contract.pk)
        request_id = pending_for(first)[0].pk
    todo = logged_in(first).get("/sales/approvals/").content.decode()
    assert 'data-testid="approval-level" data-level="1"' in todo and "一级审批" in todo
    assert owner.name in todo.split('data-testid="approval-initiator"')[1].split("</span>")[0]
    pending_page = logged_in(owner).get(f"/sales/contracts/{contract.pk}/?tab=approvals").content.decode()
    assert 'data-testid="approval-cc"' not in pending_page  # shown once the approval completes
    logged_in(first).post(f"/sales/approvals/{request_id}/decide/", {"decision": "approve"}, **HTMX)
    todo = logged_in(second).get("/sales/approvals/").content.decode()
    assert 'data-level="2"' in todo and "二级审批" in todo and "共 2 级" in todo
    logged_in(second).post(f"/sales/approvals/{request_id}/decide/", {"decision": "approve"}, **HTMX)
    page = logged_in(owner).get(f"/sales/contracts/{contract.pk}/?tab=approvals").content.decode()
    assert 'data-testid="approval-cc"' in page
    assert "财务小周" in page.split('data-testid="approval-cc"')[1].split("</div>")[0]
