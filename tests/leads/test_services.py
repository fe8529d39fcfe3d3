"""Lead rules (LEAD-24 state machine, LEAD-27 duplicates, HOLD-01 limits, pool rules, masking)."""

from datetime import timedelta

import pytest

from tests import factories
from tidecrm.core import clock
from tidecrm.core.errors import BusinessError, ValidationFailed
from tidecrm.leads import selectors, services
from tidecrm.leads.models import Lead, LeadFlow
from tidecrm.org import services as org_services
from tidecrm.rules import holding

State, Status = Lead.State, Lead.Status


def refused(code, func, **kwargs):
    with pytest.raises(BusinessError) as caught:
        func(**kwargs)
    assert caught.value.code == code, caught.value
    return caught.value


@pytest.fixture
def people(bound):
    owner = bound
    return {
        "admin": owner,
        "rep": factories.employee(owner, name="销售甲", role_keys=("sales",)),
        "rep2": factories.employee(owner, name="销售乙", role_keys=("sales",)),
    }


def new_lead(actor, phone="13900001111", **values):
    return services.lead_create(actor=actor, phone=phone, **values)


def state(lead):
    lead.refresh_from_db()
    return lead.state, lead.status, lead.owner_id


# ---------------------------------------------------------------- create and duplicates


def test_admin_creates_unallocated_and_sales_create_their_own(people):
    pending = new_lead(people["admin"], "13900001111")
    own = new_lead(people["rep"], "13900002222")
    assert state(pending) == (State.UNALLOCATED, "", None)
    assert state(own) == (State.OWNED, Status.PENDING, people["rep"].pk)
    assert LeadFlow.objects.filter(lead=own, kind="create", to_owner=people["rep"]).exists()


@pytest.mark.parametrize(
    "first, second",
    [
        ({"phone": "13900001111"}, {"phone": "+86 139-0000-1111"}),
        (
            {"phone": "13900001111", "company_name": "康师傅食品有限公司"},
            {"phone": "13900003333", "company_name": "康师傅食品"},
        ),
        (
            {"phone": "13900001111", "company_name": "康师傅食品"},
            {"phone": "13900003333", "company_name": "康师傅 食品(有限公司)"},
        ),
        (
            {"phone": "13900001111", "company_name": "ＡＢＣ科技股份有限公司"},
            {"phone": "13900003333", "company_name": "abc科技"},
        ),
    ],
)
def test_duplicates_are_refused_and_name_the_holder(people, first, second):
    services.lead_create(actor=people["rep"], **first)
    error = refused("duplicate_lead", services.lead_create, actor=people["admin"], **second)
    assert error.details["holder"] == "销售甲"
    assert Lead.objects.count() == 1


def test_a_pool_duplicate_is_named_as_the_pool(people):
    lead = new_lead(people["rep"])
    services.lead_release(actor=people["rep"], lead_id=lead.pk)
    assert refused("duplicate_lead", new_lead, actor=people["rep2"]).details["holder"] == "公共线索池"


def test_deleted_leads_free_their_phone(people):
    lead = new_lead(people["admin"])
    services.lead_delete(actor=people["admin"], lead_id=lead.pk)
    assert new_lead(people["admin"]).pk != lead.pk


def test_phone_is_required_and_checked(people):
    for phone, message in (("", "请填写手机号"), ("12345", "手机号格式错误")):
        with pytest.raises(ValidationFailed) as caught:
            new_lead(people["admin"], phone)
        assert caught.value.fields == {"phone": [message]}


def test_editing_to_a_duplicate_is_refused(people):
    new_lead(people["rep"], "13900001111", company_name="甲公司")
    other = new_lead(people["rep"], "13900002222", company_name="乙公司")
    refused(
        "duplicate_lead",
        services.lead_update,
        actor=people["rep"],
        lead_id=other.pk,
        company_name="甲公司（有限公司）",
    )
    other.refresh_from_db()
    assert other.company_name == "乙公司"


# ---------------------------------------------------------------- the state machine


