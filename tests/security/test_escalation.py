"""Privilege escalation (issue 11, finding 3): nobody grants what they do not hold, and nobody
below an administrator manages an administrator's account (ROLE-06/12, TEN-15).

Two matrices, each through the open API (the pages and the import call the same services):

* every path that gives an employee a role or shapes a role (role create / edit / members,
  employee edit / batch roles / create, the employee import) × every right the actor lacks (a
  function permission, the 管理员 role, a wider data scope, 指定部门 outside theirs): refused
  with ``permission_denied`` and nothing changed; the same path with a role inside the actor's
  rights goes through (so the refusals are not a path that is simply broken);
* every action on an account (edit, roles, departments, disable, resign, delete, password, move,
  batch status, batch roles, role membership) by an employee manager who is no administrator,
  on an administrator: refused and nothing changed; on a sales rep, or by an administrator, allowed.

And reshaping the organisation grants too (data scopes follow departments and supervisors):
every change of a supervisor, of departments, a move of people or of a department, and a reset
password that would widen the actor's own data access is refused; inside it, it goes through.
"""

import pytest

from tests import factories
from tests.core.test_imports import xlsx
from tidecrm.accounts.models import Account, ApiToken
from tidecrm.core import imports
from tidecrm.core.models import ImportJob
from tidecrm.core.tenancy import tenant_context
from tidecrm.org import services
from tidecrm.org.models import (
    DATA_SCOPE_MODULES,
    Department,
    Employee,
    EmployeeDepartment,
    EmployeeRole,
    Role,
)

CUSTOMER_DEPARTMENT = {"employee": "company", "customer": "department"}
# A department manager: 本部门 in every module, employees 全公司.
EVERYTHING_DEPARTMENT = {**{module: "department" for module in DATA_SCOPE_MODULES}, "employee": "company"}


@pytest.fixture
def world(enterprise):
    """一部 / 二部; a role manager and an employee manager in 一部 (customers: 本部门, employees:
    全公司, no administrators); a department manager in 一部 (本部门 everywhere, employees 全公司,
    also manages departments); an administrator (管理员) and a second one; a sales rep in 一部 and
    one in 二部 (who may only enter customers); and the roles one may try to hand out."""
    owner = enterprise
    with tenant_context(owner.tenant):
        one = services.department_create(actor=owner, name="一部")
        two = services.department_create(actor=owner, name="二部")

        def role(name, permissions, data_scopes=None, scope_departments=None):
            return services.role_create(
                actor=owner,
                name=name,
                permissions=permissions,
                data_scopes=data_scopes or {},
                scope_departments=scope_departments or {},
            )

        role_manager_role = role(
            "角色管理员", ["org.view", "org.manage_roles", "customer.create"], CUSTOMER_DEPARTMENT
        )
        staff_manager_role = role(
            "人事专员", ["org.view", "org.manage_employees", "customer.create"], CUSTOMER_DEPARTMENT
        )
        department_manager_role = role(
            "部门经理",
            ["org.view", "org.manage_employees", "org.manage_departments", "customer.create"],
            EVERYTHING_DEPARTMENT,
        )
        customers_only = role("录入客户", ["customer.create"])
        grants = {
            # inside both managers' rights: the control
            "within": role("一部客户", ["customer.create"], {"customer": "department"}),
            # a function permission neither manager holds
            "permission": role("能导出", ["customer.create", "customer.export"]),
            "admin_role": Role.objects.get(system_key="admin"),
            # a data scope wider than theirs (customers: 全公司 > 本部门)
            "wider_scope": role("全公司客户", ["customer.create"], {"customer": "company"}),
            # 指定部门 outside what they see (二部)
            "outside_departments": role(
                "二部客户", ["customer.create"], {"customer": "departments"}, {"customer": [two.pk]}
            ),
        }
    people = {
        "role_manager": factories.employee(owner, name="角色管理员甲", role_keys=(), main_department=one),
        "staff_manager": factories.employee(owner, name="人事乙", role_keys=(), main_department=one),
        "admin": factories.employee(owner, name="管理员丙", role_keys=("admin",), main_department=one),
        "admin2": factories.employee(owner, name="管理员丁", role_keys=("admin",), main_department=two),
        "rep": factories.employee(owner, name="销售戊", role_keys=("sales",), main_department=one),
        "department_manager": factories.employee(owner, name="经理己", role_keys=(), main_department=one),
        "rep2": factories.employee(owner, name="销售庚", role_keys=(), main_department=two),
    }
    with tenant_context(owner.tenant):
        services.employee_set_roles(actor=owner, employee=people["role_manager"], roles=[role_manager_role])
        services.employee_set_roles(actor=owner, employee=people["staff_manager"], roles=[staff_manager_role])
        services.employee_set_roles(
            actor=owner, employee=people["department_manager"], roles=[department_manager_role]
        )
        services.employee_set_roles(actor=owner, employee=people["rep2"], roles=[customers_only])
    return {
        "owner": owner,
        "one": one,
        "two": two,
        "grants": grants,
        "own_roles": {
            "role_manager": role_manager_role,
            "staff_manager": staff_manager_role,
            "department_manager": department_manager_role,
        },
        **people,
    }


