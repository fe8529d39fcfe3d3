"""Customer rules (SPEC CUST-*, POOL-02/03/12/13, HOLD-02..06, FUP-01..04): every refusal code
with its status, and that a refused action leaves nothing half-done."""

import itertools
from datetime import timedelta

import pytest

from tests import factories
from tidecrm.core import clock, hooks
from tidecrm.core.errors import BusinessError, ValidationFailed
from tidecrm.core.models import TimelineEvent
from tidecrm.customers import config, selectors, services
from tidecrm.customers.access import access_customer
from tidecrm.customers.models import (
    Collaborator,
    Contact,
    Customer,
    CustomerFlow,
    CustomerTag,
    Followup,
    Library,
    LibraryDepartment,
    Stage,
    Tag,
)
from tidecrm.org import services as org_services
from tidecrm.rules import holding

State = Customer.State
SNAPSHOT_MODELS = (
    Customer,
    Contact,
    CustomerFlow,
    CustomerTag,
    Collaborator,
    Followup,
    Library,
    LibraryDepartment,
    Stage,
    Tag,
)
_mobiles = itertools.count(13800000000)


def snapshot():
    rows = {model.__name__: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS}
    rows["timeline"] = TimelineEvent.objects.count()
    return rows


def refused(code, func, status=409, **kwargs):
    """Call ``func`` expecting the refusal ``code`` with ``status``; nothing may have changed."""
    before = snapshot()
    with pytest.raises(BusinessError) as caught:
        func(**kwargs)
    assert (caught.value.code, caught.value.status) == (code, status), caught.value
    assert snapshot() == before, f"{func.__name__} refused with {code} but left changes behind"
    return caught.value


@pytest.fixture
def people(bound):
    admin = bound
    config.default_library(), config.stages(), config.customer_settings()  # first-use defaults
    return {
        "admin": admin,
        "rep": factories.employee(admin, name="销售甲", role_keys=("sales",)),
        "rep2": factories.employee(admin, name="销售乙", role_keys=("sales",)),
    }


def new_customer(actor, name, *, contact="张三", mobile=None, **values):
    contacts = [{"name": contact, "mobile": mobile or str(next(_mobiles))}]
    return services.customer_create(actor=actor, name=name, contacts=contacts, **values)


def pooled(admin, name):
    return new_customer(admin, name, to_pool=True)


def reload(customer):
    customer.refresh_from_db()
    return customer.state, customer.owner_id


def set_rule(admin, fields, match="any", library=None):
    library = library or config.default_library()
    config.library_update(actor=admin, library_id=library.pk, duplicate_fields=fields, duplicate_match=match)


def set_limit(admin, limit, rules=()):
    holding.settings_put(actor=admin, data={"customer": {"default_limit": limit, "rules": list(rules)}})


def library_with(admin, name, *employees):
    """A new library with one department holding ``employees``."""
    department = org_services.department_create(actor=admin, name=f"{name}部")
    for employee in employees:
        org_services.employee_update(actor=admin, employee=employee, department_ids=[department.pk])
        employee.refresh_from_db()
    return config.library_create(actor=admin, name=name, department_ids=[department.pk])


# ---------------------------------------------------------------- duplicates (CUST-14, BEYOND-02)


@pytest.mark.parametrize(
    "first, second",
    [
        ("康师傅食品有限公司", "康师傅食品"),
        ("康师傅食品", "康师傅 食品(有限公司)"),
        ("康师傅 食品(有限公司)", "康师傅食品有限公司"),
    ],
)
def test_duplicate_names_are_normalised_and_name_the_holder(people, first, second):
    original = new_customer(people["rep"], first)
    error = refused("duplicate_customer", new_customer, actor=people["rep2"], name=second)
    assert error.details == {"owner": "销售甲", "field": "customer_name", "customer_id": original.pk}
    assert "销售甲" in error.message


def test_a_pool_duplicate_is_named_as_the_pool(people):
    customer = new_customer(people["rep"], "甲公司")
    services.customer_release(actor=people["rep"], customer_id=customer.pk)
    error = refused("duplicate_customer", new_customer, actor=people["rep2"], name="甲公司")
    assert error.details["owner"] == "公海" and error.details["customer_id"] is None