def test_allocate_recycle_release_claim(people):
    admin, rep, rep2 = people["admin"], people["rep"], people["rep2"]
    lead = new_lead(admin)
    result = services.leads_allocate(actor=admin, ids=[lead.pk], employee_id=rep.pk)
    assert result == {"succeeded": [lead.pk], "failed": []}
    assert state(lead) == (State.OWNED, Status.PENDING, rep.pk)
    services.lead_recycle(actor=admin, lead_id=lead.pk)
    lead.refresh_from_db()
    assert (lead.state, lead.recycled, lead.owner_id, lead.previous_owner_id) == (
        State.UNALLOCATED,
        True,
        None,
        rep.pk,
    )
    services.lead_allocate(actor=admin, lead_id=lead.pk, employee=rep)
    services.lead_release(actor=rep, lead_id=lead.pk, reason="号码空号")
    lead.refresh_from_db()
    assert (lead.state, lead.owner_id, lead.previous_owner_id) == (State.POOL, None, rep.pk)
    services.lead_claim(actor=rep2, lead_id=lead.pk)
    assert state(lead) == (State.OWNED, Status.CLAIMED_PENDING, rep2.pk)
    kinds = list(LeadFlow.objects.filter(lead=lead).order_by("id").values_list("kind", flat=True))
    assert kinds == ["create", "allocate", "recycle", "allocate", "release", "claim"]


def test_refused_transitions(people):
    admin, rep = people["admin"], people["rep"]
    pending = new_lead(admin, "13900001111")
    owned = new_lead(rep, "13900002222")
    refused("invalid_transition", services.lead_recycle, actor=admin, lead_id=pending.pk)
    refused("invalid_transition", services.lead_release, actor=admin, lead_id=pending.pk)
    refused("invalid_transition", services.lead_claim, actor=rep, lead_id=pending.pk)
    refused("invalid_transition", services.lead_allocate, actor=admin, lead_id=owned.pk, employee=rep)
    refused("already_claimed", services.lead_claim, actor=people["rep2"], lead_id=owned.pk)
    assert state(pending) == (State.UNALLOCATED, "", None)
    assert state(owned) == (State.OWNED, Status.PENDING, rep.pk)


@pytest.mark.parametrize(
    "start, target, allowed",
    [
        (Status.PENDING, Status.CALLBACK, True),
        (Status.INVALID, Status.CALLBACK, True),
        (Status.CLAIMED_PENDING, Status.CALLBACK, True),
        (Status.CALLBACK, Status.CALLBACK, False),
        (Status.PENDING, Status.INVALID, True),
        (Status.CALLBACK, Status.INVALID, True),
        (Status.CLAIMED_PENDING, Status.INVALID, False),  # SPEC Decisions, Q-08
        (Status.INVALID, Status.INVALID, False),
    ],
)
def test_status_transitions_exactly(people, start, target, allowed):
    lead = new_lead(people["rep"])
    Lead.objects.filter(pk=lead.pk).update(status=start)
    if allowed:
        services.lead_set_status(actor=people["rep"], lead_id=lead.pk, status=target)
        assert state(lead)[1] == target
    else:
        refused(
            "invalid_transition",
            services.lead_set_status,
            actor=people["rep"],
            lead_id=lead.pk,
            status=target,
        )
        assert state(lead)[1] == start


def test_status_only_on_owned_leads_and_only_these_two(people):
    lead = new_lead(people["admin"])
    refused(
        "invalid_transition",
        services.lead_set_status,
        actor=people["admin"],
        lead_id=lead.pk,
        status="callback",
    )
    with pytest.raises(ValidationFailed):
        services.lead_set_status(actor=people["admin"], lead_id=lead.pk, status="pending")


def test_a_colleague_cannot_touch_someone_elses_lead(people):
    lead = new_lead(people["rep"])
    refused("not_found", services.lead_release, actor=people["rep2"], lead_id=lead.pk)
    refused("not_found", services.lead_set_status, actor=people["rep2"], lead_id=lead.pk, status="invalid")
    assert state(lead) == (State.OWNED, Status.PENDING, people["rep"].pk)


def test_sales_lack_allocation_rights(people):
    lead = new_lead(people["admin"])
    refused(
        "permission_denied",
        services.leads_allocate,
        actor=people["rep"],
        ids=[lead.pk],
        employee_id=people["rep"].pk,
    )
    with pytest.raises(BusinessError):
        selectors.lead_list(actor=people["rep"], state=State.UNALLOCATED)


def test_leads_go_only_to_active_employees(people):
    admin, rep = people["admin"], people["rep"]
    lead = new_lead(admin)
    org_services.employee_disable(actor=admin, employee=rep)
    refused("employee_not_active", services.leads_allocate, actor=admin, ids=[lead.pk], employee_id=rep.pk)
    refused("employee_not_active", new_lead, actor=admin, phone="13900002222", owner_id=rep.pk)
    assert state(lead) == (State.UNALLOCATED, "", None)
    assert not Lead.objects.filter(phone="13900002222").exists()


# ---------------------------------------------------------------- holding limits and pool rules


def set_lead_limits(admin, default=None, rules=()):
    holding.settings_put(actor=admin, data={"lead": {"default_limit": default, "rules": list(rules)}})