def snapshot(world):
    """Everything a refused call must leave as it was: roles, who holds them, accounts, the
    organisation (supervisors, departments, the department tree)."""
    with tenant_context(world["owner"].tenant):
        return (
            list(Role.objects.values_list("pk", "name", "permissions", "data_scopes", "scope_departments")),
            sorted(EmployeeRole.objects.values_list("employee_id", "role_id")),
            list(
                Employee.objects.values_list(
                    "pk",
                    "name",
                    "title",
                    "status",
                    "main_department_id",
                    "deleted_at",
                    "must_change_password",
                    "supervisor_id",
                )
            ),
            sorted(EmployeeDepartment.objects.values_list("employee_id", "department_id", "is_main")),
            list(Department.objects.order_by("pk").values_list("pk", "parent_id", "path", "depth")),
            list(Account.objects.order_by("pk").values_list("pk", "password")),
            ImportJob.objects.filter(succeeded__gt=0).count(),
        )


def assert_denied(response):
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["code"] == "permission_denied"
    return body["message"]


# ---------------------------------------------------------------- granting roles


def _import(world, role, capture_on_commit):
    """Run the employee import (ORG-05) with ``role`` named in its 角色 column; return None when
    the row was imported, else its failure reason."""
    actor = world["staff_manager"]
    with tenant_context(actor.tenant):
        actor = Employee.objects.get(pk=actor.pk)
        with capture_on_commit(execute=True):
            job = imports.import_start(
                actor=actor,
                kind="employee",
                file_name="员工.xlsx",
                content=xlsx(
                    [
                        ["姓名", "手机号", "部门", "角色"],
                        ["导入的人", factories.next_phone(), "一部", role.name],
                    ]
                ),
            )
        job.refresh_from_db()
        if job.succeeded:
            return None
        return imports.failure_rows(job)[1][0][-1]


GRANT_PATHS = {
    # path: (who tries, how) — ``how`` returns the API response (or the import's failure reason)
    "employee_update_other": (
        "staff_manager",
        lambda w, client, role: client.patch(f"/employees/{w['rep'].pk}", {"role_ids": [role.pk]}),
    ),
    "employee_update_self": (
        "staff_manager",
        lambda w, client, role: client.patch(
            f"/employees/{w['staff_manager'].pk}",
            {"role_ids": [w["own_roles"]["staff_manager"].pk, role.pk]},
        ),
    ),
    "employees_set_roles": (
        "staff_manager",
        lambda w, client, role: client.post(
            "/employees/roles", {"ids": [w["rep"].pk], "role_ids": [role.pk]}
        ),
    ),
    "employee_create_by_admin": (
        "staff_manager",
        lambda w, client, role: client.post(
            "/employees",
            {
                "name": "新来的",
                "phone": factories.next_phone(),
                "department_ids": [w["one"].pk],
                "role_ids": [role.pk],
                "password": "Start1234",
            },
        ),
    ),
    "role_set_members_self": (
        "role_manager",
        lambda w, client, role: client.post(f"/roles/{role.pk}/members", {"add_ids": [w["role_manager"].pk]}),
    ),
    "role_set_members_other": (
        "role_manager",
        lambda w, client, role: client.post(f"/roles/{role.pk}/members", {"add_ids": [w["rep"].pk]}),
    ),
}
REFUSED_GRANTS = ["permission", "admin_role", "wider_scope", "outside_departments"]


