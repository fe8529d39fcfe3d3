"""Open API: organisation (API.md "Organisation")."""

from ninja import Query, Router, Schema

from tidecrm.core import permissions
from tidecrm.core.api import ErrorOut, PageOut
from tidecrm.core.pagination import paginate

from . import selectors

router = Router(tags=["organisation"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class PermissionOut(Schema):
    code: str
    label: str
    module: str
    module_label: str


class EmployeeOut(Schema):
    id: int
    name: str
    phone: str
    email: str
    username: str | None
    title: str
    status: str
    department_ids: list[int]
    main_department_id: int | None
    role_ids: list[int]
    supervisor_id: int | None
    exclude_from_stats: bool


class DepartmentOut(Schema):
    id: int
    name: str
    parent_id: int | None
    path: str
    depth: int
    head_id: int | None


def employee_out(employee):
    return {
        "id": employee.pk,
        "name": employee.name,
        "phone": employee.phone,
        "email": employee.email,
        "username": employee.username,
        "title": employee.title,
        "status": employee.status,
        "department_ids": [link.department_id for link in employee.department_links.all()],
        "main_department_id": employee.main_department_id,
        "role_ids": [link.role_id for link in employee.role_links.all()],
        "supervisor_id": employee.supervisor_id,
        "exclude_from_stats": employee.exclude_from_stats,
    }


@router.get("/permissions", response={200: list[PermissionOut], **ERRORS})
def permission_list(request):
    """Every function-permission code with its label, grouped by module."""
    return [
        {"code": p.code, "label": str(p.label), "module": p.module, "module_label": str(p.module_label)}
        for p in permissions.REGISTRY.values()
    ]


class EmployeeFilters(Schema):
    status: str | None = None
    department_id: int | None = None
    q: str | None = None
    page: int = 1
    page_size: int = 20


@router.get("/employees", response={200: PageOut[EmployeeOut], **ERRORS})
def employee_list(request, filters: Query[EmployeeFilters]):
    data = filters.dict()
    page, page_size = data.pop("page"), data.pop("page_size")
    employees = selectors.employee_list(actor=request.employee, **data)
    return paginate(employees, page=page, page_size=page_size).as_dict(employee_out)


@router.get("/employees/{employee_id}", response={200: EmployeeOut, **ERRORS})
def employee_detail(request, employee_id: int):
    return employee_out(selectors.employee_get(actor=request.employee, employee_id=employee_id))


@router.get("/departments", response={200: list[DepartmentOut], **ERRORS})
def department_list(request):
    return list(selectors.department_list(actor=request.employee))


@router.get("/departments/{department_id}", response={200: DepartmentOut, **ERRORS})
def department_detail(request, department_id: int):
    return selectors.department_get(actor=request.employee, department_id=department_id)
