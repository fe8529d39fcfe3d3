"""The data-scope engine as a matrix: which owners each scope lets an employee see."""

import pytest

from tests import factories
from tidecrm.org import scopes, services
from tidecrm.org.models import Employee


@pytest.fixture
def org(bound):
    """销售中心 > 一部, 二部; 市场部. Manager heads 一部; two reps under the manager; one rep in 二部."""
    owner = bound
    centre = services.department_create(actor=owner, name="销售中心")
    one = services.department_create(actor=owner, name="一部", parent_id=centre.pk)
    two = services.department_create(actor=owner, name="二部", parent_id=centre.pk)
    market = services.department_create(actor=owner, name="市场部")
    manager = factories.employee(owner, name="经理", role_keys=("sales",), main_department=centre)
    rep_a = factories.employee(
        owner, name="甲", role_keys=("sales",), main_department=one, supervisor=manager
    )
    rep_b = factories.employee(owner, name="乙", role_keys=("sales",), main_department=one)
    rep_c = factories.employee(owner, name="丙", role_keys=("sales",), main_department=two)
    marketer = factories.employee(owner, name="市场", role_keys=("sales",), main_department=market)
    return {
        "owner": owner,
        "centre": centre,
        "one": one,
        "two": two,
        "market": market,
        "manager": manager,
        "a": rep_a,
        "b": rep_b,
        "c": rep_c,
        "marketer": marketer,
    }


def visible(actor, module="customer"):
    actor = Employee.objects.get(pk=actor.pk)
    return set(
        Employee.objects.filter(scopes.visible_owner_q(actor, module, owner_field="pk")).values_list(
            "name", flat=True
        )
    )


def give_scope(org, employee, scope, departments=()):
    role = services.role_create(
        actor=org["owner"],
        name=f"{employee.name}-{scope}",
        data_scopes={"customer": scope},
        scope_departments={"customer": [d.pk for d in departments]} if departments else {},
    )
    services.employee_set_roles(actor=org["owner"], employee=employee, roles=[role])


def test_self_sees_only_self(org):
    assert visible(org["b"]) == {"乙"}


def test_supervisors_see_their_subordinates_by_default(org):
    assert visible(org["manager"]) == {"经理", "甲"}


def test_department_scope_includes_sub_departments(org):
    give_scope(org, org["manager"], "department")
    assert visible(org["manager"]) == {"经理", "甲", "乙", "丙"}


def test_specified_departments(org):
    give_scope(org, org["marketer"], "departments", departments=[org["two"]])
    assert visible(org["marketer"]) == {"市场", "丙"}


def test_company_and_super_admin_see_everyone(org):
    give_scope(org, org["c"], "company")
    everyone = set(Employee.objects.values_list("name", flat=True))
    assert visible(org["c"]) == everyone
    assert visible(org["owner"]) == everyone


def test_roles_union(org):
    a = services.role_create(
        actor=org["owner"],
        name="一部视图",
        data_scopes={"customer": "departments"},
        scope_departments={"customer": [org["one"].pk]},
    )
    b = services.role_create(
        actor=org["owner"],
        name="二部视图",
        data_scopes={"customer": "departments"},
        scope_departments={"customer": [org["two"].pk]},
    )
    services.employee_set_roles(actor=org["owner"], employee=org["marketer"], roles=[a, b])
    assert visible(org["marketer"]) == {"市场", "甲", "乙", "丙"}


def test_scope_is_per_module(org):
    give_scope(org, org["b"], "company")
    assert len(visible(org["b"], "customer")) == 6
    assert visible(org["b"], "lead") == {"乙"}


def test_the_filter_is_one_query(org, django_assert_num_queries):
    actor = Employee.objects.get(pk=org["manager"].pk)
    give_scope(org, actor, "department")
    actor = Employee.objects.get(pk=actor.pk)
    condition = scopes.visible_owner_q(actor, "customer", owner_field="pk")
    with django_assert_num_queries(1):
        list(Employee.objects.filter(condition))


def test_hierarchy_visibility_can_be_turned_off(org):
    services.hierarchy_visibility_set(actor=org["owner"], enabled=False)
    assert visible(org["manager"]) == {"经理"}
    give_scope(org, org["manager"], "subordinates")  # an explicit role scope still applies
    assert visible(org["manager"]) == {"经理", "甲"}


def test_only_admins_change_hierarchy_visibility(org):
    from tidecrm.core.errors import PermissionDenied
    from tidecrm.core.models import Tenant

    with pytest.raises(PermissionDenied):
        services.hierarchy_visibility_set(actor=Employee.objects.get(pk=org["b"].pk), enabled=False)
    assert Tenant.objects.get(pk=org["owner"].tenant_id).supervisors_see_subordinates is True


# ---------------------------------------------------------------- what a grantor may hand out


@pytest.mark.parametrize(
    ("own", "granted", "allowed"),
    [
        ("self", "self", True),
        ("self", "subordinates", False),
        ("subordinates", "subordinates", True),
        ("subordinates", "department", False),
        ("department", "subordinates", True),
        ("department", "department", True),
        ("department", "company", False),
        ("company", "company", True),
        ("departments", "self", True),
        ("departments", "subordinates", False),
        ("departments", "department", False),
    ],
)
def test_a_grantor_hands_out_no_wider_relative_scope_than_their_own(org, own, granted, allowed):
    give_scope(org, org["manager"], own, departments=[org["one"]] if own == "departments" else ())
    actor = Employee.objects.get(pk=org["manager"].pk)
    assert scopes.scope_within(actor, "customer", granted) is allowed
    assert scopes.scope_within(actor, "lead", "department") is False  # other modules keep theirs


def test_specified_departments_must_lie_in_what_the_grantor_sees(org):
    give_scope(org, org["manager"], "department")  # the manager's main department: 销售中心
    actor = Employee.objects.get(pk=org["manager"].pk)
    assert scopes.scope_within(actor, "customer", "departments", [org["one"].pk, org["two"].pk])
    assert not scopes.scope_within(actor, "customer", "departments", [org["one"].pk, org["market"].pk])
    give_scope(org, org["b"], "departments", departments=[org["one"]])
    actor = Employee.objects.get(pk=org["b"].pk)
    assert scopes.scope_within(actor, "customer", "departments", [org["one"].pk])
    assert not scopes.scope_within(actor, "customer", "departments", [org["centre"].pk])
    assert scopes.scope_within(Employee.objects.get(pk=org["owner"].pk), "customer", "company")


def test_the_sets_of_every_module_are_those_each_module_reads(org, django_assert_max_num_queries):
    """``visible_owner_sets`` (what an organisation change is checked against) answers as
    ``visible_owner_ids`` does per module (员工管理 without the supervisor rule), in a few queries."""
    from tidecrm.org.models import DATA_SCOPE_MODULES

    role = services.role_create(
        actor=org["owner"],
        name="混合",
        data_scopes={
            "customer": "department",
            "lead": "departments",
            "opportunity": "subordinates",
            "contract": "company",
            "employee": "department",
        },
        scope_departments={"lead": [org["market"].pk]},
    )
    services.employee_set_roles(actor=org["owner"], employee=org["manager"], roles=[role])
    for person in ("manager", "a", "owner"):
        actor = Employee.objects.get(pk=org[person].pk)
        with django_assert_max_num_queries(len(DATA_SCOPE_MODULES)):
            sets = scopes.visible_owner_sets(actor)
        for module in DATA_SCOPE_MODULES:
            expected = scopes.visible_owner_ids(actor, module, include_subordinates=module != "employee")
            assert sets[module] == (None if expected is None else set(expected)), (person, module)