def test_contact_name_key(people):
    admin, rep, rep2 = people["admin"], people["rep"], people["rep2"]
    new_customer(rep, "甲公司", contact="张 三")
    new_customer(rep2, "乙公司", contact="张三")  # the default rule looks at the customer name only
    set_rule(admin, ["contact_name"])
    error = refused("duplicate_customer", new_customer, actor=rep2, name="丙公司", contact="张三")
    assert error.details["field"] == "contact_name"
    assert new_customer(rep2, "甲公司", contact="李四").name == "甲公司"  # the name no longer counts


def test_contact_mobile_has_one_holder_whatever_the_rule(people):
    admin, rep, rep2 = people["admin"], people["rep"], people["rep2"]
    new_customer(rep, "甲公司", mobile="13911112222")
    error = refused("duplicate_customer", new_customer, actor=rep2, name="乙公司", mobile="+86 139-1111-2222")
    assert error.details["field"] == "contact_mobile" and error.details["owner"] == "销售甲"
    other = new_customer(rep2, "乙公司")
    refused(
        "duplicate_customer",
        services.contact_add,
        actor=rep2,
        customer_id=other.pk,
        name="王五",
        mobile="13911112222",
    )
    contact = Contact.objects.get(customer=other)
    refused(
        "duplicate_customer", services.contact_update, actor=rep2, contact_id=contact.pk, mobile="13911112222"
    )
    set_rule(admin, ["contact_mobile"])
    refused("duplicate_customer", new_customer, actor=rep2, name="丙公司", mobile="13911112222")
    # "all" mode with the mobile as one of its keys still keeps one phone, one holder.
    set_rule(admin, ["customer_name", "contact_mobile"], "all")
    refused("duplicate_customer", new_customer, actor=rep2, name="丁公司", mobile="13911112222")
    refused(
        "duplicate_customer",
        services.contact_add,
        actor=rep2,
        customer_id=other.pk,
        name="王五",
        mobile="13911112222",
    )


def test_match_any_versus_all(people):
    admin, rep, rep2 = people["admin"], people["rep"], people["rep2"]
    set_rule(admin, ["customer_name", "contact_name"], "any")
    new_customer(rep, "甲公司", contact="张三")
    assert (
        refused("duplicate_customer", new_customer, actor=rep2, name="甲公司", contact="李四").details[
            "field"
        ]
        == "customer_name"
    )
    assert (
        refused("duplicate_customer", new_customer, actor=rep2, name="乙公司", contact="张三").details[
            "field"
        ]
        == "contact_name"
    )
    set_rule(admin, ["customer_name", "contact_name"], "all")
    new_customer(rep2, "甲公司", contact="李四")
    new_customer(rep2, "乙公司", contact="张三")
    error = refused("duplicate_customer", new_customer, actor=rep2, name="甲公司有限公司", contact="张三")
    assert error.details["field"] == "customer_name+contact_name"


def test_match_all_applies_when_renaming(people):
    admin, rep = people["admin"], people["rep"]
    set_rule(admin, ["customer_name", "contact_name"], "all")
    new_customer(rep, "甲公司", contact="张三")
    other = new_customer(rep, "乙公司", contact="张三")
    refused("duplicate_customer", services.customer_update, actor=rep, customer_id=other.pk, name="甲公司")
    services.customer_update(actor=rep, customer_id=other.pk, name="丙公司")  # no twin: allowed


def test_renaming_into_a_duplicate_is_refused(people):
    new_customer(people["rep"], "甲公司")
    other = new_customer(people["rep2"], "乙公司")
    refused(
        "duplicate_customer",
        services.customer_update,
        actor=people["rep2"],
        customer_id=other.pk,
        name="甲公司（有限公司）",
    )


def test_cross_library_duplicates_allowed_or_forbidden(people):
    admin, rep, rep2 = people["admin"], people["rep"], people["rep2"]
    other_library = library_with(admin, "乙库", rep2)
    new_customer(rep, "甲公司", mobile="13911112222")
    assert config.customer_settings().cross_library_duplicates is False  # forbidden by default
    refused("duplicate_customer", new_customer, actor=rep2, name="甲公司")
    refused("duplicate_customer", new_customer, actor=rep2, name="乙公司", mobile="13911112222")
    config.settings_update(actor=admin, cross_library_duplicates=True)
    twin = new_customer(rep2, "甲公司", mobile="13911112222")
    assert twin.library_id == other_library.pk
    refused("duplicate_customer", new_customer, actor=rep, name="甲公司")  # within a library: never


