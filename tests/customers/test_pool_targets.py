"""定向公海 (POOL-05): a pool customer sent to departments is seen and claimed only by their
members (sub-departments included) and by pool managers; the targets go when it leaves the pool."""

import pytest

from tests import factories
from tests.org.test_import_views import logged_in
from tidecrm.core.errors import NotFound, PermissionDenied, ValidationFailed
from tidecrm.core.models import TimelineEvent
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import config, selectors, services
from tidecrm.customers.access import access_customer
from tidecrm.customers.models import Customer, PoolTarget
from tidecrm.org import services as org_services


@pytest.fixture
def org(enterprise):
    admin = enterprise
    with tenant_context(admin.tenant):
        config.default_library(), config.stages()
        east = org_services.department_create(actor=admin, name="华东")
        shanghai = org_services.department_create(actor=admin, name="上海组", parent_id=east.pk)
        west = org_services.department_create(actor=admin, name="华西")
    people = {
        "admin": admin,
        "manager": factories.employee(  # sales_manager holds customer.assign: a pool manager
            admin, name="经理", role_keys=("sales_manager",), departments=[west], main_department=west
        ),
        "east_rep": factories.employee(admin, name="华东甲", departments=[east], main_department=east),
        "sh_rep": factories.employee(admin, name="上海乙", departments=[shanghai], main_department=shanghai),
        "west_rep": factories.employee(admin, name="华西丙", departments=[west], main_department=west),
        "east": east,
        "shanghai": shanghai,
        "west": west,
    }
    with tenant_context(admin.tenant):
        yield people


def pooled(actor, name, mobile):
    return services.customer_create(
        actor=actor, name=name, contacts=[{"name": "联系人", "mobile": mobile}], to_pool=True
    )


def pool_names(actor):
    return sorted(c.name for c in selectors.customer_list(actor=actor, view="pool"))


def test_targeted_customers_are_seen_by_the_departments_and_below(org):
    admin, manager = org["admin"], org["manager"]
    targeted = pooled(admin, "定向公司", "13911110001")
    pooled(admin, "普通公司", "13911110002")
    result = services.customers_pool_target(actor=manager, ids=[targeted.pk], department_ids=[org["east"].pk])
    assert result == {"succeeded": [targeted.pk], "failed": []}

    assert pool_names(org["east_rep"]) == ["定向公司", "普通公司"]
    assert pool_names(org["sh_rep"]) == ["定向公司", "普通公司"]  # a sub-department of 华东
    assert pool_names(org["west_rep"]) == ["普通公司"]
    assert pool_names(manager) == ["定向公司", "普通公司"]  # pool managers see every pool customer
    with pytest.raises(NotFound):
        access_customer(org["west_rep"], targeted.pk)
    with pytest.raises(NotFound):
        services.customer_claim(actor=org["west_rep"], customer_id=targeted.pk)
    assert Customer.objects.get(pk=targeted.pk).state == "pool"

    detail = selectors.decorate([access_customer(org["sh_rep"], targeted.pk)], admin)[0]
    assert [d.name for d in detail.target_departments] == ["华东"]
    event = TimelineEvent.objects.get(verb="customer.pool_targeted", object_id=targeted.pk)
    assert event.data == {"departments": "华东"}


def test_claiming_clears_the_targets_and_a_release_starts_afresh(org):
    customer = pooled(org["admin"], "定向公司", "13911110001")
    services.customers_pool_target(
        actor=org["manager"], ids=[customer.pk], department_ids=[org["shanghai"].pk, org["west"].pk]
    )
    services.customer_claim(actor=org["sh_rep"], customer_id=customer.pk)
    customer.refresh_from_db()
    assert (customer.state, customer.targeted) == ("owned", False)
    assert not PoolTarget.objects.filter(customer=customer).exists()
    services.customer_release(actor=org["sh_rep"], customer_id=customer.pk)
    assert "定向公司" in pool_names(org["east_rep"])  # back in the whole library's pool


