"""Roles (SPEC ROLE-01..08, ROLE-10/11): the system roles seeded in every enterprise, custom
roles and their members, an employee's roles, and the "上级自动可见下级数据" switch (Q-22).
Every grant passes ``administration._check_administration``."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tidecrm.core import codes, timeline
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.core.models import Tenant
from tidecrm.core.permissions import REGISTRY, check, default_codes

from .. import verbs
from ..models import DATA_SCOPE_MODULES, DataScope, Department, Employee, EmployeeRole, Role
from ..scopes import organisation_changed
from .administration import _check_administration

# The system roles seeded in every enterprise (ROLE-02): key, name, description, data scope.
SYSTEM_ROLES = (
    ("admin", "管理员", "除超级管理员专属操作外的全部权限", DataScope.COMPANY),
    ("sales_manager", "销售经理", "管理本部门的线索、客户、商机与合同", DataScope.DEPARTMENT),
    ("marketing_manager", "市场经理", "管理线索与市场活动", DataScope.DEPARTMENT),
    ("sales", "销售顾问", "跟进自己的线索、客户与商机", DataScope.SELF),
    ("member", "普通员工", "默认角色：仅本人数据", DataScope.SELF),
)


FALLBACK_ROLE_KEY = "member"


def roles_seed(*, tenant: Tenant) -> dict[str, Role]:
    """Create the system roles of a new enterprise (idempotent) and return them by key."""
    roles: dict[str, Role] = {}
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
    organisation_changed(tenant.pk)  # a new enterprise gets its first organisation stamp here
    return roles


def system_role(key: str) -> Role:
    """Return the bound enterprise's system role ``key`` ("admin", "member", ...)."""
    return Role.objects.get(system_key=key)