@pytest.mark.parametrize("grant", REFUSED_GRANTS)
@pytest.mark.parametrize("path", GRANT_PATHS)
def test_a_role_beyond_the_actor_is_refused_on_every_path(world, api, path, grant):
    who, how = GRANT_PATHS[path]
    before = snapshot(world)
    message = assert_denied(how(world, api(world[who]), world["grants"][grant]))
    assert "不能分配" in message or "管理员" in message
    assert snapshot(world) == before


@pytest.mark.parametrize("path", GRANT_PATHS)
def test_a_role_within_the_actor_goes_through_on_every_path(world, api, path):
    who, how = GRANT_PATHS[path]
    response = how(world, api(world[who]), world["grants"]["within"])
    assert response.status_code in (200, 201), response.content
    if path == "employees_set_roles":
        assert response.json()["succeeded"] == [world["rep"].pk]


@pytest.mark.parametrize("grant", REFUSED_GRANTS)
def test_the_import_refuses_a_role_beyond_the_importer(world, api, grant, django_capture_on_commit_callbacks):
    before = snapshot(world)
    reason = _import(world, world["grants"][grant], django_capture_on_commit_callbacks)
    assert reason is not None and ("不能分配" in reason or "管理员" in reason), reason
    assert snapshot(world)[:6] == before[:6]


def test_the_import_gives_a_role_within_the_importer(world, api, django_capture_on_commit_callbacks):
    assert _import(world, world["grants"]["within"], django_capture_on_commit_callbacks) is None


# ---------------------------------------------------------------- creating and editing roles

# What a role manager (customers 本部门 in 一部, employees 全公司) may not put into a role.
ROLE_FIELDS_BEYOND = {
    "permission_lacked": {"permissions": ["customer.create", "customer.export"]},
    "settings_permission": {"permissions": ["settings.enterprise"]},
    "manage_employees": {"permissions": ["org.manage_employees"]},
    "wider_scope": {"data_scopes": {"customer": "company"}},
    "wider_relative_scope": {"data_scopes": {"lead": "department"}},
    "outside_departments": {
        "data_scopes": {"customer": "departments"},
        "scope_departments": lambda w: {"customer": [w["two"].pk]},
    },
}


def _fields(world, fields):
    return {key: value(world) if callable(value) else value for key, value in fields.items()}


ROLE_EDIT_PATHS = {
    "role_create": lambda w, client, fields: client.post("/roles", {"name": "新角色", **fields}),
    "role_update_own": lambda w, client, fields: client.patch(
        f"/roles/{w['own_roles']['role_manager'].pk}",
        {
            "permissions": sorted(
                {*w["own_roles"]["role_manager"].permissions, *fields.get("permissions", [])}
            ),
            "data_scopes": {**CUSTOMER_DEPARTMENT, **fields.get("data_scopes", {})},
            **({"scope_departments": fields["scope_departments"]} if "scope_departments" in fields else {}),
        },
    ),
    "role_update_other": lambda w, client, fields: client.patch(f"/roles/{w['grants']['within'].pk}", fields),
}


@pytest.mark.parametrize("beyond", ROLE_FIELDS_BEYOND)
@pytest.mark.parametrize("path", ROLE_EDIT_PATHS)
def test_a_role_is_not_given_more_than_its_editor_holds(world, api, path, beyond):
    before = snapshot(world)
    response = ROLE_EDIT_PATHS[path](
        world, api(world["role_manager"]), _fields(world, ROLE_FIELDS_BEYOND[beyond])
    )
    message = assert_denied(response)
    assert "不能给角色授予超出自己的权限" in message
    assert snapshot(world) == before


def test_the_refusal_names_what_the_actor_lacks(world, api):
    response = api(world["role_manager"]).post("/roles", {"name": "x", "permissions": ["customer.export"]})
    assert "导出" in assert_denied(response)
    response = api(world["role_manager"]).post(
        "/roles", {"name": "x", "data_scopes": {"customer": "company"}}
    )
    assert "客户为“全公司”" in assert_denied(response)


