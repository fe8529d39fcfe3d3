"""Who sees which customer (ROLE scopes, CUST-03, CUST-17, POOL-05), masking (GEN-03, CUST-15)
and the recycle bin (CUST-22)."""

import pytest

from tests import factories
from tidecrm.core.errors import BusinessError, NotFound, PermissionDenied
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import config, selectors, services
from tidecrm.customers.access import access_customer, access_level
from tidecrm.org import services as org_services


@pytest.fixture
def org(enterprise):
    admin = enterprise
    with tenant_context(admin.tenant):
        config.default_library(), config.stages()
        east = org_services.department_create(actor=admin, name="华东")
        west = org_services.department_create(actor=admin, name="华西")
    people = {
        "admin": admin,
        "manager": factories.employee(
            admin, name="华东经理", role_keys=("sales_manager",), departments=[east], main_department=east
        ),
        "rep": factories.employee(admin, name="华东甲", departments=[east], main_department=east),
        "rep2": factories.employee(admin, name="华东乙", departments=[east], main_department=east),
        "outsider": factories.employee(admin, name="华西丙", departments=[west], main_department=west),
        "east": east,
        "west": west,
    }
    with tenant_context(admin.tenant):
        yield people


def create(actor, name, mobile, **values):
    return services.customer_create(
        actor=actor, name=name, contacts=[{"name": f"{name}联系人", "mobile": mobile}], **values
    )


def names(actor, view, **filters):
    return sorted(c.name for c in selectors.customer_list(actor=actor, view=view, **filters))


def test_scopes_self_collaborations_department_company(org):
    rep, rep2, manager, outsider, admin = (org[k] for k in ("rep", "rep2", "manager", "outsider", "admin"))
    own = create(rep, "甲公司", "13911110001")
    theirs = create(rep2, "乙公司", "13911110002")
    far = create(outsider, "丙公司", "13911110003")
    services.collaborator_set(actor=rep2, customer_id=theirs.pk, employee_id=rep.pk)
    assert names(rep, "mine") == ["甲公司"]
    assert names(rep, "collaborating") == ["乙公司"]
    assert names(rep, "all") == ["乙公司", "甲公司"]
    assert names(rep2, "all") == ["乙公司"]
    assert names(manager, "all") == ["乙公司", "甲公司"]  # department scope: 华东 only
    assert names(manager, "team") == ["乙公司", "甲公司"]
    assert names(admin, "all") == ["丙公司", "乙公司", "甲公司"]
    for actor, customer in ((rep2, own), (rep, far), (manager, far)):
        with pytest.raises(NotFound):
            access_customer(actor, customer.pk)
    assert access_customer(rep, theirs.pk) == theirs
    assert access_level(rep, theirs) == "read"
    assert access_level(manager, own) == "manage"


def test_a_collaboration_outside_the_scope_shows_that_customer_only(org):
    """owned_condition asks for owner IN (scope + the collaborations' owners) and then checks the
    exact rule: the collaborator's other customers stay hidden."""
    rep, manager, outsider = org["rep"], org["manager"], org["outsider"]
    shared = create(outsider, "丙公司", "13911110003")
    create(outsider, "丁公司", "13911110004")
    create(org["rep2"], "乙公司", "13911110002")
    services.collaborator_set(actor=outsider, customer_id=shared.pk, employee_id=rep.pk)
    services.collaborator_set(actor=outsider, customer_id=shared.pk, employee_id=manager.pk)
    assert names(rep, "all") == ["丙公司"]
    assert names(rep, "team") == ["丙公司"]
    assert names(manager, "all") == ["丙公司", "乙公司"]
    assert names(manager, "team") == ["丙公司", "乙公司"]
    assert selectors.customer_list(actor=manager, view="all").count() == 2
    with pytest.raises(NotFound):
        access_customer(rep, selectors.Customer.objects.get(name="丁公司").pk)