def _clean_role_fields(
    *,
    name: str | None = None,
    permissions: Iterable[str] | None = None,
    data_scopes: Mapping[str, str] | None = None,
    scope_departments: Mapping[str, Iterable[int | str]] | None = None,
    role: Role | None = None,
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if name is not None:
        name = name.strip()
        if not name:
            errors["name"] = [_("请填写角色名称")]
        elif len(name) > 40:
            errors["name"] = [_("角色名称不能超过40个字")]
        values["name"] = name
    if permissions is not None:
        permissions = list(permissions)
        unknown = sorted(set(permissions) - set(REGISTRY))
        if unknown:
            errors["permissions"] = [_("未知的权限：%(codes)s") % {"codes": ", ".join(unknown)}]
        owner_only = sorted(code for code in permissions if code in REGISTRY and REGISTRY[code].owner_only)
        if owner_only:
            errors["permissions"] = [_("超级管理员专属权限不能分配给角色")]
        values["permissions"] = sorted(set(permissions))
    if data_scopes is not None:
        bad = {
            m: s for m, s in data_scopes.items() if m not in DATA_SCOPE_MODULES or s not in DataScope.values
        }
        if bad:
            errors["data_scopes"] = [_("数据权限设置有误：%(bad)s") % {"bad": bad}]
        values["data_scopes"] = {m: data_scopes.get(m, DataScope.SELF) for m in DATA_SCOPE_MODULES}
    if scope_departments is not None:
        wanted = {int(d) for ids in scope_departments.values() for d in ids}
        found = set(Department.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        if wanted - found:
            errors["scope_departments"] = [_("指定部门不存在")]
        values["scope_departments"] = {
            m: sorted({int(d) for d in ids}) for m, ids in scope_departments.items()
        }
    scopes = values.get("data_scopes", role.data_scopes if role else {})
    chosen = values.get("scope_departments", role.scope_departments if role else {})
    for module, scope in scopes.items():
        if scope == DataScope.DEPARTMENTS and not chosen.get(module):
            errors.setdefault("scope_departments", []).append(_("选择“指定部门”时至少选择一个部门"))
            break
    if errors:
        raise ValidationFailed(errors)
    return values


def role_create(
    *,
    actor: Employee,
    name: str,
    description: str = "",
    permissions: Iterable[str] = (),
    data_scopes: Mapping[str, str] | None = None,
    scope_departments: Mapping[str, Iterable[int | str]] | None = None,
) -> Role:
    """Create a custom role; duplicate names are refused (``duplicate_role``).

    Its permissions and data scopes must lie within the actor's own (``permission_denied``).
    """
    check(actor, "org.manage_roles")
    values = _clean_role_fields(
        name=name,
        permissions=list(permissions),
        data_scopes=data_scopes or {},
        scope_departments=scope_departments or {},
    )
    _check_administration(actor, role_values=values)
    if Role.objects.filter(name=values["name"]).exists():
        raise BusinessError(codes.DUPLICATE_ROLE, _("角色名称已存在"), status=409)
    with transaction.atomic():
        role = Role.objects.create(description=description[:200], **values)
        timeline.record(actor=actor, verb=verbs.ROLE_CREATED, obj=role)
        organisation_changed(role.tenant_id)
    return role


def role_update(
    *,
    actor: Employee,
    role: Role,
    name: str | None = None,
    description: str | None = None,
    permissions: Iterable[str] | None = None,
    data_scopes: Mapping[str, str] | None = None,
    scope_departments: Mapping[str, Iterable[int | str]] | None = None,
) -> Role:
    """Edit a role; every member gets the change at once (ROLE-07). 普通员工 keeps its name.

    The edit may add only permissions the actor holds and set only data scopes within the
    actor's; a role an administrator holds is edited by administrators only (``permission_denied``).
    """
    check(actor, "org.manage_roles")
    values = _clean_role_fields(
        name=name,
        permissions=permissions,
        data_scopes=data_scopes,
        scope_departments=scope_departments,
        role=role,
    )
    _check_administration(actor, role=role, role_values=values)
    if "name" in values and values["name"] != role.name:
        if role.system_key == FALLBACK_ROLE_KEY:
            raise BusinessError(codes.SYSTEM_ROLE, _("普通员工角色不能改名"), status=409)
        if Role.objects.filter(name=values["name"]).exclude(pk=role.pk).exists():
            raise BusinessError(codes.DUPLICATE_ROLE, _("角色名称已存在"), status=409)
    if description is not None:
        values["description"] = description[:200]
    if role.system_key == "admin" and "permissions" in values:
        raise BusinessError(codes.SYSTEM_ROLE, _("管理员角色的功能权限不可修改"), status=409)
    changes = timeline.diff(
        role, values, ["name", "description", "permissions", "data_scopes", "scope_departments"]
    )
    with transaction.atomic():
        for field, value in values.items():
            setattr(role, field, value)
        role.save()
        if changes:
            timeline.record(actor=actor, verb=verbs.ROLE_UPDATED, obj=role, changes=changes)
        organisation_changed(role.tenant_id)
    return role


def role_delete(*, actor: Employee, role: Role) -> None:
    """Delete a custom role; its members fall back to 普通员工 (ROLE-08). System roles: ``system_role``."""
    check(actor, "org.manage_roles")
    if role.is_system:
        raise BusinessError(codes.SYSTEM_ROLE, _("系统默认角色无法删除"), status=409)
    _check_administration(actor, role=role, role_values={})
    fallback = system_role(FALLBACK_ROLE_KEY)
    with transaction.atomic():
        member_ids = list(EmployeeRole.objects.filter(role=role).values_list("employee_id", flat=True))
        role.delete()
        orphans = set(member_ids) - set(
            EmployeeRole.objects.filter(employee_id__in=member_ids).values_list("employee_id", flat=True)
        )
        EmployeeRole.objects.bulk_create(
            [EmployeeRole(tenant_id=actor.tenant_id, employee_id=pk, role=fallback) for pk in sorted(orphans)]
        )
        timeline.record(
            actor=actor,
            verb=verbs.ROLE_DELETED,
            object_type="role",
            object_id=role.pk or 0,
            label=role.name,
            data={"members_to_fallback": sorted(orphans)},
        )
        organisation_changed(actor.tenant_id)


def employee_set_roles(*, actor: Employee | None, employee: Employee, roles: Iterable[Role]) -> Employee:
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
                actor=actor,
                verb=verbs.EMPLOYEE_ROLES_CHANGED,
                obj=employee,
                changes={"roles": [before, after]},
            )
        organisation_changed(employee.tenant_id)
    employee.__dict__.pop("role_list", None)
    employee.__dict__.pop("permission_codes", None)
    return employee


def role_set_members(
    *, actor: Employee, role: Role, add_ids: Sequence[int] = (), remove_ids: Sequence[int] = ()
) -> None:
    """Add employees to a role, or remove them (removed ones without roles get 普通员工).

    Adding grants the role: it must lie within the actor's rights; every employee added or
    removed must be one the actor may manage (``_check_administration``).
    """
    check(actor, "org.manage_roles")
    fallback = system_role(FALLBACK_ROLE_KEY)
    with transaction.atomic():
        add = list(Employee.objects.filter(pk__in=add_ids, deleted_at__isnull=True))
        if len(add) != len(set(add_ids)):
            raise NotFound()
        if add:
            _check_administration(actor, roles=[role])
        for employee in add + list(Employee.objects.filter(pk__in=remove_ids)):
            _check_administration(actor, employee)
        existing = set(
            EmployeeRole.objects.filter(role=role, employee__in=add).values_list("employee_id", flat=True)
        )
        EmployeeRole.objects.bulk_create(
            [
                EmployeeRole(tenant_id=role.tenant_id, employee=e, role=role)
                for e in add
                if e.pk not in existing
            ]
        )
        if remove_ids:
            if role.system_key == FALLBACK_ROLE_KEY:
                raise BusinessError(
                    codes.SYSTEM_ROLE, _("不能从普通员工角色移除员工，请为其分配其他角色"), status=409
                )
            EmployeeRole.objects.filter(role=role, employee_id__in=remove_ids).delete()
            still = set(
                EmployeeRole.objects.filter(employee_id__in=remove_ids).values_list("employee_id", flat=True)
            )
            EmployeeRole.objects.bulk_create(
                [
                    EmployeeRole(tenant_id=role.tenant_id, employee_id=pk, role=fallback)
                    for pk in sorted(set(remove_ids) - still)
                ]
            )
        timeline.record(
            actor=actor,
            verb=verbs.ROLE_MEMBERS_CHANGED,
            obj=role,
            data={"added": [e.pk for e in add], "removed": list(remove_ids)},
        )
        organisation_changed(role.tenant_id)


def hierarchy_visibility_set(*, actor: Employee, enabled: bool) -> Tenant:
    """Turn "上级自动可见下级数据" (Q-22, ROLE-10) on or off for the enterprise."""
    check(actor, "settings.enterprise")
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=actor.tenant_id)
        if tenant.supervisors_see_subordinates != bool(enabled):
            timeline.record(
                actor=actor,
                verb=verbs.ENTERPRISE_HIERARCHY_VISIBILITY,
                obj=tenant,
                object_type="tenant",
                changes={
                    "supervisors_see_subordinates": [tenant.supervisors_see_subordinates, bool(enabled)]
                },
            )
            tenant.supervisors_see_subordinates = bool(enabled)
            tenant.save(update_fields=["supervisors_see_subordinates"])
            organisation_changed(tenant.pk)
    actor.tenant.supervisors_see_subordinates = bool(enabled)
    return tenant
