"""Organisation rules: every refusal with its code, and nothing half-done after it."""

import pytest

from tests import factories
from tidecrm.core.errors import BusinessError, ValidationFailed
from tidecrm.core.models import Tenant
from tidecrm.org import services
from tidecrm.org.models import Department, Employee, EmployeeRole, Role


def refused(code, func, **kwargs):
    with pytest.raises(BusinessError) as caught:
        func(**kwargs)
    assert caught.value.code == code, caught.value
    return caught.value


# ---------------------------------------------------------------- departments


def test_department_tree_keeps_paths_and_depth(bound):
    owner = bound
    a = services.department_create(actor=owner, name="A")
    b = services.department_create(actor=owner, name="B", parent_id=a.pk)
    assert (a.path, a.depth) == (f"/{a.pk}/", 1)
    assert (b.path, b.depth) == (f"/{a.pk}/{b.pk}/", 2)


def test_sixth_level_is_refused(bound):
    owner, parent_id = bound, None
    for level in range(5):
        parent_id = services.department_create(actor=owner, name=f"L{level + 1}", parent_id=parent_id).pk
    count = Department.objects.count()
    refused("department_too_deep", services.department_create, actor=owner, name="L6", parent_id=parent_id)
    assert Department.objects.count() == count


def test_moving_a_subtree_rewrites_paths_and_respects_depth(bound):
    owner = bound
    a = services.department_create(actor=owner, name="A")
    b = services.department_create(actor=owner, name="B", parent_id=a.pk)
    c = services.department_create(actor=owner, name="C", parent_id=b.pk)
    x = services.department_create(actor=owner, name="X")
    services.department_update(actor=owner, department=b, parent_id=x.pk)
    c.refresh_from_db()
    assert c.path == f"/{x.pk}/{b.pk}/{c.pk}/" and c.depth == 3
    # under its own descendant: refused, paths unchanged
    refused("invalid_parent", services.department_update, actor=owner, department=b, parent_id=c.pk)
    b.refresh_from_db()
    assert b.path == f"/{x.pk}/{b.pk}/"
    # a move that would push C past level 5 is refused as a whole
    deep = None
    for level in range(4):
        deep = services.department_create(actor=owner, name=f"D{level}", parent_id=deep.pk if deep else None)
    refused("department_too_deep", services.department_update, actor=owner, department=b, parent_id=deep.pk)
    c.refresh_from_db()
    assert c.depth == 3


def test_duplicate_sibling_name_is_refused(bound):
    owner = bound
    services.department_create(actor=owner, name="销售部")
    refused("duplicate_department", services.department_create, actor=owner, name="销售部")
    assert Department.objects.filter(name="销售部").count() == 1


def test_department_with_members_or_children_cannot_be_deleted(bound):
    owner = bound
    parent = services.department_create(actor=owner, name="父")
    child = services.department_create(actor=owner, name="子", parent_id=parent.pk)
    refused("department_not_empty", services.department_delete, actor=owner, department=parent)
    factories.employee(owner, main_department=child)
    refused("department_not_empty", services.department_delete, actor=owner, department=child)
    assert Department.objects.count() == 2


# ---------------------------------------------------------------- employees


def test_seats_full_refuses_create_and_enable(bound):
    owner = bound
    Tenant.objects.filter(pk=owner.tenant_id).update(seats_total=2)
    person = factories.employee(owner, name="甲")
    before = Employee.objects.count()
    refused("seats_full", services.employee_create_by_admin, actor=owner, name="乙", phone="13722223333")
    assert Employee.objects.count() == before
    services.employee_disable(actor=owner, employee=person)  # frees the seat
    factories.employee(owner, name="丙")
    refused("seats_full", services.employee_enable, actor=owner, employee=person)
    assert Employee.objects.get(pk=person.pk).status == "disabled"