def test_deleted_customers_free_their_name_and_a_twin_blocks_the_restore(people):
    admin, rep, rep2 = people["admin"], people["rep"], people["rep2"]
    original = new_customer(rep, "甲公司")
    services.customer_delete(actor=admin, customer_id=original.pk)
    twin = new_customer(rep2, "甲公司")  # the recycle bin does not hold the name
    error = refused("duplicate_customer", services.customer_restore, actor=admin, customer_id=original.pk)
    assert error.details["owner"] == "销售乙"
    assert reload(original) == (State.DELETED, None)
    services.customer_delete(actor=admin, customer_id=twin.pk)
    services.customer_restore(actor=admin, customer_id=original.pk)
    assert reload(original) == (State.OWNED, rep.pk)


# ---------------------------------------------------------------- holding limits (HOLD-02..06)


def test_holding_limit_on_create_claim_assign_transfer(people):
    admin, rep, rep2 = people["admin"], people["rep"], people["rep2"]
    set_limit(admin, 1)
    new_customer(rep, "已有公司")
    error = refused("holding_limit_reached", new_customer, actor=rep, name="新公司")
    assert error.details == {"employee_id": rep.pk, "held": 1, "limit": 1}
    pool_customer = pooled(admin, "公海公司")
    refused("holding_limit_reached", services.customer_claim, actor=rep, customer_id=pool_customer.pk)
    refused(
        "holding_limit_reached",
        services.customer_assign,
        actor=admin,
        customer_id=pool_customer.pk,
        employee=rep,
    )
    theirs = new_customer(rep2, "乙的公司")
    refused(
        "holding_limit_reached", services.customer_transfer, actor=admin, customer_id=theirs.pk, employee=rep
    )
    assert holding.usage(rep, "customer") == (1, 1)


def test_bulk_assign_stops_at_the_limit_per_record(people):
    admin, rep = people["admin"], people["rep"]
    set_limit(admin, 2)
    customers = [pooled(admin, f"公海{i}公司") for i in range(3)]
    result = services.customers_assign(actor=admin, ids=[c.pk for c in customers], employee_id=rep.pk)
    assert result["succeeded"] == [customers[0].pk, customers[1].pk]
    assert [(f["id"], f["code"]) for f in result["failed"]] == [(customers[2].pk, "holding_limit_reached")]
    assert "已拥有 2 / 上限 2" in result["failed"][0]["message"]
    assert reload(customers[2]) == (State.POOL, None)
    assert not CustomerFlow.objects.filter(customer=customers[2], kind="assign").exists()


def test_restore_falls_back_to_the_pool_at_the_limit(people):
    admin, rep = people["admin"], people["rep"]
    set_limit(admin, 1)
    customer = new_customer(rep, "甲公司")
    services.customer_delete(actor=admin, customer_id=customer.pk)
    new_customer(rep, "乙公司")  # the deleted one no longer counts
    services.customer_restore(actor=admin, customer_id=customer.pk)
    assert reload(customer) == (State.POOL, None)
    flow = CustomerFlow.objects.filter(customer=customer).latest("id")
    assert (flow.kind, flow.to_owner_id) == ("restore", None)


def test_terminal_stage_and_won_customers_do_not_count(people, monkeypatch):
    admin, rep = people["admin"], people["rep"]
    set_limit(admin, 1)
    terminal = Stage.objects.get(is_terminal=True)
    signed = new_customer(rep, "甲公司")
    services.customer_update(actor=rep, customer_id=signed.pk, stage_id=terminal.pk)
    won = new_customer(rep, "乙公司")
    # refresh_deal_status asks the deal sources registered at core.hooks.
    monkeypatch.setitem(hooks._ENTRIES, hooks.DEAL_SOURCES, [lambda ids: {won.pk: ["won", "open"]}])
    services.refresh_deal_status([won.pk])
    won.refresh_from_db()
    assert (won.has_won, won.deal_status) == (True, "open")
    counted = new_customer(rep, "丙公司")
    assert holding.usage(rep, "customer") == (1, 1)
    refused("holding_limit_reached", new_customer, actor=rep, name="丁公司")
    # A customer created straight at the terminal stage does not count either.
    new_customer(rep, "戊公司", stage_id=terminal.pk)
    assert holding.usage(rep, "customer") == (1, 1)
    services.customer_release(actor=rep, customer_id=counted.pk)
    new_customer(rep, "己公司")