def test_assign_and_delete_clear_the_targets_too(org):
    first, second = (
        pooled(org["admin"], "甲公司", "13911110001"),
        pooled(org["admin"], "乙公司", "13911110002"),
    )
    services.customers_pool_target(
        actor=org["manager"], ids=[first.pk, second.pk], department_ids=[org["east"].pk]
    )
    services.customer_assign(actor=org["manager"], customer_id=first.pk, employee=org["west_rep"])
    services.customer_delete(actor=org["admin"], customer_id=second.pk)
    assert not PoolTarget.objects.exists()
    assert not Customer.objects.filter(targeted=True).exists()


def test_only_pool_managers_target_and_only_pool_customers(org):
    admin, manager = org["admin"], org["manager"]
    pool_customer = pooled(admin, "公海公司", "13911110001")
    owned = services.customer_create(
        actor=admin, name="自有公司", contacts=[{"name": "甲", "mobile": "13911110002"}]
    )
    with pytest.raises(PermissionDenied):
        services.customers_pool_target(actor=org["east_rep"], ids=[pool_customer.pk], department_ids=[])
    with pytest.raises(ValidationFailed):
        services.customers_pool_target(actor=manager, ids=[pool_customer.pk], department_ids=[10**9])
    result = services.customers_pool_target(
        actor=admin, ids=[pool_customer.pk, owned.pk], department_ids=[org["east"].pk]
    )
    assert result["succeeded"] == [pool_customer.pk]
    assert [f["code"] for f in result["failed"]] == ["invalid_transition"]
    assert not Customer.objects.get(pk=owned.pk).targeted
    # No departments: the whole library again.
    services.customers_pool_target(actor=admin, ids=[pool_customer.pk], department_ids=[])
    assert pool_names(org["west_rep"]) == ["公海公司"]
    assert TimelineEvent.objects.filter(verb="customer.pool_targeted").count() == 2


def test_the_api_targets_and_shows_the_departments(org, api):
    customer = pooled(org["admin"], "定向公司", "13911110001")
    client = api(org["manager"])
    response = client.post(
        "/customers/pool-target", {"ids": [customer.pk], "department_ids": [org["east"].pk]}
    )
    assert response.status_code == 200 and response.json()["succeeded"] == [customer.pk]
    item = client.get("/customers", {"state": "pool"}).json()["items"][0]
    assert item["target_department_ids"] == [org["east"].pk]
    assert api(org["west_rep"]).get("/customers", {"state": "pool"}).json()["items"] == []
    assert api(org["west_rep"]).get(f"/customers/{customer.pk}").status_code == 404
    assert api(org["east_rep"]).post("/customers/pool-target", {"ids": [customer.pk]}).status_code == 403


def test_the_pool_page_offers_targeting_and_shows_it(org):
    customer = pooled(org["admin"], "定向公司", "13911110001")
    client = logged_in(org["manager"])
    modal = client.post("/customers/bulk/target/", {"customer_ids": [customer.pk]}, HTTP_HX_REQUEST="true")
    assert (
        modal.status_code == 200 and "华东" in modal.content.decode() and "上海组" in modal.content.decode()
    )
    done = client.post(
        "/customers/bulk/target/",
        {"customer_ids": [customer.pk], "confirmed": "1", "department_ids": [org["east"].pk]},
        HTTP_HX_REQUEST="true",
    )
    assert (
        done.status_code == 200
        and "已设置 1 个客户的定向部门" in done.headers.get("HX-Trigger", "") + done.content.decode()
    )
    page = client.get("/customers/v/pool/").content.decode()
    assert "定向部门" in page and "华东" in page


def test_deleting_a_target_department_opens_the_customer_to_its_library(org):
    admin = org["admin"]
    customer = pooled(admin, "定向公司", "13911110001")
    lonely = org_services.department_create(actor=admin, name="临时组")
    services.customers_pool_target(actor=admin, ids=[customer.pk], department_ids=[lonely.pk])
    assert pool_names(org["west_rep"]) == []
    org_services.department_delete(actor=admin, department=lonely)
    customer.refresh_from_db()
    assert customer.targeted is False
    assert pool_names(org["west_rep"]) == ["定向公司"]
