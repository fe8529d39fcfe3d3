"""Reads for the organisation (tenant-scoped through the managers; no N+1: one query per list)."""

from typing import Any

from django.db.models import BooleanField, Case, Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from tidecrm.core.errors import NotFound
from tidecrm.core.permissions import check

from . import scopes
from .models import Department, Employee, EmployeeDepartment, EmployeeRole, Role


def administered_q(actor: Employee) -> Q | None:
    """Return the ``Q`` of the employees whose accounts ``actor`` administers, or None for nobody.

    The super admin administers everyone (an empty ``Q``); a holder of 管理员工 the employees in
    their 员工管理 scope (ROLE-12) — administrators only if they are one themselves, as the
    services rule (``services.administration``); anyone else nobody.
    """
    if actor.is_super_admin:
        return Q()
    if not actor.has_permission("org.manage_employees"):
        return None
    scope = scopes.visible_owner_q(actor, "employee", owner_field="pk", include_subordinates=False)
    if scopes.is_administrator(actor):
        return scope
    return scope & ~scopes.administrators_q(actor.tenant.owner_id)


def employee_list(
    *,
    actor: Employee,
    status: str | None = None,
    department_id: int | None = None,
    q: str | None = None,
    role_id: int | None = None,
    include_deleted: bool = False,
) -> QuerySet[Employee]:
    """Return the employees ``actor`` may see, each with ``account_visible``.

    The address book (通讯录) is everyone's: every active colleague, with name, department, title,
    phone and e-mail. Employees in any other state (未激活 / 已禁用 / 已离职, and the recycle bin)
    and the account details of anyone (roles, username, statistics flag: ``account_visible``)
    belong to the holders of 管理员工 within their 员工管理 scope (:func:`administered_q`). The
    ``role_id`` filter keeps to those too, except for holders of 管理角色权限 (the role editor lists
    a role's members). ``department_id`` includes its sub-departments; ``q`` matches name, phone
    or title.
    """
    employees = Employee.objects.select_related("tenant", "main_department", "supervisor")
    administered = administered_q(actor)
    if administered is None:
        employees = employees.filter(status=Employee.Status.ACTIVE).annotate(account_visible=Value(False))
    elif not administered:
        employees = employees.annotate(account_visible=Value(True))
    else:
        employees = employees.filter(Q(status=Employee.Status.ACTIVE) | administered).annotate(
            account_visible=Case(
                When(administered, then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
    if not include_deleted:
        employees = employees.filter(deleted_at__isnull=True)
    if status:
        employees = employees.filter(status=status)
    if department_id:
        department = department_get(actor=actor, department_id=department_id)
        member_ids = EmployeeDepartment.objects.filter(department__path__startswith=department.path).values(
            "employee_id"
        )
        employees = employees.filter(pk__in=member_ids)
    if role_id:
        employees = employees.filter(
            pk__in=EmployeeRole.objects.filter(role_id=role_id).values("employee_id")
        )
        if not actor.has_permission("org.manage_roles"):
            employees = employees.filter(administered) if administered is not None else employees.none()
    if q:
        q = q.strip()
        employees = employees.filter(Q(name__icontains=q) | Q(phone__contains=q) | Q(title__icontains=q))
    return employees.prefetch_related(
        Prefetch("role_links", queryset=EmployeeRole.objects.select_related("role")),
        Prefetch("department_links", queryset=EmployeeDepartment.objects.select_related("department")),
    ).order_by("id")


# The employee picker (components/employee_picker.html) shows at most this many matches.
PICKER_LIMIT = 20


def employee_search(
    *, actor: Employee, q: str = "", include_resigned: bool = False, limit: int = PICKER_LIMIT
) -> list[Employee]:
    """Return up to ``limit`` employees of the bound enterprise for the employee picker, in one query.

    Active employees (and resigned ones when ``include_resigned``: the 原跟进人 filters) whose
    name contains ``q`` or whose phone contains its digits; names starting with ``q`` first, then
    by name. Only what the address book shows everyone (name, main department), so no scope.
    """
    statuses = [Employee.Status.ACTIVE] + ([Employee.Status.RESIGNED] if include_resigned else [])
    employees = Employee.objects.filter(status__in=statuses, deleted_at__isnull=True).select_related(
        "main_department"
    )
    q = q.strip()
    if not q:
        return list(employees.order_by("name", "id")[:limit])
    matches = Q(name__icontains=q)
    if q.isdigit():
        matches |= Q(phone__contains=q)
    employees = employees.filter(matches).annotate(
        starts=Case(When(name__istartswith=q, then=Value(0)), default=Value(1))
    )
    return list(employees.order_by("starts", "name", "id")[:limit])


def employees_picked(*, actor: Employee, employee_ids: list[int]) -> list[Employee]:
    """Return the employees of the bound enterprise among ``employee_ids`` (what a picker shows
    as chosen), by name; ids of other enterprises or of nobody are left out."""
    ids = [pk for pk in employee_ids if pk]
    if not ids:
        return []
    return list(Employee.objects.filter(pk__in=ids).select_related("main_department").order_by("name", "id"))


def employee_picked(*, actor: Employee, employee_id: int | None) -> Employee | None:
    """Return the employee a single picker shows as chosen, or None (see :func:`employees_picked`)."""
    picked = employees_picked(actor=actor, employee_ids=[employee_id] if employee_id else [])
    return picked[0] if picked else None


def employee_get(*, actor: Employee, employee_id: int, include_deleted: bool = False) -> Employee:
    """Return one employee of :func:`employee_list` (404 when ``actor`` may not see them)."""
    employee = employee_list(actor=actor, include_deleted=include_deleted).filter(pk=employee_id).first()
    if employee is None:
        raise NotFound()
    return employee


def recycle_bin(*, actor: Employee) -> QuerySet[Employee]:
    """Return the deleted employees in the actor's 员工管理 scope (帐号回收站, ORG-11), most
    recently deleted first."""
    check(actor, "org.manage_employees")
    return (
        Employee.objects.filter(administered_q(actor), deleted_at__isnull=False)
        .annotate(account_visible=Value(True))
        .select_related("main_department")
        .order_by("-deleted_at")
    )


def department_list(*, actor: Employee) -> QuerySet[Department]:
    """Return every department in tree order with its head counts (ORG-01 "方案实施部(7人)").

    ``member_count``: members of the department itself; ``subtree_count``: distinct employees of
    the department and everything below it (someone in two sub-departments counts once).
    """
    in_subtree = (
        EmployeeDepartment.objects.filter(
            department__path__startswith=OuterRef("path"), employee__deleted_at__isnull=True
        )
        .order_by()
        .values("tenant")
        .annotate(n=Count("employee_id", distinct=True))
        .values("n")
    )
    return (
        Department.objects.select_related("head")
        .annotate(
            member_count=Count("member_links", filter=Q(member_links__employee__deleted_at__isnull=True)),
            subtree_count=Coalesce(Subquery(in_subtree), 0),
        )
        .order_by("path")
    )


def department_tree(*, actor: Employee) -> list[dict[str, Any]]:
    """Return the departments as nested dicts [{department, children: [...]}, ...] in sort order."""
    departments: list[Any] = list(department_list(actor=actor))  # annotated with subtree_count
    nodes: dict[int, dict[str, Any]] = {
        d.pk: {"department": d, "children": [], "total": d.subtree_count} for d in departments
    }
    roots: list[dict[str, Any]] = []
    for department in sorted(departments, key=lambda d: (d.depth, d.sort_order, d.name)):
        node = nodes[department.pk]
        (nodes[department.parent_id]["children"] if department.parent_id in nodes else roots).append(node)
    return roots


def department_get(*, actor: Employee, department_id: int) -> Department:
    """Return one department of the bound enterprise (404 when there is none)."""
    department = Department.objects.filter(pk=department_id).first()
    if department is None:
        raise NotFound()
    return department


def role_list(*, actor: Employee) -> QuerySet[Role]:
    """Return the enterprise's roles, system ones first, each with its ``member_count``."""
    return Role.objects.annotate(member_count=Count("employee_links")).order_by("-is_system", "id")


def role_get(*, actor: Employee, role_id: int) -> Role:
    """Return one role of the bound enterprise (404 when there is none)."""
    role = Role.objects.filter(pk=role_id).first()
    if role is None:
        raise NotFound()
    return role
