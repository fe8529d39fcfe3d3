"""Writes for the organisation: roles, departments, employees."""

from django.db import transaction
from django.utils.translation import gettext as _

from tidecrm.accounts.models import Membership
from tidecrm.core import timeline
from tidecrm.core.errors import ValidationFailed
from tidecrm.core.normalize import is_mobile, normalize_phone
from tidecrm.core.permissions import default_codes

from .models import DATA_SCOPE_MODULES, DataScope, Employee, EmployeeDepartment, EmployeeRole, Role

# The system roles seeded in every enterprise (ROLE-02): key, name, description, data scope.
SYSTEM_ROLES = (
    ("admin", "管理员", "除超级管理员专属操作外的全部权限", DataScope.COMPANY),
    ("sales_manager", "销售经理", "管理本部门的线索、客户、商机与合同", DataScope.DEPARTMENT),
    ("marketing_manager", "市场经理", "管理线索与市场活动", DataScope.DEPARTMENT),
    ("sales", "销售顾问", "跟进自己的线索、客户与商机", DataScope.SELF),
    ("member", "普通员工", "默认角色：仅本人数据", DataScope.SELF),
)
FALLBACK_ROLE_KEY = "member"


def roles_seed(*, tenant):
    """Create the system roles of a new enterprise (idempotent) and return them by key."""
    roles = {}
    for key, name, description, scope in SYSTEM_ROLES:
        role, _created = Role.unscoped.get_or_create(
            tenant=tenant,
            system_key=key,
            defaults={
                "name": name,
                "description": description,
                "is_system": True,
                "permissions": default_codes(key),
                "data_scopes": {module: scope.value for module in DATA_SCOPE_MODULES},
            },
        )
        roles[key] = role
    return roles


def system_role(key):
    return Role.objects.get(system_key=key)


def employee_create(
    *,
    actor,
    account,
    name,
    phone,
    email="",
    username=None,
    title="",
    role_keys=(),
    roles=(),
    departments=(),
    main_department=None,
    supervisor=None,
    status=Employee.Status.ACTIVE,
    must_change_password=False,
):
    """Create an employee of the bound enterprise for ``account`` and return it.

    With no role given the employee gets the fallback role 普通员工 (ROLE-11).
    """
    phone = normalize_phone(phone)
    if not is_mobile(phone):
        raise ValidationFailed({"phone": [_("请输入正确的11位手机号")]})
    if Employee.objects.filter(phone=phone).exists():
        raise ValidationFailed({"phone": [_("该手机号已是本企业员工")]}, code="employee_exists")
    with transaction.atomic():
        employee = Employee.objects.create(
            account=account,
            name=name.strip(),
            phone=phone,
            email=email or "",
            username=username or None,
            title=title,
            status=status,
            supervisor=supervisor,
            main_department=main_department,
            must_change_password=must_change_password,
        )
        Membership.objects.update_or_create(
            account=account,
            enterprise_id=employee.tenant_id,
            defaults={"employee_id": employee.pk, "username": employee.username},
        )
        role_objects = list(roles) + [system_role(key) for key in role_keys]
        if not role_objects:
            role_objects = [system_role(FALLBACK_ROLE_KEY)]
        EmployeeRole.objects.bulk_create(
            [
                EmployeeRole(tenant_id=employee.tenant_id, employee=employee, role=role)
                for role in role_objects
            ]
        )
        all_departments = list(departments)
        if main_department and main_department not in all_departments:
            all_departments.insert(0, main_department)
        EmployeeDepartment.objects.bulk_create(
            [
                EmployeeDepartment(
                    tenant_id=employee.tenant_id,
                    employee=employee,
                    department=department,
                    is_main=(department == main_department),
                )
                for department in all_departments
            ]
        )
        timeline.record(actor=actor or employee, verb="employee.created", obj=employee)
    return employee


def employee_set_roles(*, actor, employee, roles):
    """Replace the roles of ``employee`` (falls back to 普通员工 when none are left)."""
    roles = list(roles) or [system_role(FALLBACK_ROLE_KEY)]
    with transaction.atomic():
        before = sorted(role.name for role in employee.role_list)
        EmployeeRole.objects.filter(employee=employee).delete()
        EmployeeRole.objects.bulk_create(
            [EmployeeRole(tenant_id=employee.tenant_id, employee=employee, role=role) for role in roles]
        )
        after = sorted(role.name for role in roles)
        if before != after:
            timeline.record(
                actor=actor, verb="employee.roles_changed", obj=employee, changes={"roles": [before, after]}
            )
    employee.__dict__.pop("role_list", None)
    employee.__dict__.pop("permission_codes", None)
    return employee