@pytest.mark.parametrize("path", ROLE_EDIT_PATHS)
def test_a_role_within_its_editor_is_saved(world, api, path):
    fields = {
        "permissions": ["customer.create"],
        "data_scopes": {"customer": "departments", "lead": "self"},
        "scope_departments": {"customer": [world["one"].pk]},
    }
    response = ROLE_EDIT_PATHS[path](world, api(world["role_manager"]), fields)
    assert response.status_code in (200, 201), response.content


def test_editing_keeps_what_a_role_had_beyond_the_editor(world, api):
    """Only additions count: a role that already carries more may still be renamed or narrowed."""
    wide = world["grants"]["wider_scope"]
    client = api(world["role_manager"])
    assert client.patch(f"/roles/{wide.pk}", {"description": "改个描述"}).status_code == 200
    assert (
        client.patch(
            f"/roles/{world['grants']['permission'].pk}", {"permissions": ["customer.export"]}
        ).status_code
        == 200
    )
    assert client.patch(f"/roles/{wide.pk}", {"data_scopes": {"customer": "department"}}).status_code == 200


ADMIN_ROLE_EDITS = {
    "update_admin_role_scope": lambda w, client: client.patch(
        f"/roles/{w['grants']['admin_role'].pk}", {"data_scopes": {"customer": "self"}}
    ),
    "rename_admin_role": lambda w, client: client.patch(
        f"/roles/{w['grants']['admin_role'].pk}", {"name": "原管理员"}
    ),
    "narrow_a_role_an_admin_holds": lambda w, client: client.patch(
        f"/roles/{w['admin_held'].pk}", {"permissions": []}
    ),
    "delete_a_role_an_admin_holds": lambda w, client: client.delete(f"/roles/{w['admin_held'].pk}"),
}


@pytest.mark.parametrize("edit", ADMIN_ROLE_EDITS)
def test_roles_an_administrator_holds_are_edited_by_administrators_only(world, api, edit):
    owner = world["owner"]
    with tenant_context(owner.tenant):
        world["admin_held"] = services.role_create(
            actor=owner, name="管理员兼职", permissions=["customer.create"]
        )
        services.role_set_members(actor=owner, role=world["admin_held"], add_ids=[world["admin"].pk])
    before = snapshot(world)
    assert "只有管理员可以修改" in assert_denied(ADMIN_ROLE_EDITS[edit](world, api(world["role_manager"])))
    assert snapshot(world) == before
    assert ADMIN_ROLE_EDITS[edit](world, api(world["admin"])).status_code in (200, 204)


def test_the_super_admin_passes_everything(world, api):
    client = api(world["owner"])
    assert (
        client.post(
            "/roles",
            {
                "name": "全都要",
                "permissions": ["settings.enterprise"],
                "data_scopes": {"customer": "company"},
            },
        ).status_code
        == 201
    )
    assert (
        client.post(f"/employees/{world['admin'].pk}/password", {"password": "Reset1234"}).status_code == 204
    )
    assert (
        client.post(
            f"/roles/{world['grants']['admin_role'].pk}/members", {"add_ids": [world["rep"].pk]}
        ).status_code
        == 200
    )


# ---------------------------------------------------------------- an administrator's account

ACCOUNT_ACTIONS = {
    # action: (who acts, how) on ``target``; bulk calls answer 200 with the refusal per employee
    "edit_profile": ("staff_manager", lambda w, c, t: c.patch(f"/employees/{t.pk}", {"title": "被改了"})),
    "change_roles": (
        "staff_manager",
        lambda w, c, t: c.patch(f"/employees/{t.pk}", {"role_ids": [w["grants"]["within"].pk]}),
    ),
    "move_departments": (
        "staff_manager",
        lambda w, c, t: c.patch(f"/employees/{t.pk}", {"department_ids": [w["one"].pk, w["two"].pk]}),
    ),
    "disable": ("staff_manager", lambda w, c, t: c.post(f"/employees/{t.pk}/disable")),
    "resign": ("staff_manager", lambda w, c, t: c.post(f"/employees/{t.pk}/resign")),
    "delete": ("staff_manager", lambda w, c, t: c.delete(f"/employees/{t.pk}")),
    "password_reset": (
        "staff_manager",
        lambda w, c, t: c.post(f"/employees/{t.pk}/password", {"password": "Takeover123"}),
    ),
    "batch_move": (
        "staff_manager",
        lambda w, c, t: c.post("/employees/move", {"ids": [t.pk], "department_id": w["two"].pk}),
    ),
    "batch_status": (
        "staff_manager",
        lambda w, c, t: c.post("/employees/bulk-status", {"ids": [t.pk], "action": "disable"}),
    ),
    "batch_roles": (
        "staff_manager",
        lambda w, c, t: c.post("/employees/roles", {"ids": [t.pk], "role_ids": [w["grants"]["within"].pk]}),
    ),
    "role_member_remove": (
        "role_manager",
        lambda w, c, t: c.post(f"/roles/{w['removable'].pk}/members", {"remove_ids": [t.pk]}),
    ),
    "role_member_add": (
        "role_manager",
        lambda w, c, t: c.post(f"/roles/{w['grants']['within'].pk}/members", {"add_ids": [t.pk]}),
    ),
}
BULK = {"batch_status", "batch_roles"}