def test_super_admin_cannot_be_disabled_resigned_or_deleted(bound):
    owner = bound
    admin = factories.employee(owner, name="管理员乙", role_keys=("admin",))
    for service in (services.employee_disable, services.employee_resign, services.employee_delete):
        refused("super_admin_immutable", service, actor=admin, employee=owner)
    assert Employee.objects.get(pk=owner.pk).status == "active"


def test_status_transitions_and_refusals(bound):
    owner = bound
    person = factories.employee(owner)
    refused("invalid_transition", services.employee_enable, actor=owner, employee=person)
    refused("invalid_transition", services.employee_activate, actor=owner, employee=person)
    services.employee_resign(actor=owner, employee=person)
    person.refresh_from_db()
    assert person.status == "resigned" and person.resigned_at is not None
    refused("invalid_transition", services.employee_disable, actor=owner, employee=person)
    services.employee_restore(actor=owner, employee=person)
    assert Employee.objects.get(pk=person.pk).status == "active"


def test_an_admin_cannot_disable_themselves(bound):
    admin = factories.employee(bound, role_keys=("admin",))
    refused("cannot_change_self", services.employee_disable, actor=admin, employee=admin)


def test_duplicate_phone_and_username(bound):
    owner = bound
    factories.employee(owner, phone="13755556666", username="zhangsan")
    refused(
        "employee_exists", services.employee_create_by_admin, actor=owner, name="重复", phone="137-5555-6666"
    )
    refused(
        "username_taken",
        services.employee_create_by_admin,
        actor=owner,
        name="甲",
        phone="13755557777",
        username="zhangsan",
    )


def test_username_is_immutable_once_set(bound):
    person = factories.employee(bound, username="lisi")
    refused("username_immutable", services.employee_update, actor=bound, employee=person, username="lisi2")


def test_supervisor_cycles_are_refused(bound):
    owner = bound
    a = factories.employee(owner, name="A")
    b = factories.employee(owner, name="B")
    services.employee_update(actor=owner, employee=b, supervisor_id=a.pk)
    refused("supervisor_cycle", services.employee_update, actor=owner, employee=a, supervisor_id=b.pk)
    refused("supervisor_cycle", services.employee_update, actor=owner, employee=a, supervisor_id=a.pk)
    assert Employee.objects.get(pk=a.pk).supervisor_id is None


def test_create_requires_name_and_mobile(bound):
    with pytest.raises(ValidationFailed) as caught:
        services.employee_create_by_admin(actor=bound, name="", phone="123")
    assert set(caught.value.fields) == {"name", "phone"}


def test_initial_password_forces_a_change(bound):
    person = services.employee_create_by_admin(
        actor=bound, name="新人", phone="13766667777", password="Init1234"
    )
    assert person.must_change_password is True
    assert person.account.check_password("Init1234")


# ---------------------------------------------------------------- roles


def test_system_roles_cannot_be_deleted_and_fallback_keeps_its_name(bound):
    owner = bound
    for role in Role.objects.filter(is_system=True):
        refused("system_role", services.role_delete, actor=owner, role=role)
    member_role = Role.objects.get(system_key="member")
    refused("system_role", services.role_update, actor=owner, role=member_role, name="员工")
    assert Role.objects.filter(is_system=True).count() == 5


def test_deleting_a_role_moves_members_to_the_fallback(bound):
    owner = bound
    role = services.role_create(actor=owner, name="临时", permissions=["org.view"])
    person = factories.employee(owner, role_keys=())
    services.employee_set_roles(actor=owner, employee=person, roles=[role])
    services.role_delete(actor=owner, role=role)
    assert list(EmployeeRole.objects.filter(employee=person).values_list("role__system_key", flat=True)) == [
        "member"
    ]


def test_editing_a_role_changes_every_member_at_once(bound):
    owner = bound
    role = services.role_create(actor=owner, name="可调整", permissions=[])
    people = [factories.employee(owner, role_keys=()) for _ in range(2)]
    for person in people:
        services.employee_set_roles(actor=owner, employee=person, roles=[role])
    assert not any(Employee.objects.get(pk=p.pk).has_permission("org.view") for p in people)
    services.role_update(actor=owner, role=role, permissions=["org.view"])
    assert all(Employee.objects.get(pk=p.pk).has_permission("org.view") for p in people)