def test_holding_limit_refuses_past_the_limit_per_record(people):
    admin, rep = people["admin"], people["rep"]
    set_lead_limits(admin, default=2)
    leads = [new_lead(admin, f"1390000{i:04d}") for i in range(3)]
    result = services.leads_allocate(actor=admin, ids=[lead.pk for lead in leads], employee_id=rep.pk)
    assert result["succeeded"] == [leads[0].pk, leads[1].pk]
    assert result["failed"][0]["code"] == "holding_limit_reached"
    assert "已拥有 2 / 上限 2" in result["failed"][0]["message"]
    assert state(leads[2]) == (State.UNALLOCATED, "", None)
    refused("holding_limit_reached", new_lead, actor=rep, phone="13911112222")
    assert holding.usage(rep, "lead") == (2, 2)


def test_invalid_leads_do_not_count(people):
    admin, rep = people["admin"], people["rep"]
    set_lead_limits(admin, default=1)
    first = new_lead(rep, "13900001111")
    services.lead_set_status(actor=rep, lead_id=first.pk, status="invalid")
    assert new_lead(rep, "13900002222").owner_id == rep.pk


def test_limit_precedence_employee_then_nearest_department_then_default(people):
    admin, rep, rep2 = people["admin"], people["rep"], people["rep2"]
    centre = org_services.department_create(actor=admin, name="中心")
    team = org_services.department_create(actor=admin, name="小组", parent_id=centre.pk)
    org_services.employee_update(actor=admin, employee=rep, department_ids=[team.pk])
    org_services.employee_update(actor=admin, employee=rep2, department_ids=[centre.pk])
    set_lead_limits(
        admin,
        default=1,
        rules=[
            {"name": "中心", "limit": 5, "department_ids": [centre.pk]},
            {"name": "小组", "limit": 3, "department_ids": [team.pk]},
            {"name": "王牌", "limit": 10, "employee_ids": [rep.pk]},
        ],
    )
    assert holding.limit_for(rep, "lead") == 10
    assert holding.limit_for(rep2, "lead") == 5
    set_lead_limits(
        admin,
        default=1,
        rules=[
            {"name": "中心", "limit": 5, "department_ids": [centre.pk]},
            {"name": "小组", "limit": 3, "department_ids": [team.pk]},
        ],
    )
    assert holding.limit_for(rep, "lead") == 3
    assert holding.limit_for(admin, "lead") == 1
    set_lead_limits(admin, default=None)
    assert holding.limit_for(rep, "lead") is None


def test_at_most_five_custom_rules(people):
    rules = [{"name": f"规则{i}", "limit": 1} for i in range(6)]
    with pytest.raises(ValidationFailed):
        set_lead_limits(people["admin"], default=1, rules=rules)
    assert holding.settings_get(actor=people["admin"])["lead"]["rules"] == []


def test_daily_claim_limit_and_cooldown(people):
    admin, rep = people["admin"], people["rep"]
    services.lead_settings_update(actor=admin, daily_claim_limit=1, reclaim_cooldown_days=3)
    leads = [new_lead(admin, f"1390000{i:04d}") for i in range(2)]
    for lead in leads:
        services.lead_allocate(actor=admin, lead_id=lead.pk, employee=people["rep2"])
        services.lead_release(actor=people["rep2"], lead_id=lead.pk)
    services.lead_claim(actor=rep, lead_id=leads[0].pk)
    refused("daily_claim_limit_reached", services.lead_claim, actor=rep, lead_id=leads[1].pk)
    services.lead_settings_update(actor=admin, daily_claim_limit=None)
    with clock.shifted(timedelta(days=1)):
        services.lead_claim(actor=rep, lead_id=leads[1].pk)
        services.lead_release(actor=rep, lead_id=leads[1].pk)
        refused("reclaim_cooldown", services.lead_claim, actor=rep, lead_id=leads[1].pk)
    with clock.shifted(timedelta(days=5)):
        services.lead_claim(actor=rep, lead_id=leads[1].pk)
    assert state(leads[1])[2] == rep.pk


# ---------------------------------------------------------------- masking


def test_pool_contacts_are_masked_until_claimed(people):
    lead = new_lead(people["rep"], "15612342345", qq="123456789", email="zhang@example.com")
    services.lead_release(actor=people["rep"], lead_id=lead.pk)
    lead.refresh_from_db()
    assert selectors.contact_fields(lead) == {
        "phone": "156****2345",
        "qq": "12****89",
        "email": "z***@example.com",
    }
    services.lead_claim(actor=people["rep2"], lead_id=lead.pk)
    lead.refresh_from_db()
    assert selectors.contact_fields(lead)["phone"] == "15612342345"