def _with_removable_role(world, target):
    """A role the target holds beside their own, for the role-member removal case."""
    owner = world["owner"]
    with tenant_context(owner.tenant):
        world["removable"] = services.role_create(actor=owner, name="可移除", permissions=["customer.create"])
        services.role_set_members(actor=owner, role=world["removable"], add_ids=[target.pk])


@pytest.mark.parametrize("action", ACCOUNT_ACTIONS)
def test_below_an_administrator_nobody_manages_an_administrator(world, api, action):
    who, how = ACCOUNT_ACTIONS[action]
    target = world["admin"]
    _with_removable_role(world, target)
    before = snapshot(world)
    response = how(world, api(world[who]), target)
    if action in BULK:
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["succeeded"] == [] and body["failed"][0]["code"] == "permission_denied"
        message = body["failed"][0]["message"]
    else:
        message = assert_denied(response)
    assert "管理员" in message
    assert snapshot(world) == before


# Actions that reshape the organisation around the rep or open their account: the rep's records
# must lie within the actor's data scope in every module, so a department manager does them.
REACHING = {"move_departments", "batch_move", "password_reset"}


@pytest.mark.parametrize("action", ACCOUNT_ACTIONS)
def test_the_same_actions_on_a_sales_rep_go_through(world, api, action):
    who, how = ACCOUNT_ACTIONS[action]
    if action in REACHING:
        who = "department_manager"
    if action == "password_reset":  # a password opens only an account within the actor's rights
        with tenant_context(world["owner"].tenant):
            services.employee_set_roles(
                actor=world["owner"], employee=world["rep"], roles=[world["grants"]["within"]]
            )
    _with_removable_role(world, world["rep"])
    response = how(world, api(world[who]), world["rep"])
    assert response.status_code in (200, 204), response.content
    if action in BULK:
        assert response.json()["succeeded"] == [world["rep"].pk]


@pytest.mark.parametrize(
    "action", ["edit_profile", "disable", "password_reset", "batch_roles", "role_member_remove"]
)
def test_an_administrator_manages_another_administrator(world, api, action):
    _who, how = ACCOUNT_ACTIONS[action]
    _with_removable_role(world, world["admin2"])
    response = how(world, api(world["admin"]), world["admin2"])
    assert response.status_code in (200, 204), response.content
    if action in BULK:
        assert response.json()["succeeded"] == [world["admin2"].pk]


@pytest.mark.parametrize("grant", ["permission", "wider_scope", "outside_departments"])
def test_a_reset_password_does_not_open_an_account_with_more_rights(world, api, grant):
    """Setting a password is logging in as that person: it would grant the actor their roles."""
    with tenant_context(world["owner"].tenant):
        services.employee_set_roles(
            actor=world["owner"], employee=world["rep"], roles=[world["grants"][grant]]
        )
    before = snapshot(world)

    response = api(world["staff_manager"]).post(
        f"/employees/{world['rep'].pk}/password", {"password": "Takeover123"}
    )

    assert "不能由您重置密码" in assert_denied(response)
    assert snapshot(world) == before