def test_role_validation(bound):
    owner = bound
    services.role_create(actor=owner, name="重复")
    refused("duplicate_role", services.role_create, actor=owner, name="重复")
    refused("validation_error", services.role_create, actor=owner, name="坏", permissions=["no.such"])
    refused(
        "validation_error",
        services.role_create,
        actor=owner,
        name="坏2",
        permissions=["settings.transfer_owner"],
    )
    refused(
        "validation_error",
        services.role_create,
        actor=owner,
        name="坏3",
        data_scopes={"customer": "departments"},
    )
    assert not Role.objects.filter(name__startswith="坏").exists()


def test_removing_from_a_role_falls_back(bound):
    owner = bound
    role = services.role_create(actor=owner, name="组")
    person = factories.employee(owner, role_keys=())
    services.role_set_members(actor=owner, role=role, add_ids=[person.pk])
    EmployeeRole.objects.filter(employee=person, role__system_key="member").delete()
    services.role_set_members(actor=owner, role=role, remove_ids=[person.pk])
    assert list(EmployeeRole.objects.filter(employee=person).values_list("role__system_key", flat=True)) == [
        "member"
    ]


# ---------------------------------------------------------------- batches and inheritance


def test_bulk_status_answers_per_employee(bound):
    owner = bound
    a = factories.employee(owner, name="甲")
    b = factories.employee(owner, name="乙")
    services.employee_resign(actor=owner, employee=b)
    result = services.employees_change_status(
        actor=owner, employee_ids=[a.pk, b.pk, owner.pk], action="disable"
    )
    assert result["succeeded"] == [a.pk]
    assert [(f["id"], f["code"]) for f in result["failed"]] == [
        (b.pk, "invalid_transition"),
        (owner.pk, "super_admin_immutable"),
    ]
    statuses = dict(Employee.objects.values_list("pk", "status"))
    assert (statuses[a.pk], statuses[b.pk], statuses[owner.pk]) == ("disabled", "resigned", "active")


def test_bulk_roles_refuse_the_super_admin_only(bound):
    owner = bound
    person = factories.employee(owner)
    manager = Role.objects.get(system_key="sales_manager")
    result = services.employees_set_roles(
        actor=owner, employee_ids=[person.pk, owner.pk], role_ids=[manager.pk]
    )
    assert result["succeeded"] == [person.pk]
    assert result["failed"][0]["code"] == "super_admin_immutable"
    assert list(EmployeeRole.objects.filter(employee=owner).values_list("role__system_key", flat=True)) == [
        "admin"
    ]


def test_inheritance_needs_a_resigned_source_and_an_active_receiver(bound):
    from tidecrm.org import inheritance

    owner = bound
    leaver = factories.employee(owner, name="离职者")
    receiver = factories.employee(owner, name="接收人")
    refused(
        "employee_not_resigned",
        inheritance.inherit,
        actor=owner,
        from_employee_id=leaver.pk,
        to_employee_id=receiver.pk,
    )
    services.employee_resign(actor=owner, employee=leaver)
    services.employee_disable(actor=owner, employee=receiver)
    refused(
        "employee_not_active",
        inheritance.inherit,
        actor=owner,
        from_employee_id=leaver.pk,
        to_employee_id=receiver.pk,
    )
    services.employee_enable(actor=owner, employee=receiver)
    nothing = {"succeeded": [], "failed": []}
    assert inheritance.inherit(actor=owner, from_employee_id=leaver.pk, to_employee_id=receiver.pk) == {
        "lead": nothing,
        "customer": nothing,
    }