def test_grandfathering_keeps_what_is_held(people):
    admin, rep = people["admin"], people["rep"]
    held = [new_customer(rep, f"{i}号公司") for i in range(3)]
    set_limit(admin, 2)
    services.customer_update(actor=rep, customer_id=held[0].pk, remark="仍可编辑")
    services.customer_followup_add(actor=rep, customer_id=held[0].pk, content="仍可跟进")
    pool_customer = pooled(admin, "公海公司")
    refused("holding_limit_reached", services.customer_claim, actor=rep, customer_id=pool_customer.pk)
    assert holding.usage(rep, "customer") == (3, 2)
    services.customer_release(actor=rep, customer_id=held[0].pk)
    refused("holding_limit_reached", services.customer_claim, actor=rep, customer_id=pool_customer.pk)
    services.customer_release(actor=rep, customer_id=held[1].pk)
    services.customer_claim(actor=rep, customer_id=pool_customer.pk)
    assert holding.usage(rep, "customer") == (2, 2)


# ---------------------------------------------------------------- contacts (CUST-07)


def test_at_most_ten_contacts(people):
    rep = people["rep"]
    too_many = [{"name": f"联系人{i}", "mobile": str(next(_mobiles))} for i in range(11)]
    refused("contact_limit_reached", services.customer_create, actor=rep, name="甲公司", contacts=too_many)
    customer = services.customer_create(actor=rep, name="甲公司", contacts=too_many[:10])
    assert Contact.objects.filter(customer=customer).count() == 10
    refused(
        "contact_limit_reached",
        services.contact_add,
        actor=rep,
        customer_id=customer.pk,
        name="第十一人",
        mobile=str(next(_mobiles)),
    )


def test_primary_and_last_contact(people):
    rep = people["rep"]
    customer = services.customer_create(
        actor=rep,
        name="甲公司",
        contacts=[{"name": "张三", "mobile": "13911110001"}, {"name": "李四", "mobile": "13911110002"}],
    )
    primary = Contact.objects.get(customer=customer, is_primary=True)
    other = Contact.objects.get(customer=customer, is_primary=False)
    assert primary.name == "张三"
    refused("primary_contact_required", services.contact_delete, actor=rep, contact_id=primary.pk)
    services.contact_delete(actor=rep, contact_id=primary.pk, new_primary_id=other.pk)
    other.refresh_from_db()
    assert other.is_primary
    refused("last_contact", services.contact_delete, actor=rep, contact_id=other.pk)
    added = services.contact_add(
        actor=rep, customer_id=customer.pk, name="王五", mobile="13911110003", is_primary=True
    )
    assert list(Contact.objects.filter(customer=customer, is_primary=True)) == [added]


def test_a_contact_needs_a_name_and_a_valid_mobile(people):
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.customer_create(actor=people["rep"], name="", contacts=[{"name": "张三", "mobile": "123"}])
    assert caught.value.status == 422
    assert set(caught.value.fields) == {"name", "contact_mobile"}
    assert snapshot() == before


# ---------------------------------------------------------------- collaborators (CUST-17)