def test_pool_visibility_follows_the_library(org):
    admin, rep, outsider, manager = org["admin"], org["rep"], org["outsider"], org["manager"]
    other = config.library_create(actor=admin, name="华西库", department_ids=[org["west"].pk])
    default = config.default_library()
    pooled = create(admin, "公海公司", "13911110001", to_pool=True)
    theirs = create(admin, "华西公海公司", "13911110002", to_pool=True, library=other)
    assert pooled.library_id == default.pk and theirs.library_id == other.pk
    assert names(rep, "pool") == ["公海公司"]
    assert names(outsider, "pool") == ["华西公海公司"]
    assert names(outsider, "pool", library_id=default.pk) == []
    assert names(rep, "pool", library_id=other.pk) == []
    for func, kwargs in (
        (lambda actor, customer_id: access_customer(actor, customer_id), {}),
        (services.customer_claim, {}),
    ):
        with pytest.raises(NotFound):
            func(actor=outsider, customer_id=pooled.pk, **kwargs)
    assert pooled.state == "pool"
    # customer.assign holders (the sales manager) see and use every pool.
    assert names(manager, "pool", library_id=other.pk) == ["华西公海公司"]
    assert access_customer(manager, theirs.pk) == theirs
    services.customer_claim(actor=rep, customer_id=pooled.pk)
    services.customer_claim(actor=outsider, customer_id=theirs.pk)


def test_masking_in_the_api(org, api):
    rep, rep2, admin = org["rep"], org["rep2"], org["admin"]
    customer = services.customer_create(
        actor=rep,
        name="甲公司",
        contacts=[{"name": "张三", "mobile": "15612342345", "qq": "123456789", "email": "zhang@example.com"}],
    )
    mine = api(rep)
    detail = mine.get(f"/customers/{customer.pk}").json()
    assert (detail["masked"], detail["primary_contact"]["mobile"]) == (False, "15612342345")
    contact = mine.get(f"/customers/{customer.pk}/contacts").json()[0]
    assert (contact["mobile"], contact["qq"], contact["email"]) == (
        "15612342345",
        "123456789",
        "zhang@example.com",
    )
    services.customer_release(actor=rep, customer_id=customer.pk)
    colleague = api(rep2)
    item = colleague.get("/customers", {"state": "pool"}).json()["items"][0]
    assert (item["masked"], item["primary_contact"]["mobile"]) == (True, "156****2345")
    assert colleague.get(f"/customers/{customer.pk}").json()["primary_contact"]["mobile"] == "156****2345"
    contact = colleague.get(f"/customers/{customer.pk}/contacts").json()[0]
    assert (contact["masked"], contact["mobile"], contact["qq"], contact["email"]) == (
        True,
        "156****2345",
        "12****89",
        "z***@example.com",
    )
    # The pool is masked even for whoever released it, and for the super admin.
    assert mine.get(f"/customers/{customer.pk}").json()["masked"] is True
    assert api(admin).get(f"/customers/{customer.pk}/contacts").json()[0]["mobile"] == "156****2345"
    assert colleague.post("/customers/claim", {"ids": [customer.pk]}).json()["succeeded"] == [customer.pk]
    assert colleague.get(f"/customers/{customer.pk}/contacts").json()[0]["mobile"] == "15612342345"
    # CUST-15: an employee under data protection sees even their own customers masked.
    config.settings_update(actor=admin, masked_employee_ids=[rep2.pk])
    item = colleague.get("/customers").json()["items"][0]
    assert (item["masked"], item["primary_contact"]["mobile"]) == (True, "156****2345")
    assert colleague.get(f"/customers/{customer.pk}/contacts").json()[0]["mobile"] == "156****2345"
    assert api(admin).get(f"/customers/{customer.pk}/contacts").json()[0]["mobile"] == "15612342345"


def test_recycle_bin_needs_customer_delete(org, api):
    rep, manager, admin = org["rep"], org["manager"], org["admin"]
    customer = create(rep, "甲公司", "13911110001")
    far = create(org["outsider"], "丙公司", "13911110003")
    services.customer_delete(actor=manager, customer_id=customer.pk)
    services.customer_delete(actor=admin, customer_id=far.pk)
    with pytest.raises(PermissionDenied):
        selectors.customer_list(actor=rep, view="bin")
    response = api(rep).get("/customers", {"state": "deleted"})
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert api(rep).get(f"/customers/{customer.pk}").status_code == 404
    assert names(rep, "all") == []
    assert names(manager, "bin") == ["甲公司"]  # within the manager's scope only
    assert names(admin, "bin") == ["丙公司", "甲公司"]
    assert api(manager).get(f"/customers/{customer.pk}").json()["state"] == "deleted"
    with pytest.raises(BusinessError) as caught:
        services.customer_restore(actor=manager, customer_id=far.pk)
    assert caught.value.code == "not_found"
