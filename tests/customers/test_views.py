"""Customer pages: every view renders, the drawer and page show the journey, modals answer with
their errors, bulk actions toast per-record results, list queries stay constant."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.conftest import mark_sudo
from tests.org.test_import_views import logged_in
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import config, services
from tidecrm.customers.models import Customer


def _customer(actor, name, mobile, **kwargs):
    return services.customer_create(
        actor=actor, name=name, contacts=[{"name": "联系人", "mobile": mobile}], **kwargs
    )


@pytest.fixture
def world(enterprise):
    owner = enterprise
    with tenant_context(owner.tenant):
        group = config.tag_group_create(
            actor=owner, name="意向", color="red", multiple=False, tags=["高", "低"]
        )
        customers = [_customer(owner, f"客户{i}公司", f"1390000{i:04d}") for i in range(3)]
        services.customer_release(actor=owner, customer_id=customers[2].pk, reason="无意向")
    return {"owner": owner, "customers": customers, "group": group}


@pytest.mark.parametrize(
    "path",
    [
        "/customers/",
        "/customers/v/collaborating/",
        "/customers/v/all/",
        "/customers/v/pool/",
        "/customers/v/bin/",
        "/customers/followups/",
        "/customers/settings/",
        "/customers/settings/stages/",
        "/customers/settings/tags/",
        "/customers/settings/general/",
        "/customers/new/",
    ],
)
def test_pages_render(world, path):
    response = mark_sudo(logged_in(world["owner"])).get(path)
    assert response.status_code == 200, response.content[:500]


def test_bulk_bar_actions_open_a_modal_or_ask_to_confirm(world):
    html = logged_in(world["owner"]).get("/customers/").content.decode()
    assert 'data-testid="bulk-bar"' in html and 'data-testid="bulk-count"' in html
    buttons = {
        action: html.split(f'data-testid="bulk-{action}"')[0].rsplit("<button", 1)[1]
        for action in ("tags", "transfer", "release", "delete")
    }
    for action in ("tags", "transfer", "release"):
        assert 'hx-target="#modal-slot"' in buttons[action] and "hx-confirm" not in buttons[action]
    assert "hx-confirm" in buttons["delete"] and "#modal-slot" not in buttons["delete"]


def test_drawer_page_and_pool_masking(world):
    client = logged_in(world["owner"])
    owned, pooled = world["customers"][0], world["customers"][2]
    drawer = client.get(f"/customers/{owned.pk}/drawer/").content.decode()
    assert "13900000000" in drawer and "客户旅程" in drawer
    page = client.get(f"/customers/{pooled.pk}/").content.decode()
    assert "139****0002" in page and "13900000002" not in page and "无意向" in page


def test_list_queries_do_not_grow_with_rows(world):
    owner = world["owner"]
    client = logged_in(owner)
    client.get("/customers/v/all/")
    with CaptureQueriesContext(connection) as few:
        client.get("/customers/v/all/")
    with tenant_context(owner.tenant):
        for i in range(20):
            _customer(owner, f"更多客户{i}", f"1380000{i:04d}")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/customers/v/all/")
    assert response.status_code == 200
    assert len(many) == len(few)


def test_create_modal_refuses_duplicate_with_holder(world):
    response = logged_in(world["owner"]).post(
        "/customers/new/",
        {"name": "客户0 公司(有限公司)", "contacts-0-name": "新人", "contacts-0-mobile": "13711112222"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "客户已存在" in response.content.decode()


def test_bulk_release_and_claim_toast(world):
    owner = world["owner"]
    sales = factories.employee(owner, name="销售小王", role_keys=("sales",))
    client = logged_in(owner)
    first = world["customers"][0]
    response = client.post(
        "/customers/bulk/release/", {"customer_ids": [first.pk], "confirmed": "1"}, HTTP_HX_REQUEST="true"
    )
    assert "已将 1 个客户移入公海" in response.content.decode()
    response = logged_in(sales).post(
        "/customers/bulk/claim/",
        {"customer_ids": [first.pk, world["customers"][2].pk]},
        HTTP_HX_REQUEST="true",
    )
    assert "已领取 2 个客户" in response.content.decode()
    with tenant_context(owner.tenant):
        assert set(Customer.objects.filter(owner=sales).values_list("pk", flat=True)) == {
            first.pk,
            world["customers"][2].pk,
        }


def test_delete_is_not_offered_where_the_enterprise_forbids_it(world):
    owner, customer = world["owner"], world["customers"][0]
    client = logged_in(owner)
    assert 'data-testid="bulk-delete"' in client.get("/customers/").content.decode()
    with tenant_context(owner.tenant):
        config.settings_update(actor=owner, forbid_delete=True)
    assert 'data-testid="bulk-delete"' not in client.get("/customers/").content.decode()
    assert 'data-testid="action-delete"' not in client.get(f"/customers/{customer.pk}/").content.decode()


def test_drawer_shows_the_opportunities_and_contracts_sales_registers(world):
    from tidecrm.sales import services as sales_services

    owner, customer = world["owner"], world["customers"][0]
    with tenant_context(owner.tenant):
        sales_services.opportunity_create(
            actor=owner, customer_id=customer.pk, name="抽屉商机", amount="5000"
        )
        sales_services.contract_create(actor=owner, customer_id=customer.pk, title="抽屉合同", amount="8000")
    client = logged_in(owner)
    for path in (f"/customers/{customer.pk}/drawer/", f"/customers/{customer.pk}/"):
        html = client.get(path).content.decode()
        assert html.count('data-testid="customer-opportunity"') == 1 and "抽屉商机" in html
        assert html.count('data-testid="customer-contract"') == 1 and "抽屉合同" in html


def test_drawer_renders_with_no_section_registered(world, monkeypatch):
    from tidecrm.core import hooks
    from tidecrm.sales import services as sales_services

    owner, customer = world["owner"], world["customers"][0]
    with tenant_context(owner.tenant):
        sales_services.opportunity_create(
            actor=owner, customer_id=customer.pk, name="抽屉商机", amount="5000"
        )
    monkeypatch.setitem(hooks._ENTRIES, hooks.DETAIL_SECTIONS, {})
    response = logged_in(owner).get(f"/customers/{customer.pk}/drawer/")
    html = response.content.decode()
    assert response.status_code == 200 and "客户旅程" in html
    assert "opportunities" not in response.context and "contracts" not in response.context
    assert 'data-testid="customer-opportunity"' not in html