def test_collaborators(people):
    admin, rep, rep2 = people["admin"], people["rep"], people["rep2"]
    customer = new_customer(rep, "甲公司")
    refused(
        "collaborator_is_owner",
        services.collaborator_set,
        actor=rep,
        customer_id=customer.pk,
        employee_id=rep.pk,
    )
    services.collaborator_set(actor=rep, customer_id=customer.pk, employee_id=rep2.pk, access="read")
    assert access_customer(rep2, customer.pk) == customer  # may view
    services.customer_followup_add(actor=rep2, customer_id=customer.pk, content="协助跟进")  # may follow up
    refused(
        "permission_denied", services.customer_update, 403, actor=rep2, customer_id=customer.pk, remark="改"
    )
    refused("not_found", services.customer_release, 404, actor=rep2, customer_id=customer.pk)
    refused(
        "permission_denied",
        services.customer_transfer,
        403,
        actor=rep2,
        customer_id=customer.pk,
        employee=rep2,
    )
    refused(
        "not_found",
        services.collaborator_set,
        404,
        actor=rep2,
        customer_id=customer.pk,
        employee_id=admin.pk,
    )
    # A manager who collaborates but whose scope does not cover the owner may not move it either.
    manager = factories.employee(admin, name="别部经理", role_keys=("sales_manager",))
    services.collaborator_set(actor=rep, customer_id=customer.pk, employee_id=manager.pk, access="write")
    refused(
        "not_found", services.customer_transfer, 404, actor=manager, customer_id=customer.pk, employee=rep2
    )
    services.customer_update(actor=manager, customer_id=customer.pk, remark="可编辑协作人")
    services.collaborator_set(actor=rep, customer_id=customer.pk, employee_id=rep2.pk, access="write")
    services.customer_update(actor=rep2, customer_id=customer.pk, remark="升为可编辑")
    # Collaborators do not count toward the holding limit.
    assert holding.usage(rep2, "customer")[0] == 0
    # Becoming the owner ends the collaboration.
    services.customer_transfer(actor=admin, customer_id=customer.pk, employee=rep2)
    assert not Collaborator.objects.filter(customer=customer, employee=rep2).exists()


def test_release_keeps_the_previous_owner(people):
    rep = people["rep"]
    customer = new_customer(rep, "甲公司")
    services.customer_release(actor=rep, customer_id=customer.pk, reason="无意向")
    customer.refresh_from_db()
    assert (customer.state, customer.owner_id, customer.previous_owner_id) == (State.POOL, None, rep.pk)
    assert (customer.release_reason, customer.released_at is not None) == ("无意向", True)


# ---------------------------------------------------------------- ownership moves


def test_invalid_transitions(people):
    admin, rep, rep2 = people["admin"], people["rep"], people["rep2"]
    pool_customer = pooled(admin, "公海公司")
    deleted = new_customer(rep, "已删公司")
    services.customer_delete(actor=admin, customer_id=deleted.pk)
    owned = new_customer(rep, "在跟公司")
    moves = [
        (services.customer_release, pool_customer, {}),
        (services.customer_release, deleted, {}),
        (services.customer_transfer, pool_customer, {"employee": rep2}),
        (services.customer_transfer, deleted, {"employee": rep2}),
        (services.customer_assign, owned, {"employee": rep2}),
        (services.customer_delete, deleted, {}),
        (services.customer_restore, owned, {}),
        (services.customer_restore, pool_customer, {}),
        (services.customer_inherit, pool_customer, {"employee": rep2}),
        (services.customer_update, pool_customer, {"remark": "改"}),
        (services.customer_set_tags, pool_customer, {"tag_ids": []}),
        (services.customer_followup_add, pool_customer, {"content": "跟进"}),
        (services.collaborator_set, pool_customer, {"employee_id": rep2.pk}),
        (services.contact_add, pool_customer, {"name": "王五", "mobile": "13911119999"}),
    ]
    for func, customer, extra in moves:
        refused("invalid_transition", func, actor=admin, customer_id=customer.pk, **extra)
    refused("already_claimed", services.customer_claim, actor=rep2, customer_id=owned.pk)
    refused("not_found", services.customer_claim, 404, actor=rep2, customer_id=deleted.pk)
    refused("not_found", services.customer_assign, 404, actor=admin, customer_id=deleted.pk, employee=rep2)
    assert (reload(pool_customer), reload(owned), reload(deleted)) == (
        (State.POOL, None),
        (State.OWNED, rep.pk),
        (State.DELETED, None),
    )


def test_reclaim_cooldown(people):
    admin, rep, rep2 = people["admin"], people["rep"], people["rep2"]
    config.library_update(actor=admin, library_id=config.default_library().pk, reclaim_cooldown_days=3)
    customer = new_customer(rep, "甲公司")
    services.customer_release(actor=rep, customer_id=customer.pk)
    error = refused("reclaim_cooldown", services.customer_claim, actor=rep, customer_id=customer.pk)
    assert "3天内" in error.message
    with clock.shifted(timedelta(days=2)):
        refused("reclaim_cooldown", services.customer_claim, actor=rep, customer_id=customer.pk)
    services.customer_assign(actor=admin, customer_id=customer.pk, employee=rep)  # assign is not limited
    services.customer_release(actor=rep, customer_id=customer.pk)
    services.customer_claim(actor=rep2, customer_id=customer.pk)  # other people are unaffected
    services.customer_release(actor=rep2, customer_id=customer.pk)
    with clock.shifted(timedelta(days=4)):
        services.customer_claim(actor=rep, customer_id=customer.pk)
    assert reload(customer) == (State.OWNED, rep.pk)