def test_subtree_head_count_counts_each_employee_once(bound):
    from tidecrm.org import selectors

    owner = bound
    centre = services.department_create(actor=owner, name="中心")
    one = services.department_create(actor=owner, name="一部", parent_id=centre.pk)
    two = services.department_create(actor=owner, name="二部", parent_id=centre.pk)
    both = factories.employee(owner, name="两部都在")
    services.employee_update(actor=owner, employee=both, department_ids=[one.pk, two.pk])
    factories.employee(owner, name="只在二部", main_department=two)
    counts = {d.name: (d.member_count, d.subtree_count) for d in selectors.department_list(actor=owner)}
    assert counts == {"中心": (0, 2), "一部": (1, 1), "二部": (2, 2)}


# ---------------------------------------------------------------- department account administration (ROLE-12)


@pytest.fixture
def department_admin(bound):
    """An employee of 一部 whose role may manage employees, scoped to 本部门及下级部门."""
    owner = bound
    one = services.department_create(actor=owner, name="一部")
    one_a = services.department_create(actor=owner, name="一部A组", parent_id=one.pk)
    two = services.department_create(actor=owner, name="二部")
    role = services.role_create(
        actor=owner,
        name="部门账号管理员",
        permissions=["org.view", "org.manage_employees"],
        data_scopes={"employee": "department"},
    )
    admin = factories.employee(owner, name="部门管理员", role_keys=(), main_department=one)
    services.employee_set_roles(actor=owner, employee=admin, roles=[role])
    inside = factories.employee(owner, name="A组员工", main_department=one_a)
    outside = factories.employee(owner, name="二部员工", main_department=two)
    return {
        "admin": Employee.objects.get(pk=admin.pk),
        "inside": inside,
        "outside": outside,
        "one_a": one_a,
        "two": two,
    }


def test_department_admin_manages_inside_their_subtree_only(department_admin):
    d = department_admin
    services.employee_disable(actor=d["admin"], employee=d["inside"])
    assert Employee.objects.get(pk=d["inside"].pk).status == "disabled"
    refused("permission_denied", services.employee_disable, actor=d["admin"], employee=d["outside"])
    refused(
        "permission_denied",
        services.password_reset_by_admin,
        actor=d["admin"],
        employee=d["outside"],
        password="Reset1234",
    )
    refused("permission_denied", services.employee_update, actor=d["admin"], employee=d["outside"], title="x")
    assert Employee.objects.get(pk=d["outside"].pk).status == "active"
    result = services.employees_change_status(
        actor=d["admin"], employee_ids=[d["inside"].pk, d["outside"].pk], action="resign"
    )
    assert result["succeeded"] == [d["inside"].pk] and result["failed"][0]["code"] == "permission_denied"


def test_department_admin_creates_and_moves_only_within_their_departments(department_admin):
    d = department_admin
    with pytest.raises(ValidationFailed) as caught:
        services.employee_create_by_admin(actor=d["admin"], name="无部门", phone="13744445555")
    assert "department_ids" in caught.value.fields
    refused(
        "permission_denied",
        services.employee_create_by_admin,
        actor=d["admin"],
        name="别部门",
        phone="13744445556",
        department_ids=[d["two"].pk],
    )
    refused(
        "permission_denied",
        services.employees_move,
        actor=d["admin"],
        employee_ids=[d["inside"].pk],
        department_id=d["two"].pk,
    )
    created = services.employee_create_by_admin(
        actor=d["admin"], name="新A组员工", phone="13744445557", department_ids=[d["one_a"].pk]
    )
    assert created.main_department_id == d["one_a"].pk
    assert not Employee.objects.filter(phone__in=["13744445555", "13744445556"]).exists()


def test_nobody_grants_more_than_they_hold(department_admin):
    d = department_admin
    admin_role = Role.objects.get(system_key="admin")
    refused(
        "permission_denied",
        services.employee_update,
        actor=d["admin"],
        employee=d["inside"],
        role_ids=[admin_role.pk],
    )
    refused(
        "permission_denied",
        services.employees_set_roles,
        actor=d["admin"],
        employee_ids=[d["inside"].pk],
        role_ids=[admin_role.pk],
    )
    assert [r.system_key for r in Employee.objects.get(pk=d["inside"].pk).role_list] == ["sales"]