def test_a_reset_password_does_not_open_an_administrator_account(world, api):
    """The attack end to end: the employee manager cannot set an admin's password to log in with."""
    assert_denied(
        api(world["staff_manager"]).post(
            f"/employees/{world['admin'].pk}/password", {"password": "Takeover123"}
        )
    )
    account = Account.objects.get(pk=world["admin"].account_id)
    assert not account.check_password("Takeover123") and account.check_password(factories.PASSWORD)


# ---------------------------------------------------------------- reshaping the organisation


def _as_owner(world, change):
    with tenant_context(world["owner"].tenant):
        change(world["owner"])


def _rep2_reports_to_rep(world):
    """销售庚 (二部) reports to 销售戊 (一部), who holds 一部客户 (customers: 本部门)."""

    def change(owner):
        services.employee_update(actor=owner, employee=world["rep2"], supervisor_id=world["rep"].pk)
        services.employee_set_roles(actor=owner, employee=world["rep"], roles=[world["grants"]["within"]])

    _as_owner(world, change)


def _rep_also_in_two(world):
    """销售戊 holds 一部客户 (customers: 本部门) and belongs to 二部 as well as 一部."""

    def change(owner):
        services.employee_update(
            actor=owner, employee=world["rep"], department_ids=[world["one"].pk, world["two"].pk]
        )
        services.employee_set_roles(actor=owner, employee=world["rep"], roles=[world["grants"]["within"]])

    _as_owner(world, change)


def _password(target):
    return lambda w, c: c.post(f"/employees/{w[target].pk}/password", {"password": "Takeover123"})


WIDENING = {
    # case: (who acts, setup or None, how) — each would let the actor see records they do not
    "supervisor_of_someone_outside": (
        "staff_manager",
        None,
        lambda w, c: c.patch(f"/employees/{w['rep2'].pk}", {"supervisor_id": w["staff_manager"].pk}),
    ),
    "supervisor_of_someone_with_reports_outside": (
        "department_manager",
        _rep2_reports_to_rep,
        lambda w, c: c.patch(f"/employees/{w['rep'].pk}", {"supervisor_id": w["department_manager"].pk}),
    ),
    "joining_a_department": (
        "staff_manager",
        None,
        lambda w, c: c.patch(
            f"/employees/{w['staff_manager'].pk}", {"department_ids": [w["one"].pk, w["two"].pk]}
        ),
    ),
    "changing_own_department": (
        "department_manager",
        None,
        lambda w, c: c.patch(f"/employees/{w['department_manager'].pk}", {"department_ids": [w["two"].pk]}),
    ),
    "changing_own_supervisor": (
        "department_manager",
        None,
        lambda w, c: c.patch(f"/employees/{w['department_manager'].pk}", {"supervisor_id": w["rep"].pk}),
    ),
    "moving_self": (
        "department_manager",
        None,
        lambda w, c: c.post(
            "/employees/move", {"ids": [w["department_manager"].pk], "department_id": w["two"].pk}
        ),
    ),
    "departments_of_someone_outside": (
        "department_manager",
        None,
        lambda w, c: c.patch(f"/employees/{w['rep2'].pk}", {"department_ids": [w["one"].pk]}),
    ),
    "moving_someone_in": (
        "staff_manager",
        None,
        lambda w, c: c.post("/employees/move", {"ids": [w["rep2"].pk], "department_id": w["one"].pk}),
    ),
    "moving_someone_in_with_others": (
        "department_manager",
        None,
        lambda w, c: c.post(
            "/employees/move", {"ids": [w["rep"].pk, w["rep2"].pk], "department_id": w["one"].pk}
        ),
    ),
    "moving_a_department_in": (
        "department_manager",
        None,
        lambda w, c: c.patch(f"/departments/{w['two'].pk}", {"parent_id": w["one"].pk}),
    ),
    "password_of_someone_outside": ("staff_manager", None, _password("rep2")),
    "password_of_a_supervisor_of_someone_outside": (
        "department_manager",
        _rep2_reports_to_rep,
        _password("rep"),
    ),
    "password_of_a_member_of_another_department": ("department_manager", _rep_also_in_two, _password("rep")),
}