def test_daily_claim_limit_counts_only_claims(people):
    admin, rep, rep2 = people["admin"], people["rep"], people["rep2"]
    config.library_update(actor=admin, library_id=config.default_library().pk, daily_claim_limit=1)
    services.customer_assign(actor=admin, customer_id=pooled(admin, "分配公司").pk, employee=rep)
    services.customer_transfer(actor=admin, customer_id=new_customer(rep2, "转移公司").pk, employee=rep)
    new_customer(rep, "自建公司")
    first, second = pooled(admin, "一号公司"), pooled(admin, "二号公司")
    services.customer_claim(actor=rep, customer_id=first.pk)
    error = refused("daily_claim_limit_reached", services.customer_claim, actor=rep, customer_id=second.pk)
    assert "（1）" in error.message
    services.customer_claim(actor=rep2, customer_id=second.pk)  # per employee
    services.customer_release(actor=rep2, customer_id=second.pk)
    with clock.shifted(timedelta(days=1)):
        services.customer_claim(actor=rep, customer_id=second.pk)


def test_library_mismatch_same_owner_and_deletion_forbidden(people):
    admin, rep, rep2 = people["admin"], people["rep"], people["rep2"]
    library_with(admin, "乙库", rep2)
    customer = new_customer(rep, "甲公司")
    refused(
        "library_mismatch", services.customer_transfer, actor=admin, customer_id=customer.pk, employee=rep2
    )
    refused("same_owner", services.customer_transfer, actor=admin, customer_id=customer.pk, employee=rep)
    pool_customer = pooled(admin, "公海公司")
    assert pool_customer.library_id == config.default_library().pk
    refused(
        "library_mismatch", services.customer_assign, actor=admin, customer_id=pool_customer.pk, employee=rep2
    )
    config.settings_update(actor=admin, forbid_delete=True)
    refused("deletion_forbidden", services.customer_delete, 403, actor=admin, customer_id=customer.pk)
    refused("permission_denied", services.customer_delete, 403, actor=rep, customer_id=customer.pk)


def test_flow_records_for_every_move(people):
    admin, rep, rep2 = people["admin"], people["rep"], people["rep2"]
    customer = new_customer(rep, "甲公司")
    services.customer_transfer(actor=admin, customer_id=customer.pk, employee=rep2, reason="交接")
    services.customer_release(actor=rep2, customer_id=customer.pk, reason="无意向")
    services.customer_claim(actor=rep, customer_id=customer.pk)
    services.customer_release(actor=rep, customer_id=customer.pk)
    services.customer_assign(actor=admin, customer_id=customer.pk, employee=rep2, reason="分给你")
    services.customer_delete(actor=admin, customer_id=customer.pk)
    services.customer_restore(actor=admin, customer_id=customer.pk)
    org_services.employee_resign(actor=admin, employee=rep2)
    services.customer_inherit(actor=admin, customer_id=customer.pk, employee=rep)
    flows = list(
        CustomerFlow.objects.filter(customer=customer)
        .order_by("id")
        .values_list("kind", "from_owner_id", "to_owner_id", "operator_id", "reason")
    )
    assert flows == [
        ("create", None, rep.pk, rep.pk, ""),
        ("transfer", rep.pk, rep2.pk, admin.pk, "交接"),
        ("release", rep2.pk, None, rep2.pk, "无意向"),
        ("claim", None, rep.pk, rep.pk, ""),
        ("release", rep.pk, None, rep.pk, ""),
        ("assign", None, rep2.pk, admin.pk, "分给你"),
        ("delete", rep2.pk, None, admin.pk, ""),
        ("restore", None, rep2.pk, admin.pk, ""),
        ("inherit", rep2.pk, rep.pk, admin.pk, ""),
    ]
    customer.refresh_from_db()
    assert (customer.owner_id, customer.previous_owner_id) == (rep.pk, rep2.pk)


