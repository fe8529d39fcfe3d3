"""The access policy (core.access): one registered policy per owned entity, the order of its
answers (404 for what the caller may not see, then the permission, then the action) and the
decision taken again on the locked row."""

import pytest
from django.apps import apps
from django.db import transaction

from tests import factories
from tidecrm.core import access
from tidecrm.core.errors import BusinessError, NotFound, PermissionDenied
from tidecrm.core.tenancy import tenant_context
from tidecrm.customers import config, services
from tidecrm.customers.access import access_customer
from tidecrm.customers.models import Customer
from tidecrm.org import services as org_services

OWNED_ENTITIES = [
    ("leads", "Lead"),
    ("customers", "Customer"),
    ("customers", "Contact"),
    ("customers", "Followup"),
    ("customers", "FollowupAttachment"),
    ("sales", "Opportunity"),
    ("sales", "Contract"),
    ("sales", "PaymentPlan"),
    ("sales", "Payment"),
    ("sales", "Invoice"),
    ("sales", "Order"),
]


@pytest.mark.parametrize("app_label, name", OWNED_ENTITIES)
def test_every_owned_entity_has_one_policy_with_a_view(app_label, name):
    policy = access.policy_for(apps.get_model(app_label, name))
    assert "view" in policy.actions


def test_unknown_models_and_actions_are_programming_errors(enterprise):
    from tidecrm.org.models import Department

    with tenant_context(enterprise.tenant):
        with pytest.raises(LookupError):
            access.restrict(Department.objects.all(), enterprise)
        with pytest.raises(ValueError):
            access.restrict(Customer.objects.all(), enterprise, "fly")


def test_any_of_treats_an_empty_condition_as_everything():
    from django.db.models import Q

    assert access.any_of(Q(pk=1), Q()) == Q()
    assert access.any_of(Q(pk=1), Q(pk=2)) == Q(pk=1) | Q(pk=2)
    assert access.any_of() == Q(pk__in=[])


@pytest.fixture
def team(enterprise):
    admin = enterprise
    with tenant_context(admin.tenant):
        config.default_library(), config.stages()
        east = org_services.department_create(actor=admin, name="华东")
        # sees every customer of 华东 but holds no customer function permission
        viewing = org_services.role_create(
            actor=admin, name="查看", permissions=["customer.create"], data_scopes={"customer": "department"}
        )
    people = {
        "admin": admin,
        "rep": factories.employee(admin, name="华东甲", departments=[east], main_department=east),
        "rep2": factories.employee(admin, name="华东乙", departments=[east], main_department=east),
        "viewer": factories.employee(
            admin, name="只读经理", role_keys=(), roles=[viewing], departments=[east], main_department=east
        ),
    }
    with tenant_context(admin.tenant):
        yield people


def _customer(actor, name, mobile):
    return services.customer_create(actor=actor, name=name, contacts=[{"name": "联系人", "mobile": mobile}])


def test_answers_in_order_not_seen_then_permission_then_action(team):
    rep, rep2, viewer = team["rep"], team["rep2"], team["viewer"]
    customer = _customer(rep, "甲公司", "13911110001")
    # Not seen: 404 whatever the permission, and nothing about the record is told.
    with pytest.raises(NotFound):
        access_customer(rep2, customer.pk, "manage", permission="customer.transfer")
    # Seen, without the function permission: 403.
    with pytest.raises(PermissionDenied):
        access_customer(viewer, customer.pk, "manage", permission="customer.transfer")
    # Seen as a read collaborator, permission held: the policy's own refusal for the action.
    services.collaborator_set(actor=rep, customer_id=customer.pk, employee_id=rep2.pk, access="read")
    with pytest.raises(BusinessError) as caught:
        access_customer(rep2, customer.pk, "change")
    assert (caught.value.code, caught.value.status) == ("permission_denied", 403)
    assert access_customer(rep2, customer.pk, "follow_up") == customer


def test_the_decision_is_taken_again_on_the_locked_row(team, monkeypatch):
    """A transfer that commits while the caller waits for the lock takes the customer out of the
    caller's sight: the locked read answers 404, not the stale decision made before the lock."""
    rep, rep2, admin = team["rep"], team["rep2"], team["admin"]
    customer = _customer(rep, "甲公司", "13911110001")
    seen = access._exists
    calls = []

    def exists_then_moved(policy, actor, action, pk):
        answer = seen(policy, actor, action, pk)
        if not calls:  # the check before the lock: now someone else moves the customer
            Customer.objects.filter(pk=pk).update(owner=rep2)
        calls.append(action)
        return answer

    monkeypatch.setattr(access, "_exists", exists_then_moved)
    with transaction.atomic(), pytest.raises(NotFound):
        access_customer(rep, customer.pk, "manage", lock=True)
    assert len(calls) >= 2  # asked before and after the lock
    monkeypatch.undo()
    assert access_customer(admin, customer.pk, "manage", lock=False).owner_id == rep2.pk


def test_lists_and_one_record_agree(team):
    rep, rep2 = team["rep"], team["rep2"]
    mine = _customer(rep, "甲公司", "13911110001")
    _customer(rep2, "乙公司", "13911110002")
    visible = list(access.restrict(Customer.objects.all(), rep).values_list("pk", flat=True))
    assert visible == [mine.pk]
    for customer in Customer.objects.all():
        if customer.pk in visible:
            assert access_customer(rep, customer.pk) == customer
        else:
            with pytest.raises(NotFound):
                access_customer(rep, customer.pk)
