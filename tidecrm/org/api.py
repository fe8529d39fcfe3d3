"""Open API: organisation (API.md "Organisation"): departments, roles, employees, inheritance."""

from ninja import Field, File, Query, Router, Schema, Status, UploadedFile

from tidecrm.core import imports, permissions
from tidecrm.core.api import BulkOut, ErrorOut, Id, PageOut, enum_of
from tidecrm.core.imports_api import ImportJobOut, job_out
from tidecrm.core.pagination import paginate
from tidecrm.core.permissions import permission_required

from . import inheritance, selectors, services
from .models import Employee

router = Router(tags=["organisation"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# ---------------------------------------------------------------- schemas


class PermissionOut(Schema):
    code: str
    label: str
    module: str
    module_label: str
    # False for the super admin's own codes (transfer the enterprise, ...): no role may carry them.
    assignable: bool = True


class DepartmentOut(Schema):
    id: int
    name: str
    parent_id: int | None
    path: str
    depth: int
    head_id: int | None
    sort_order: int
    member_count: int | None = None


class DepartmentIn(Schema):
    name: str = Field(..., max_length=60)
    parent_id: Id | None = None
    head_id: Id | None = None
    sort_order: int = 0


class DepartmentPatch(Schema):
    name: str | None = Field(None, max_length=60)
    parent_id: Id | None = None
    head_id: Id | None = None
    sort_order: int | None = None


class RoleOut(Schema):
    id: int
    name: str
    description: str
    is_system: bool
    permissions: list[str]
    data_scopes: dict[str, str]
    scope_departments: dict[str, list[int]]
    member_count: int | None = None


class RoleIn(Schema):
    name: str = Field(..., max_length=40)
    description: str = ""
    permissions: list[str] = []
    data_scopes: dict[str, str] = {}
    scope_departments: dict[str, list[Id]] = {}


class RolePatch(Schema):
    name: str | None = Field(None, max_length=40)
    description: str | None = None
    permissions: list[str] | None = None
    data_scopes: dict[str, str] | None = None
    scope_departments: dict[str, list[Id]] | None = None


class RoleMembersIn(Schema):
    add_ids: list[Id] = []
    remove_ids: list[Id] = []


class EmployeeOut(Schema):
    id: int
    name: str
    phone: str
    email: str
    username: str | None
    title: str
    status: str = enum_of(Employee.Status.choices)
    department_ids: list[int]
    main_department_id: int | None
    role_ids: list[int]
    supervisor_id: int | None
    exclude_from_stats: bool | None  # null where the caller does not administer the employee
    is_super_admin: bool
    # "pending": the phone already had an account and its owner has not accepted yet (the
    # employee stays inactive); "declined": they refused; "" once joined (issue 11).
    invitation: str = ""


class EmployeeIn(Schema):
    name: str = Field(..., max_length=40)
    phone: str
    title: str = Field("", max_length=40)
    email: str = ""
    username: str | None = Field(None, max_length=40)
    department_ids: list[Id] = []
    role_ids: list[Id] = []
    supervisor_id: Id | None = None
    password: str | None = None
    exclude_from_stats: bool = False


class EmployeePatch(Schema):
    name: str | None = Field(None, max_length=40)
    title: str | None = Field(None, max_length=40)
    email: str | None = None
    username: str | None = Field(None, max_length=40)
    department_ids: list[Id] | None = None
    role_ids: list[Id] | None = None
    supervisor_id: Id | None = None
    exclude_from_stats: bool | None = None


class PasswordIn(Schema):
    password: str


class MoveIn(Schema):
    ids: list[Id]
    department_id: Id


class InheritIn(Schema):
    to_employee_id: Id
    lead_ids: list[Id] | None = None
    customer_ids: list[Id] | None = None


class PendingInheritanceOut(Schema):
    id: int
    name: str
    department: str | None
    resigned_at: str | None
    pending: dict[str, int]


def employee_out(employee):
    """Return the API form of an employee read through ``selectors.employee_list``.

    Account details (``username``, ``role_ids``, ``exclude_from_stats``) are given only where the
    selector says ``account_visible`` (the caller administers that employee); elsewhere they are
    ``null`` / ``[]``. Such a row is always an active colleague of the address book, whose phone
    is shown in full as in 通讯录.
    """
    visible = getattr(employee, "account_visible", False)
    return {
        "id": employee.pk,
        "name": employee.name,
        "phone": employee.phone,
        "email": employee.email,
        "username": employee.username if visible else None,
        "title": employee.title,
        "status": employee.status,
        "department_ids": [link.department_id for link in employee.department_links.all()],
        "main_department_id": employee.main_department_id,
        "role_ids": [link.role_id for link in employee.role_links.all()] if visible else [],
        "supervisor_id": employee.supervisor_id,
        "exclude_from_stats": employee.exclude_from_stats if visible else None,
        "is_super_admin": employee.tenant.owner_id == employee.pk,
        "invitation": employee.invitation,
    }


def _employee(request, employee_id):
    return selectors.employee_get(actor=request.employee, employee_id=employee_id)


# ---------------------------------------------------------------- permissions


@router.get("/permissions", response={200: list[PermissionOut], **ERRORS})
def permission_list(request):
    """Every function-permission code with its label, grouped by module; ``assignable`` says
    whether a role may carry it (the super admin's own codes may not: ``permissions`` of a role
    naming one answers 422)."""
    return [
        {
            "code": p.code,
            "label": str(p.label),
            "module": p.module,
            "module_label": str(p.module_label),
            "assignable": not p.owner_only,
        }
        for p in permissions.REGISTRY.values()
    ]


# ---------------------------------------------------------------- departments


@router.get("/departments", response={200: list[DepartmentOut], **ERRORS})
def department_list(request):
    """Every department in tree order with its member count."""
    return list(selectors.department_list(actor=request.employee))


@router.post("/departments", response={201: DepartmentOut, **ERRORS})
def department_create(request, payload: DepartmentIn):
    """Create a department; more than 5 levels → 409 department_too_deep."""
    return Status(201, services.department_create(actor=request.employee, **payload.dict()))


@router.get("/departments/{int:department_id}", response={200: DepartmentOut, **ERRORS})
def department_detail(request, department_id: int):
    return selectors.department_get(actor=request.employee, department_id=department_id)


@router.patch("/departments/{int:department_id}", response={200: DepartmentOut, **ERRORS})
def department_update(request, department_id: int, payload: DepartmentPatch):
    """Rename, move (the subtree follows) or set the head."""
    department = selectors.department_get(actor=request.employee, department_id=department_id)
    fields = payload.dict(exclude_unset=True)
    return services.department_update(actor=request.employee, department=department, **fields)


@router.delete("/departments/{int:department_id}", response={204: None, **ERRORS})
def department_delete(request, department_id: int):
    """Delete an empty department; else 409 department_not_empty."""
    department = selectors.department_get(actor=request.employee, department_id=department_id)
    services.department_delete(actor=request.employee, department=department)
    return Status(204, None)


# ---------------------------------------------------------------- roles


@router.get("/roles", response={200: list[RoleOut], **ERRORS})
@permission_required("org.view")
def role_list(request):
    return list(selectors.role_list(actor=request.employee))


@router.post("/roles", response={201: RoleOut, **ERRORS})
def role_create(request, payload: RoleIn):
    return Status(201, services.role_create(actor=request.employee, **payload.dict()))


@router.get("/roles/{int:role_id}", response={200: RoleOut, **ERRORS})
@permission_required("org.view")
def role_detail(request, role_id: int):
    return selectors.role_get(actor=request.employee, role_id=role_id)


@router.patch("/roles/{int:role_id}", response={200: RoleOut, **ERRORS})
def role_update(request, role_id: int, payload: RolePatch):
    """Edit a role: all its members change at once (ROLE-07)."""
    role = selectors.role_get(actor=request.employee, role_id=role_id)
    return services.role_update(actor=request.employee, role=role, **payload.dict(exclude_unset=True))


@router.delete("/roles/{int:role_id}", response={204: None, **ERRORS})
def role_delete(request, role_id: int):
    """Delete a custom role (members fall back to 普通员工); system roles → 409 system_role."""
    role = selectors.role_get(actor=request.employee, role_id=role_id)
    services.role_delete(actor=request.employee, role=role)
    return Status(204, None)


@router.post("/roles/{int:role_id}/members", response={200: RoleOut, **ERRORS})
def role_members(request, role_id: int, payload: RoleMembersIn):
    role = selectors.role_get(actor=request.employee, role_id=role_id)
    services.role_set_members(actor=request.employee, role=role, **payload.dict())
    return selectors.role_list(actor=request.employee).get(pk=role.pk)


# ---------------------------------------------------------------- employees


class EmployeeFilters(Schema):
    status: str | None = enum_of(Employee.Status.choices, None)
    department_id: Id | None = None
    role_id: Id | None = None
    q: str | None = None
    page: int = 1
    page_size: int = 20


@router.get("/employees", response={200: PageOut[EmployeeOut], **ERRORS})
def employee_list(request, filters: Query[EmployeeFilters]):
    """The address book / employee list; ``department_id`` includes sub-departments.

    Everyone gets the active colleagues (name, phone in full, e-mail, title, departments,
    supervisor). Inactive, disabled and resigned employees, and the account details ``username``,
    ``role_ids`` and ``exclude_from_stats`` (``null`` / ``[]`` otherwise), only come to holders of
    ``org.manage_employees`` for the employees in their 员工管理 scope (the super admin: all).
    ``role_id`` filters within those (holders of ``org.manage_roles``: all visible employees).
    """
    data = filters.dict()
    page, page_size = data.pop("page"), data.pop("page_size")
    employees = selectors.employee_list(actor=request.employee, **data)
    return paginate(employees, page=page, page_size=page_size).as_dict(employee_out)


@router.post("/employees", response={201: EmployeeOut, **ERRORS})
def employee_create(request, payload: EmployeeIn):
    """Add an employee (ORG-04). With ``password`` they can log in at once (must change it on the web)."""
    employee = services.employee_create_by_admin(actor=request.employee, **payload.dict())
    return Status(201, employee_out(_employee(request, employee.pk)))


@router.get("/employees/{int:employee_id}", response={200: EmployeeOut, **ERRORS})
def employee_detail(request, employee_id: int):
    """One employee, under the rules of the list: someone not active and outside the caller's
    administration is 404; account details only for those the caller administers."""
    return employee_out(_employee(request, employee_id))


@router.patch("/employees/{int:employee_id}", response={200: EmployeeOut, **ERRORS})
def employee_update(request, employee_id: int, payload: EmployeePatch):
    employee = _employee(request, employee_id)
    services.employee_update(actor=request.employee, employee=employee, **payload.dict(exclude_unset=True))
    return employee_out(_employee(request, employee_id))


@router.delete("/employees/{int:employee_id}", response={204: None, **ERRORS})
def employee_delete(request, employee_id: int):
    """Delete = resign + account recycle bin (ORG-11)."""
    services.employee_delete(actor=request.employee, employee=_employee(request, employee_id))
    return Status(204, None)


def _status_endpoint(action):
    @router.post(
        f"/employees/{{int:employee_id}}/{action}",
        response={200: EmployeeOut, **ERRORS},
        operation_id=f"employee_{action}",
        summary=f"Employee {action}",
    )
    def endpoint(request, employee_id: int):
        services.employee_change_status(
            actor=request.employee, employee=_employee(request, employee_id), action=action
        )
        return employee_out(_employee(request, employee_id))

    return endpoint


for _action in services.STATUS_CHANGES:
    _status_endpoint(_action)


class BulkRolesIn(Schema):
    ids: list[Id]
    role_ids: list[Id]


class BulkStatusIn(Schema):
    ids: list[Id]
    action: str = enum_of(services.STATUS_CHANGES, description="disable, enable, activate, resign or restore")


@router.post("/employees/bulk-status", response={200: BulkOut, **ERRORS})
def employees_bulk_status(request, payload: BulkStatusIn):
    """Batch disable / enable / activate / resign / restore; each employee succeeds or fails alone."""
    return services.employees_change_status(
        actor=request.employee, employee_ids=payload.ids, action=payload.action
    )


@router.post("/employees/roles", response={200: BulkOut, **ERRORS})
def employees_set_roles(request, payload: BulkRolesIn):
    """Batch 分配角色: replace the roles of each employee (the super admin is refused)."""
    return services.employees_set_roles(
        actor=request.employee, employee_ids=payload.ids, role_ids=payload.role_ids
    )


@router.post("/employees/{int:employee_id}/password", response={204: None, **ERRORS})
def employee_password(request, employee_id: int, payload: PasswordIn):
    """重置密码: a new initial password the employee must change at the next web login."""
    services.password_reset_by_admin(
        actor=request.employee, employee=_employee(request, employee_id), password=payload.password
    )
    return Status(204, None)


@router.get("/employees/recycle-bin", response={200: PageOut[EmployeeOut], **ERRORS})
def employee_recycle_bin(request, page: int = 1, page_size: int = 20):
    """帐号回收站: deleted employees (they keep their name on history)."""
    employees = selectors.recycle_bin(actor=request.employee).select_related("tenant", "supervisor")
    employees = employees.prefetch_related("role_links", "department_links")
    return paginate(employees, page=page, page_size=page_size).as_dict(employee_out)


@router.post("/employees/{int:employee_id}/undelete", response={200: EmployeeOut, **ERRORS})
def employee_undelete(request, employee_id: int):
    """Take an employee out of the recycle bin (status stays 已离职 until restored)."""
    employee = selectors.employee_get(actor=request.employee, employee_id=employee_id, include_deleted=True)
    services.employee_undelete(actor=request.employee, employee=employee)
    return employee_out(_employee(request, employee_id))


@router.post("/employees/move", response={200: list[EmployeeOut], **ERRORS})
def employees_move(request, payload: MoveIn):
    """Batch move employees to one department (it becomes their main department)."""
    services.employees_move(
        actor=request.employee, employee_ids=payload.ids, department_id=payload.department_id
    )
    return [
        employee_out(e) for e in selectors.employee_list(actor=request.employee).filter(pk__in=payload.ids)
    ]


@router.post("/employees/imports", response={202: ImportJobOut, **ERRORS})
def employee_import(request, file: File[UploadedFile]):
    """Batch import employees from xlsx / xls / csv (ORG-05); poll ``GET /imports/{id}``."""
    job = imports.import_start(
        actor=request.employee, kind="employee", file_name=file.name, content=imports.validate_upload(file)
    )
    return Status(202, job_out(job))


# ---------------------------------------------------------------- inheritance (INH)


@router.get("/inheritance", response={200: list[PendingInheritanceOut], **ERRORS})
def inheritance_pending(request):
    """Resigned employees with the number of records waiting for inheritance, per kind."""
    return [
        {
            "id": e.pk,
            "name": e.name,
            "department": e.main_department.name if e.main_department else None,
            "resigned_at": e.resigned_at.isoformat() if e.resigned_at else None,
            "pending": e.pending_counts,
        }
        for e in inheritance.pending_employees(actor=request.employee)
    ]


@router.post("/employees/{int:employee_id}/inherit", response={200: dict, **ERRORS})
def employee_inherit(request, employee_id: int, payload: InheritIn):
    """Move a resigned employee's leads and customers (all, or the ids given) to an active employee."""
    ids = {kind: getattr(payload, f"{kind}_ids", None) for kind in ("lead", "customer")}
    return inheritance.inherit(
        actor=request.employee,
        from_employee_id=employee_id,
        to_employee_id=payload.to_employee_id,
        ids_by_kind=ids,
    )