def test_journey_shows_followups_changes_and_flows(people):
    admin, rep, rep2 = people["admin"], people["rep"], people["rep2"]
    customer = new_customer(rep, "甲公司")
    with clock.shifted(timedelta(minutes=1)):
        services.customer_followup_add(actor=rep, customer_id=customer.pk, content="电话沟通", method="call")
    with clock.shifted(timedelta(minutes=2)):
        services.customer_update(actor=rep, customer_id=customer.pk, name="甲科技")
    with clock.shifted(timedelta(minutes=3)):
        services.customer_transfer(actor=admin, customer_id=customer.pk, employee=rep2)
    items = selectors.journey(customer)
    assert [
        (item["kind"], item.get("flow") or item.get("verb") or item.get("content")) for item in items
    ] == [
        ("flow", "transfer"),
        ("change", "customer.updated"),
        ("followup", "电话沟通"),
        ("flow", "create"),
    ]
    assert items[1]["changes"] == {"客户名称": ["甲公司", "甲科技"]} and items[1]["actor"] == "销售甲"
    assert (items[0]["from"], items[0]["to"], items[0]["actor"]) == ("销售甲", "销售乙", admin.name)
    customer.refresh_from_db()
    assert (customer.last_followup_at is not None, customer.last_contact_method) == (True, "call")


@pytest.mark.parametrize(
    "statuses, expected",
    [
        ([], ("open", False)),
        (["won"], ("closed", True)),
        (["lost"], ("closed", False)),
        (["won", "lost"], ("closed", True)),
        (["open", "won"], ("open", True)),
        (["open", "lost"], ("open", False)),
        (["open"], ("open", False)),
    ],
)
def test_deal_status_derivation(statuses, expected):
    assert services.deal_status_of(statuses) == expected


# ---------------------------------------------------------------- settings: stages, tags, libraries


def test_stages(people):
    admin, rep = people["admin"], people["rep"]
    for index in range(5):
        config.stage_create(actor=admin, name=f"阶段{index}")
    assert len(config.stages()) == Stage.MAX and config.stages()[-1].is_terminal
    refused("stage_limit_reached", config.stage_create, actor=admin, name="第十一个")
    terminal = Stage.objects.get(is_terminal=True)
    refused("terminal_stage", config.stage_update, actor=admin, stage_id=terminal.pk, name="成交")
    refused("terminal_stage", config.stage_delete, actor=admin, stage_id=terminal.pk)
    first, second = config.stages()[:2]
    customer = new_customer(rep, "甲公司")
    assert customer.stage_id == first.pk
    error = refused("stage_in_use", config.stage_delete, actor=admin, stage_id=first.pk)
    assert error.details == {"field": "move_to_id"}
    assert config.stage_delete(actor=admin, stage_id=first.pk, move_to_id=second.pk) == 1
    customer.refresh_from_db()
    assert customer.stage_id == second.pk
    assert config.stage_delete(actor=admin, stage_id=config.stages()[1].pk) == 0  # unused: no target needed


def test_tags_single_select_groups(people):
    admin, rep = people["admin"], people["rep"]
    single = config.tag_group_create(actor=admin, name="意向", multiple=False, tags=["高", "低"])
    multiple = config.tag_group_create(actor=admin, name="关注", multiple=True, tags=["价格", "服务"])
    high, low = Tag.objects.filter(group=single).order_by("position")
    price, service = Tag.objects.filter(group=multiple).order_by("position")
    customer = new_customer(rep, "甲公司")
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.customer_set_tags(actor=rep, customer_id=customer.pk, tag_ids=[high.pk, low.pk])
    assert caught.value.status == 422 and "只能选一个" in caught.value.message
    assert snapshot() == before
    with pytest.raises(ValidationFailed):
        new_customer(rep, "乙公司", tag_ids=[high.pk, low.pk])
    services.customer_set_tags(actor=rep, customer_id=customer.pk, tag_ids=[high.pk, price.pk])
    result = services.customers_add_tags(actor=rep, ids=[customer.pk], tag_ids=[low.pk, service.pk])
    assert result == {"succeeded": [customer.pk], "failed": []}
    assert set(selectors.tag_ids_of(customer)) == {low.pk, price.pk, service.pk}