@pytest.mark.parametrize("case", WIDENING)
def test_reshaping_the_organisation_does_not_widen_the_actors_own_data_access(world, api, case):
    who, setup, how = WIDENING[case]
    if setup:
        setup(world)
    before = snapshot(world)

    message = assert_denied(how(world, api(world[who])))

    assert "数据" in message, message
    if case.startswith("password"):
        assert "不能由您重置密码" in message
    assert snapshot(world) == before


@pytest.mark.parametrize(
    "case",
    ["password_of_someone_outside", "password_of_a_supervisor_of_someone_outside"],
)
def test_a_minted_token_opens_no_more_than_a_password_would(world, api, case):
    """代建 tokens (settings.api_tokens) go through the same rule as a password reset."""
    who, setup, _how = WIDENING[case]
    target = world["rep2"] if case == "password_of_someone_outside" else world["rep"]
    owner = world["owner"]
    with tenant_context(owner.tenant):
        minting = services.role_create(actor=owner, name="令牌管理", permissions=["settings.api_tokens"])
        services.role_set_members(actor=owner, role=minting, add_ids=[world[who].pk])
    if setup:
        setup(world)

    response = api(world[who]).post("/me/tokens", {"name": "代建", "employee_id": target.pk})

    assert_denied(response)
    with tenant_context(owner.tenant):
        assert not ApiToken.objects.filter(name="代建").exists()


def test_the_refusal_says_whose_data_and_which_modules(world, api):
    message = assert_denied(WIDENING["moving_someone_in"][2](world, api(world["staff_manager"])))
    assert "销售庚" in message and "线索" in message
    message = assert_denied(WIDENING["moving_a_department_in"][2](world, api(world["department_manager"])))
    assert "二部" in message


def _department_with_member(world, parent, name):
    owner = world["owner"]
    with tenant_context(owner.tenant):
        department = services.department_create(actor=owner, name=name, parent_id=parent.pk)
    member = factories.employee(owner, name=f"{name}的人", role_keys=(), main_department=department)
    return department, member


def test_within_the_actors_data_the_organisation_is_reshaped(world, api):
    """The refusals are no broken path: a department manager reorganises what they already see."""
    client = api(world["department_manager"])
    rep, one, two = world["rep"], world["one"], world["two"]
    response = client.patch(f"/employees/{rep.pk}", {"supervisor_id": world["department_manager"].pk})
    assert response.status_code == 200, response.content
    response = client.patch(f"/employees/{rep.pk}", {"department_ids": [one.pk, two.pk]})
    assert response.status_code == 200, response.content
    # the same departments again, and a profile edit of their own: no change of place
    response = client.patch(f"/employees/{rep.pk}", {"department_ids": [one.pk, two.pk]})
    assert response.status_code == 200, response.content
    response = client.patch(
        f"/employees/{world['department_manager'].pk}", {"title": "经理", "department_ids": [one.pk]}
    )
    assert response.status_code == 200, response.content
    # a sub-department of 一部 (its people seen) moves out; an empty one moves in
    team, member = _department_with_member(world, one, "甲组")
    response = client.patch(f"/departments/{team.pk}", {"parent_id": two.pk})
    assert response.status_code == 200, response.content
    with tenant_context(world["owner"].tenant):
        empty = services.department_create(actor=world["owner"], name="新组", parent_id=two.pk)
    response = client.patch(f"/departments/{empty.pk}", {"parent_id": one.pk})
    assert response.status_code == 200, response.content
    with tenant_context(world["owner"].tenant):
        assert Employee.objects.get(pk=rep.pk).supervisor_id == world["department_manager"].pk
        assert Department.objects.get(pk=team.pk).parent_id == two.pk
        assert Department.objects.get(pk=empty.pk).parent_id == one.pk


def test_whoever_sees_the_whole_company_reshapes_it(world, api):
    client = api(world["admin"])
    assert client.patch(f"/departments/{world['two'].pk}", {"parent_id": world["one"].pk}).status_code == 200
    response = client.patch(f"/employees/{world['admin'].pk}", {"department_ids": [world["two"].pk]})
    assert response.status_code == 200, response.content
    response = client.patch(f"/employees/{world['rep2'].pk}", {"supervisor_id": world["admin"].pk})
    assert response.status_code == 200, response.content
    assert (
        client.post(f"/employees/{world['rep2'].pk}/password", {"password": "Reset1234"}).status_code == 204
    )