def test_library_delete_refusals(people):
    admin, rep = people["admin"], people["rep"]
    refused("default_library", config.library_delete, actor=admin, library_id=config.default_library().pk)
    library = library_with(admin, "乙库", rep)
    customer = new_customer(rep, "甲公司")
    assert customer.library_id == library.pk
    services.customer_delete(actor=admin, customer_id=customer.pk)  # the recycle bin still counts
    refused("library_not_empty", config.library_delete, actor=admin, library_id=library.pk)
    Customer.objects.filter(pk=customer.pk).delete()
    config.library_delete(actor=admin, library_id=library.pk)
    assert not Library.objects.filter(pk=library.pk).exists()


def test_departments_move_between_libraries_and_the_nearest_ancestor_wins(people):
    admin = people["admin"]
    region = org_services.department_create(actor=admin, name="华东")
    city = org_services.department_create(actor=admin, name="上海", parent_id=region.pk)
    district = org_services.department_create(actor=admin, name="浦东", parent_id=city.pk)
    sibling = org_services.department_create(actor=admin, name="杭州", parent_id=region.pk)
    deep = factories.employee(admin, name="浦东销售", departments=[district], main_department=district)
    near = factories.employee(admin, name="杭州销售", departments=[sibling], main_department=sibling)
    first = config.library_create(actor=admin, name="甲库", department_ids=[region.pk])
    assert config.library_of(deep) == first and config.library_of(near) == first
    second = config.library_create(actor=admin, name="乙库", department_ids=[city.pk])
    assert config.library_of(deep) == second and config.library_of(near) == first
    config.library_update(actor=admin, library_id=second.pk, department_ids=[region.pk])
    assert list(LibraryDepartment.objects.values_list("library_id", "department_id")) == [
        (second.pk, region.pk)
    ]
    assert config.library_of(deep) == second and config.library_of(near) == second
    assert config.library_of(admin) == config.default_library()


def test_settings_refuse_duplicate_names(people):
    admin = people["admin"]
    library = config.library_create(actor=admin, name="乙库")
    refused("duplicate_library", config.library_create, actor=admin, name="乙库")
    refused(
        "duplicate_library",
        config.library_update,
        actor=admin,
        library_id=library.pk,
        name=config.default_library().name,
    )
    stage = config.stage_create(actor=admin, name="洽谈")
    refused("duplicate_stage", config.stage_create, actor=admin, name="洽谈")
    other = config.stages()[0]
    refused("duplicate_stage", config.stage_update, actor=admin, stage_id=other.pk, name=stage.name)
    group = config.tag_group_create(actor=admin, name="意向", tags=["高"])
    config.tag_group_create(actor=admin, name="关注")
    refused("duplicate_tag_group", config.tag_group_create, actor=admin, name="意向")
    refused("duplicate_tag_group", config.tag_group_update, actor=admin, group_id=group.pk, name="关注")
    refused("duplicate_tag", config.tag_create, actor=admin, group_id=group.pk, name="高")


def test_a_group_with_two_tags_on_one_customer_stays_multiple(people):
    admin, rep = people["admin"], people["rep"]
    group = config.tag_group_create(actor=admin, name="关注", multiple=True, tags=["价格", "服务"])
    customer = new_customer(
        rep, "甲公司", tag_ids=list(Tag.objects.filter(group=group).values_list("pk", flat=True))
    )
    refused("tag_group_in_use", config.tag_group_update, actor=admin, group_id=group.pk, multiple=False)
    services.customer_set_tags(actor=rep, customer_id=customer.pk, tag_ids=[])
    assert config.tag_group_update(actor=admin, group_id=group.pk, multiple=False).multiple is False


def test_moves_refuse_an_employee_who_is_not_active(people):
    admin, rep, rep2 = people["admin"], people["rep"], people["rep2"]
    org_services.employee_disable(actor=admin, employee=rep2)
    customer = new_customer(rep, "甲公司")
    pool_customer = pooled(admin, "公海公司")
    refused(
        "employee_not_active",
        services.customers_transfer,
        actor=admin,
        ids=[customer.pk],
        employee_id=rep2.pk,
    )
    refused(
        "employee_not_active",
        services.customers_assign,
        actor=admin,
        ids=[pool_customer.pk],
        employee_id=rep2.pk,
    )
    refused(
        "employee_not_active",
        services.collaborator_set,
        actor=rep,
        customer_id=customer.pk,
        employee_id=rep2.pk,
    )