def test_an_administrator_with_a_narrower_scope_places_themselves(world, api):
    """Changing one's own departments or supervisor is for administrators (企业设置 holders too)."""
    owner = world["owner"]
    with tenant_context(owner.tenant):
        settings_role = services.role_create(
            actor=owner,
            name="企业设置员",
            permissions=["org.view", "org.manage_employees", "settings.enterprise"],
            data_scopes=CUSTOMER_DEPARTMENT,
        )
    person = factories.employee(owner, name="设置辛", role_keys=(), main_department=world["one"])
    with tenant_context(owner.tenant):
        services.employee_set_roles(actor=owner, employee=person, roles=[settings_role])
    response = api(person).patch(
        f"/employees/{person.pk}", {"department_ids": [world["one"].pk, world["two"].pk]}
    )
    assert response.status_code == 200, response.content


def test_the_check_reads_sets_not_rows(world, django_assert_max_num_queries):
    """Moving many people is checked with a few set queries, not a few per person."""
    owner = world["owner"]
    many = [
        factories.employee(owner, name=f"一部{n}", role_keys=(), main_department=world["one"])
        for n in range(30)
    ]
    with tenant_context(owner.tenant):
        actor = Employee.objects.get(pk=world["department_manager"].pk)
        actor.role_list  # noqa: B018 (the roles are read by the permission check before)
        with django_assert_max_num_queries(len(DATA_SCOPE_MODULES)):
            services._check_administration(actor, placed=many)


# ---------------------------------------------------------------- the pages call the same rule


def test_the_role_editor_page_refuses_a_permission_its_user_lacks(world):
    from tests.org.test_views import web_client

    client = web_client(world["role_manager"])
    own = world["own_roles"]["role_manager"]
    before = snapshot(world)
    response = client.post(
        f"/org/roles/{own.pk}/",
        {
            "name": own.name,
            "permissions_editable": "1",
            "permissions": [*own.permissions, "settings.enterprise"],
            "scope_customer": "department",
            "scope_employee": "company",
        },
    )
    assert response.status_code == 200
    assert "不能给角色授予超出自己的权限" in response.content.decode()
    assert snapshot(world) == before


def test_the_drawer_offers_no_actions_on_an_administrator_and_refuses_them(world):
    from tests.org.test_views import web_client

    client = web_client(world["staff_manager"])
    html = client.get(f"/org/employees/{world['admin'].pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "重置密码" not in html and "办理离职" not in html

    def drawer(person):
        return client.get(f"/org/employees/{person.pk}/", HTTP_HX_REQUEST="true").content.decode()

    # 重置密码 is offered only where the rule would let it through (check_acting_as).
    assert "重置密码" not in drawer(world["rep"]) and "办理离职" in drawer(world["rep"])  # rights beyond
    assert "重置密码" not in drawer(world["rep2"])  # data outside the actor's
    with tenant_context(world["owner"].tenant):
        services.employee_set_roles(
            actor=world["owner"], employee=world["rep"], roles=[world["grants"]["within"]]
        )
    manager = web_client(world["department_manager"])  # 本部门 in every module: sees all 销售戊 sees
    assert (
        "重置密码"
        in manager.get(f"/org/employees/{world['rep'].pk}/", HTTP_HX_REQUEST="true").content.decode()
    )
    before = snapshot(world)
    response = client.post(
        f"/org/employees/{world['admin'].pk}/edit/password/",
        {"password": "Takeover123"},
        HTTP_HX_REQUEST="true",
    )
    assert "只有管理员可以管理管理员的账号" in response.content.decode()
    assert snapshot(world) == before


def test_the_employee_list_gives_no_account_details_of_an_administrator_below_one(world, api):
    """The list follows the services: 人事乙 administers 销售戊, not 管理员丙."""
    rows = {row["id"]: row for row in api(world["staff_manager"]).get("/employees").json()["items"]}

    assert rows[world["rep"].pk]["role_ids"] != []
    assert rows[world["admin"].pk]["role_ids"] == [] and rows[world["admin"].pk]["username"] is None
    admin_rows = {row["id"]: row for row in api(world["admin"]).get("/employees").json()["items"]}
    assert admin_rows[world["admin2"].pk]["role_ids"] != []
