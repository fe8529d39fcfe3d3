"""Writes for the organisation: departments, employees, roles (SPEC ORG-*, ROLE-*).

Every function takes the acting employee first, checks its function permission, runs in one
transaction and raises a typed error with a stable code (API.md "Organisation").
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tidecrm.accounts import credentials
from tidecrm.accounts.models import Account, Membership
from tidecrm.core import clock, timeline
from tidecrm.core.bulk import each_independently
from tidecrm.core.errors import BusinessError, NotFound, PermissionDenied, Throttled, ValidationFailed
from tidecrm.core.models import Tenant
from tidecrm.core.normalize import is_mobile, normalize_phone
from tidecrm.core.permissions import REGISTRY, check, default_codes
from tidecrm.integrations.sms import send_sms

from . import scopes
from .models import (
    DATA_SCOPE_LABELS,
    DATA_SCOPE_MODULES,
    DataScope,
    Department,
    Employee,
    EmployeeDepartment,
    EmployeeRole,
    Role,
)

# The system roles seeded in every enterprise (ROLE-02): key, name, description, data scope.
SYSTEM_ROLES = (
    ("admin", "管理员", "除超级管理员专属操作外的全部权限", DataScope.COMPANY),
    ("sales_manager", "销售经理", "管理本部门的线索、客户、商机与合同", DataScope.DEPARTMENT),
    ("marketing_manager", "市场经理", "管理线索与市场活动", DataScope.DEPARTMENT),
    ("sales", "销售顾问", "跟进自己的线索、客户与商机", DataScope.SELF),
    ("member", "普通员工", "默认角色：仅本人数据", DataScope.SELF),
)
FALLBACK_ROLE_KEY = "member"
Status = Employee.Status
SEAT_STATUSES = (Status.ACTIVE,)


# ---------------------------------------------------------------- roles (ROLE-01..08)


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


def _clean_role_fields(*, name=None, permissions=None, data_scopes=None, scope_departments=None, role=None):
    errors, values = {}, {}
    if name is not None:
        name = name.strip()
        if not name:
            errors["name"] = [_("请填写角色名称")]
        elif len(name) > 40:
            errors["name"] = [_("角色名称不能超过40个字")]
        values["name"] = name
    if permissions is not None:
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


def role_create(*, actor, name, description="", permissions=(), data_scopes=None, scope_departments=None):
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
        raise BusinessError("duplicate_role", _("角色名称已存在"), status=409)
    with transaction.atomic():
        role = Role.objects.create(description=description[:200], **values)
        timeline.record(actor=actor, verb="role.created", obj=role)
    return role


def role_update(
    *, actor, role, name=None, description=None, permissions=None, data_scopes=None, scope_departments=None
):
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
            raise BusinessError("system_role", _("普通员工角色不能改名"), status=409)
        if Role.objects.filter(name=values["name"]).exclude(pk=role.pk).exists():
            raise BusinessError("duplicate_role", _("角色名称已存在"), status=409)
    if description is not None:
        values["description"] = description[:200]
    if role.system_key == "admin" and "permissions" in values:
        raise BusinessError("system_role", _("管理员角色的功能权限不可修改"), status=409)
    changes = timeline.diff(
        role, values, ["name", "description", "permissions", "data_scopes", "scope_departments"]
    )
    with transaction.atomic():
        for field, value in values.items():
            setattr(role, field, value)
        role.save()
        if changes:
            timeline.record(actor=actor, verb="role.updated", obj=role, changes=changes)
    return role


def role_delete(*, actor, role):
    """Delete a custom role; its members fall back to 普通员工 (ROLE-08). System roles: ``system_role``."""
    check(actor, "org.manage_roles")
    if role.is_system:
        raise BusinessError("system_role", _("系统默认角色无法删除"), status=409)
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
            verb="role.deleted",
            object_type="role",
            object_id=role.pk or 0,
            label=role.name,
            data={"members_to_fallback": sorted(orphans)},
        )


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


def role_set_members(*, actor, role, add_ids=(), remove_ids=()):
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
                    "system_role", _("不能从普通员工角色移除员工，请为其分配其他角色"), status=409
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
            verb="role.members_changed",
            obj=role,
            data={"added": [e.pk for e in add], "removed": list(remove_ids)},
        )


def hierarchy_visibility_set(*, actor, enabled):
    """Turn "上级自动可见下级数据" (Q-22, ROLE-10) on or off for the enterprise."""
    check(actor, "settings.enterprise")
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=actor.tenant_id)
        if tenant.supervisors_see_subordinates != bool(enabled):
            timeline.record(
                actor=actor,
                verb="enterprise.hierarchy_visibility",
                obj=tenant,
                object_type="tenant",
                changes={
                    "supervisors_see_subordinates": [tenant.supervisors_see_subordinates, bool(enabled)]
                },
            )
            tenant.supervisors_see_subordinates = bool(enabled)
            tenant.save(update_fields=["supervisors_see_subordinates"])
    actor.tenant.supervisors_see_subordinates = bool(enabled)
    return tenant


# ---------------------------------------------------------------- departments (ORG-01..02)


def _department_parent(parent_id):
    if parent_id is None:
        return None
    parent = Department.objects.filter(pk=parent_id).first()
    if parent is None:
        raise ValidationFailed({"parent_id": [_("上级部门不存在")]})
    return parent


def _check_depth(depth):
    if depth > Department.MAX_DEPTH:
        raise BusinessError("department_too_deep", _("最多支持5级子部门"), status=409)


def department_create(*, actor, name, parent_id=None, head_id=None, sort_order=0):
    """Create a department under ``parent_id`` (None = directly under the enterprise)."""
    check(actor, "org.manage_departments")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": [_("请填写部门名称")]})
    parent = _department_parent(parent_id)
    depth = parent.depth + 1 if parent else 1
    _check_depth(depth)
    head = _employee_or_404(head_id) if head_id else None
    try:
        with transaction.atomic():
            department = Department.objects.create(
                name=name[:60], parent=parent, depth=depth, head=head, sort_order=sort_order
            )
            department.path = f"{parent.path if parent else '/'}{department.pk}/"
            department.save(update_fields=["path"])
            timeline.record(actor=actor, verb="department.created", obj=department)
    except IntegrityError:
        raise BusinessError("duplicate_department", _("同级部门下已有同名部门"), status=409)
    return department


def department_update(*, actor, department, name=None, parent_id=..., head_id=..., sort_order=None):
    """Rename, move (with its whole subtree) or set the head of a department."""
    check(actor, "org.manage_departments")
    changes = {}
    with transaction.atomic():
        department = Department.objects.select_for_update().get(pk=department.pk)
        if name is not None:
            name = name.strip()
            if not name:
                raise ValidationFailed({"name": [_("请填写部门名称")]})
            if name != department.name:
                changes["name"] = [department.name, name]
                department.name = name[:60]
        if head_id is not ...:
            head = _employee_or_404(head_id) if head_id else None
            if (head.pk if head else None) != department.head_id:
                changes["head"] = [department.head_id, head.pk if head else None]
                department.head = head
        if sort_order is not None:
            department.sort_order = sort_order
        if parent_id is not ... and parent_id != department.parent_id:
            parent = _department_parent(parent_id)
            if parent and parent.path.startswith(department.path):
                raise BusinessError("invalid_parent", _("不能把部门移动到它自己或其下级部门之下"), status=409)
            # Its members land in the scopes that cover the new parent: the actor's among them.
            _check_administration(actor, subtree=department)
            _move_subtree(department, parent)
            changes["parent"] = [department.parent_id, parent.pk if parent else None]
            department.parent = parent
        try:
            with transaction.atomic():
                department.save()
        except IntegrityError:
            raise BusinessError("duplicate_department", _("同级部门下已有同名部门"), status=409)
        if changes:
            timeline.record(actor=actor, verb="department.updated", obj=department, changes=changes)
    department.refresh_from_db()
    return department


def _move_subtree(department, parent):
    """Rewrite the path and depth of ``department`` and all below it in one UPDATE."""
    old_path = department.path
    new_path = f"{parent.path if parent else '/'}{department.pk}/"
    depth_shift = (parent.depth + 1 if parent else 1) - department.depth
    deepest = (
        Department.objects.filter(path__startswith=old_path)
        .order_by("-depth")
        .values_list("depth", flat=True)
        .first()
    )
    _check_depth(deepest + depth_shift)
    Department.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_shift,
    )
    department.path = new_path
    department.depth += depth_shift


def department_delete(*, actor, department):
    """Delete an empty department (no sub-departments, no members): else ``department_not_empty``."""
    check(actor, "org.manage_departments")
    with transaction.atomic():
        if (
            Department.objects.filter(parent=department).exists()
            or EmployeeDepartment.objects.filter(
                department=department, employee__deleted_at__isnull=True
            ).exists()
        ):
            raise BusinessError(
                "department_not_empty", _("请先移走该部门下的子部门和员工，再删除"), status=409
            )
        EmployeeDepartment.objects.filter(department=department).delete()
        Employee.objects.filter(main_department=department).update(main_department=None)
        timeline.record(actor=actor, verb="department.deleted", obj=department)
        department.delete()


# ---------------------------------------------------------------- employees (ORG-04..16)


def _employee_or_404(employee_id):
    employee = Employee.objects.filter(pk=employee_id, deleted_at__isnull=True).first()
    if employee is None:
        raise NotFound()
    return employee


def seats_used(tenant_id):
    return Employee.unscoped.filter(
        tenant_id=tenant_id, status__in=SEAT_STATUSES, deleted_at__isnull=True
    ).count()


def _check_seat_free(tenant_id):
    """Refuse when every seat is taken (TEN-17/18). Called under the tenant row lock."""
    tenant = Tenant.objects.select_for_update().get(pk=tenant_id)
    if seats_used(tenant_id) >= tenant.seats_total:
        raise BusinessError("seats_full", _("账号数已满，请先禁用或离职其他员工，或购买更多账号"), status=409)


def _check_supervisor(employee, supervisor):
    """Refuse self-supervision and cycles in the supervisor chain (ORG-13)."""
    if supervisor is None:
        return
    if employee is not None and supervisor.pk == employee.pk:
        raise BusinessError("supervisor_cycle", _("直属上级不能是自己"), status=409)
    if employee is None:
        return
    parents = dict(Employee.objects.filter(supervisor__isnull=False).values_list("pk", "supervisor_id"))
    seen, current = set(), supervisor.pk
    while current is not None and current not in seen:
        if current == employee.pk:
            raise BusinessError("supervisor_cycle", _("直属上级设置形成了循环"), status=409)
        seen.add(current)
        current = parents.get(current)


def _departments(ids):
    ids = [int(i) for i in ids or ()]
    found = list(Department.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise ValidationFailed({"department_ids": [_("部门不存在")]})
    by_id = {d.pk: d for d in found}
    return [by_id[i] for i in dict.fromkeys(ids)]


def _roles(ids):
    ids = [int(i) for i in ids or ()]
    found = list(Role.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise ValidationFailed({"role_ids": [_("角色不存在")]})
    return found


def employee_create(
    *,
    actor,
    account=None,
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
    password=None,
    exclude_from_stats=False,
):
    """Create an employee of the bound enterprise and return it.

    ``account`` is given by callers that act for the account's owner (registration). Otherwise a
    phone without an account gets a new one, born in this enterprise (with ``password``, which
    must be changed at the first web login). A phone that already has an account is *invited*:
    the employee is 未激活 with ``invitation="pending"``, the account is not linked for login, no
    password is written, and the person is told by SMS; they join by choosing the enterprise
    after logging in with their own credentials (``accounts.services.invitation_accept``).
    No role given → 普通员工 (ROLE-11).
    """
    phone = normalize_phone(phone)
    errors = {}
    if not (name or "").strip():
        errors["name"] = [_("请填写姓名")]
    if not is_mobile(phone):
        errors["phone"] = [_("请输入正确的11位手机号")]
    if username is not None and username != "" and (is_mobile(username) or "@" in username):
        errors["username"] = [_("用户名不能是手机号或邮箱")]
    if errors:
        raise ValidationFailed(errors)
    if Employee.objects.filter(phone=phone).exists():
        raise BusinessError("employee_exists", _("该手机号已是本企业员工"), status=409)
    if username and Employee.objects.filter(username=username).exists():
        raise BusinessError("username_taken", _("用户名已被占用"), status=409)
    with transaction.atomic():
        tenant_id = actor.tenant_id if actor else None
        invited = False
        if account is None:
            # Locked: an admin's reset elsewhere checks who knows the account under this lock.
            account = Account.objects.select_for_update().filter(phone=phone).first()
            if account is None:
                # The e-mail becomes a login only while no other account uses it (never say whose).
                login_email = (
                    email if email and not Account.objects.filter(email__iexact=email).exists() else None
                )
                account = Account(phone=phone, email=login_email)
                if password:
                    from tidecrm.accounts.services import validate_password

                    validate_password(password)
                    account.set_password(password)
                    account.password_enterprise_id = tenant_id  # known to this enterprise's admin
                    must_change_password = True
                try:
                    with transaction.atomic():
                        account.save()
                except IntegrityError:  # registered elsewhere a moment ago: invite it instead
                    account = Account.objects.filter(phone=phone).first()
                    if account is None:  # the e-mail was taken at the same moment
                        raise BusinessError("conflict", _("保存冲突，请重试"), status=409)
                    invited = True
            else:
                invited = True
        if invited:
            status, must_change_password = Status.INACTIVE, False
        if status in SEAT_STATUSES and tenant_id:
            _check_seat_free(tenant_id)
        if invited and tenant_id:
            _check_invitations_allowed(tenant_id)
        try:
            with transaction.atomic():
                employee = _employee_insert(
                    account=account,
                    name=name,
                    phone=phone,
                    email=email,
                    username=username,
                    title=title,
                    status=status,
                    supervisor=supervisor,
                    main_department=main_department,
                    must_change_password=must_change_password,
                    exclude_from_stats=exclude_from_stats,
                    invited=invited,
                )
        except IntegrityError:  # the same phone added by a second admin at the same moment
            raise BusinessError("employee_exists", _("该手机号已是本企业员工"), status=409) from None
        now = clock.now()
        Membership.objects.update_or_create(
            account=account,
            enterprise_id=employee.tenant_id,
            defaults={
                "employee_id": employee.pk,
                "username": employee.username,
                "invited_at": now if invited else None,
                "joined_at": None if invited else now,
            },
        )
        if invited:
            _send_invitation(employee, actor)
        role_objects = list(roles) + [system_role(key) for key in role_keys]
        if not role_objects:
            role_objects = [system_role(FALLBACK_ROLE_KEY)]
        EmployeeRole.objects.bulk_create(
            [
                EmployeeRole(tenant_id=employee.tenant_id, employee=employee, role=role)
                for role in role_objects
            ]
        )
        _set_departments(employee, list(departments), main_department)
        timeline.record(actor=actor or employee, verb="employee.created", obj=employee)
    return employee


def _employee_insert(*, name, email, username, title, invited, **fields):
    return Employee.objects.create(
        name=name.strip()[:40],
        email=email or "",
        username=username or None,
        title=title or "",
        invitation="pending" if invited else "",
        **fields,
    )


# Invitations an enterprise may send a day, and invitation SMS one phone may get a day: enough
# for onboarding a team, too few to use the product to spam or to probe who is registered.
INVITATIONS_PER_DAY = 200
INVITATION_SMS_PER_PHONE_PER_DAY = 3


def _check_invitations_allowed(tenant_id):
    since = clock.now() - timedelta(days=1)
    if (
        Membership.objects.filter(enterprise_id=tenant_id, invited_at__gte=since).count()
        >= INVITATIONS_PER_DAY
    ):
        raise Throttled("too_many_invitations", _("今日邀请已达上限，请明天再试"))


def _set_departments(employee, departments, main_department):
    if main_department is None and departments:
        main_department = departments[0]
    if main_department and main_department not in departments:
        departments.insert(0, main_department)
    EmployeeDepartment.objects.filter(employee=employee).delete()
    EmployeeDepartment.objects.bulk_create(
        [
            EmployeeDepartment(
                tenant_id=employee.tenant_id,
                employee=employee,
                department=department,
                is_main=(department == main_department),
            )
            for department in departments
        ]
    )
    if employee.main_department_id != (main_department.pk if main_department else None):
        employee.main_department = main_department
        employee.save(update_fields=["main_department"])


def employee_create_by_admin(
    *,
    actor,
    name,
    phone,
    title="",
    email="",
    username=None,
    department_ids=(),
    role_ids=(),
    supervisor_id=None,
    password=None,
    exclude_from_stats=False,
):
    """The admin's "添加员工" (ORG-04): validates ids, then :func:`employee_create`."""
    check(actor, "org.manage_employees")
    departments = _departments(department_ids)
    roles = _roles(role_ids)
    _check_administration(actor, departments=departments, roles=roles)
    supervisor = _employee_or_404(supervisor_id) if supervisor_id else None
    return employee_create(
        actor=actor,
        name=name,
        phone=phone,
        title=title,
        email=email,
        username=username or None,
        departments=departments,
        main_department=departments[0] if departments else None,
        roles=roles,
        supervisor=supervisor,
        password=password,
        exclude_from_stats=exclude_from_stats,
    )


def _is_administrator(employee):
    """Return whether ``employee`` is an administrator: the super admin, a holder of the 管理员
    system role, or of 企业设置 (``Employee.is_admin``)."""
    return employee.is_admin or any(role.system_key == "admin" for role in employee.role_list)


def _held_by_administrator(role):
    """Return whether ``role`` is 管理员 or an administrator holds it (editing it edits them)."""
    if role.system_key == "admin":
        return True
    admin_role_ids = [
        r.pk for r in Role.objects.all() if r.system_key == "admin" or "settings.enterprise" in r.permissions
    ]
    members = Employee.objects.filter(role_links__role=role, deleted_at__isnull=True)
    owner_id = Tenant.objects.filter(pk=role.tenant_id).values_list("owner_id", flat=True).first()
    return members.filter(Q(pk=owner_id) | Q(role_links__role_id__in=admin_role_ids)).exists()


def _role_rights(role=None, values=None):
    """Return (permission codes, {module: (scope, department ids)}) of ``role`` once ``values``
    (cleaned role fields) apply; ``role`` None is a new role (nothing, 本人 everywhere)."""
    values = values or {}
    permissions = set(values.get("permissions", role.permissions if role else ())) & set(REGISTRY)
    data_scopes = values.get("data_scopes", role.data_scopes if role else {})
    chosen = values.get("scope_departments", role.scope_departments if role else {})
    rights = {}
    for module in DATA_SCOPE_MODULES:
        scope = data_scopes.get(module, DataScope.SELF)
        departments = ()
        if scope == DataScope.DEPARTMENTS:
            departments = tuple(sorted({int(d) for d in chosen.get(module, ())}))
        rights[module] = (scope, departments)
    return permissions, rights


def _refuse_beyond(actor, permissions, rights, message):
    """Refuse ``permissions`` the actor lacks and data scopes wider than the actor's own."""
    beyond = sorted(permissions - set(actor.permission_codes))
    if beyond:
        labels = "、".join(str(REGISTRY[code].label) for code in beyond[:5])
        if len(beyond) > 5:
            labels += _("等%(n)s项") % {"n": len(beyond)}
        raise PermissionDenied(
            message=_("%(what)s：您自己没有这些权限（%(labels)s）") % {"what": message, "labels": labels}
        )
    wider = [
        module
        for module, (scope, departments) in rights.items()
        if not scopes.scope_within(actor, module, scope, departments)
    ]
    if wider:
        names = "、".join(
            _("%(module)s为“%(scope)s”")
            % {"module": DATA_SCOPE_LABELS[module], "scope": DataScope(rights[module][0]).label}
            for module in wider
        )
        raise PermissionDenied(
            message=_("%(what)s：数据权限超出了您自己的范围（%(names)s）") % {"what": message, "names": names}
        )


def _check_administration(
    actor,
    employee=None,
    *,
    departments=None,
    roles=None,
    role=None,
    role_values=None,
    placed=None,
    supervisor=None,
    subtree=None,
    opened=None,
):
    """The one rule against privilege escalation (ROLE-06/12, TEN-15): nobody grants what they do
    not hold, and nobody below an administrator manages an administrator.

    ``employee`` whose account is managed (edit, roles, status, password, department) must lie in
    the actor's 员工管理 scope, and an administrator's account is managed by administrators only;
    ``departments`` given to someone must lie inside the scope (and a limited admin must name one
    for a new employee); ``roles`` granted must carry no permission the actor lacks and no data
    scope wider than the actor's (管理员 itself: administrators only). ``role_values`` creating
    (``role`` None) or editing ``role``: it may add only permissions the actor holds and set only
    scopes within the actor's, and a role an administrator holds is edited by administrators only.
    A change of the organisation must not widen the actor's own data access (``_check_reach``):
    ``placed`` employees get new departments or a new ``supervisor``, the department ``subtree``
    moves, the account of ``opened`` is opened (a password set).
    The super admin passes (the owner-only rules are ``_refuse_owner``'s).
    """
    if actor is None or actor.is_super_admin:
        return
    if employee is not None:
        if not scopes.can_manage_employee(actor, employee):
            raise PermissionDenied(message=_("只能管理自己数据权限范围内（如本部门及下级部门）的员工"))
        if _is_administrator(employee) and not _is_administrator(actor):
            raise PermissionDenied(message=_("只有管理员可以管理管理员的账号"))
    if departments is not None:
        if not departments and employee is None and not scopes.scope_is_company(actor, "employee"):
            raise ValidationFailed({"department_ids": [_("请选择员工所在的部门")]})
        outside = scopes.departments_outside_scope(actor, departments)
        if outside:
            raise PermissionDenied(
                message=_("不能把员工放到您管理范围以外的部门：%(names)s")
                % {"names": "、".join(d.name for d in outside)}
            )
    for granted in roles or ():
        if granted.system_key == "admin" and not _is_administrator(actor):
            raise PermissionDenied(message=_("只有管理员可以分配管理员角色"))
        permissions, rights = _role_rights(granted)
        _refuse_beyond(
            actor, permissions, rights, _("不能分配超出自己权限的角色“%(name)s”") % {"name": granted.name}
        )
    if role_values is not None:
        if role is not None and not _is_administrator(actor) and _held_by_administrator(role):
            raise PermissionDenied(message=_("管理员持有的角色只有管理员可以修改"))
        before_permissions, before_rights = _role_rights(role)
        after_permissions, after_rights = _role_rights(role, role_values)
        changed = {m: r for m, r in after_rights.items() if r != before_rights[m]}
        _refuse_beyond(
            actor, after_permissions - before_permissions, changed, _("不能给角色授予超出自己的权限")
        )
    if placed is not None or subtree is not None or opened is not None:
        _check_reach(actor, placed=placed or (), supervisor=supervisor, subtree=subtree, opened=opened)


def _module_names(modules):
    return "、".join(str(DATA_SCOPE_LABELS[module]) for module in modules)


def _modules_not_covering(reach, owner_ids, modules=DATA_SCOPE_MODULES):
    """Return the modules of ``modules`` whose ``reach`` (``scopes.visible_owner_sets``) misses
    some of ``owner_ids``."""
    return [module for module in modules if reach[module] is not None and not owner_ids <= reach[module]]


def _check_reach(actor, *, placed=(), supervisor=None, subtree=None, opened=None):
    """Refuse an organisation change that would widen the actor's own data access (issue 11).

    Data scopes follow the organisation (本部门 covers the members of departments, supervisors
    see their reports), so reshaping it is granting: whoever is ``placed`` (new departments, main
    department or ``supervisor``) must already be within the actor's scope in every data-scope
    module; the actor's own place is changed by an administrator only; a new ``supervisor`` that
    is the actor or one of their reports must not bring reports the actor cannot see; a moved
    department ``subtree`` must hold only members the actor sees; and an ``opened`` account (a
    password set) must see nobody the actor does not. The super admin and whoever sees the whole
    company everywhere pass. Set-based: a few queries, not a few per employee.
    """
    if actor.is_super_admin or scopes.scope_is_company_everywhere(actor):
        return
    placed_ids = {employee.pk for employee in placed}
    if actor.pk in placed_ids and not _is_administrator(actor):
        raise PermissionDenied(
            message=_("不能调整自己的部门或直属上级：这会改变您自己的数据权限范围，请联系管理员")
        )
    reach = scopes.visible_owner_sets(actor)
    if placed_ids:
        outside_modules = _modules_not_covering(reach, placed_ids)
        if outside_modules:
            outside_ids = set().union(*(placed_ids - reach[module] for module in outside_modules))
            names = list(
                Employee.objects.filter(pk__in=sorted(outside_ids)[:3]).values_list("name", flat=True)
            )
            raise PermissionDenied(
                message=_(
                    "只能调整数据都在您数据权限范围内的员工的部门或上级：%(names)s的%(modules)s不在您的范围内"
                )
                % {
                    "names": "、".join(names)
                    + (_("等%(n)s人") % {"n": len(outside_ids)} if len(outside_ids) > 3 else ""),
                    "modules": _module_names(outside_modules),
                }
            )
    if supervisor is not None and supervisor.pk in {actor.pk} | scopes.subordinate_ids(actor):
        # The placed employees' reports come along into the actor's supervisor chain.
        reports = set().union(*(scopes.subordinate_ids(employee) for employee in placed))
        chain_modules = [module for module in DATA_SCOPE_MODULES if scopes.counts_subordinates(actor, module)]
        outside_modules = _modules_not_covering(reach, reports, chain_modules)
        if outside_modules:
            raise PermissionDenied(
                message=_(
                    "不能把该员工设为您或您下属的下级：其下属的%(modules)s不在您的数据权限范围内，这会扩大您的数据范围"
                )
                % {"modules": _module_names(outside_modules)}
            )
    if subtree is not None:
        outside_modules = _modules_not_covering(reach, scopes.department_member_ids(subtree))
        if outside_modules:
            raise PermissionDenied(
                message=_(
                    "不能移动部门“%(name)s”：其中有员工的%(modules)s不在您的数据权限范围内，移动会扩大您的数据范围"
                )
                % {"name": subtree.name, "modules": _module_names(outside_modules)}
            )
    if opened is not None:
        # Logging in as them gives their reach: it must lie within the actor's, module by module.
        theirs = scopes.visible_owner_sets(opened)
        outside_modules = [
            module
            for module in DATA_SCOPE_MODULES
            if reach[module] is not None and (theirs[module] is None or not theirs[module] <= reach[module])
        ]
        if outside_modules:
            raise PermissionDenied(
                message=_("该员工可见的%(modules)s超出您的数据范围，不能由您重置密码，请联系管理员")
                % {"modules": _module_names(outside_modules)}
            )


def _refuse_owner(employee, action):
    if employee.is_super_admin:
        raise BusinessError(
            "super_admin_immutable", _("不能对超级管理员执行“%(a)s”") % {"a": action}, status=409
        )


def can_administer(*, actor, employee):
    """Return whether ``actor`` may manage the account of ``employee`` (the drawer's actions):
    the same rule as the services, asked without acting."""
    if employee.is_super_admin or not actor.has_permission("org.manage_employees"):
        return False
    try:
        _check_administration(actor, employee)
    except BusinessError:
        return False
    return True


def employee_update(*, actor, employee, **fields):
    """Edit an employee's profile, departments, roles, supervisor, statistics flag (ORG-06)."""
    check(actor, "org.manage_employees")
    simple = {
        k: fields[k] for k in ("name", "title", "email", "exclude_from_stats") if fields.get(k) is not None
    }
    if "name" in simple and not simple["name"].strip():
        raise ValidationFailed({"name": [_("请填写姓名")]})
    with transaction.atomic():
        employee = Employee.objects.select_for_update().get(pk=employee.pk)
        _check_administration(actor, employee)
        supervisor = departments = None
        supervisor_changed = departments_changed = False
        if "supervisor_id" in fields:
            supervisor = _employee_or_404(fields["supervisor_id"]) if fields["supervisor_id"] else None
            _check_supervisor(employee, supervisor)
            supervisor_changed = employee.supervisor_id != (supervisor.pk if supervisor else None)
        if fields.get("department_ids") is not None:
            departments = _departments(fields["department_ids"])
            _check_administration(actor, departments=departments)
            before = sorted(
                EmployeeDepartment.objects.filter(employee=employee).values_list("department_id", flat=True)
            )
            departments_changed = before != sorted(
                d.pk for d in departments
            ) or employee.main_department_id != (departments[0].pk if departments else None)
        if supervisor_changed or departments_changed:
            # Scopes follow departments and supervisors: the new place must not widen the actor's.
            _check_administration(
                actor, placed=[employee], supervisor=supervisor if supervisor_changed else None
            )
        changes = timeline.diff(employee, simple, list(simple))
        if fields.get("username") is not None and fields["username"] != (employee.username or ""):
            if employee.username:
                raise BusinessError("username_immutable", _("用户名唯一且不可修改"), status=409)
            if Employee.objects.filter(username=fields["username"]).exists():
                raise BusinessError("username_taken", _("用户名已被占用"), status=409)
            simple["username"] = fields["username"]
            changes["username"] = [None, fields["username"]]
            Membership.objects.filter(
                account_id=employee.account_id, enterprise_id=employee.tenant_id
            ).update(username=fields["username"])
        if supervisor_changed:
            changes["supervisor"] = [employee.supervisor_id, supervisor.pk if supervisor else None]
            employee.supervisor = supervisor
        for field, value in simple.items():
            setattr(employee, field, value)
        employee.save()
        if departments is not None:
            _set_departments(employee, departments, departments[0] if departments else None)
            if before != sorted(d.pk for d in departments):
                changes["departments"] = [before, [d.pk for d in departments]]
        if fields.get("role_ids") is not None:
            if employee.is_super_admin and actor.pk != employee.pk:
                _refuse_owner(employee, _("调整角色"))
            roles = _roles(fields["role_ids"])
            _check_administration(actor, roles=roles)
            employee_set_roles(actor=actor, employee=employee, roles=roles)
        if changes:
            timeline.record(actor=actor, verb="employee.updated", obj=employee, changes=changes)
    return employee


@dataclass(frozen=True)
class StatusChange:
    """One employee status transition (ORG-08..10, 18): where it may start, where it ends."""

    label: str
    to: str
    allowed_from: tuple
    needs_seat: bool = False  # enabling, activating and restoring occupy a seat again


# 禁用 / 启用 / 激活 / 办理离职 / 恢复. Disabled and resigned employees free their seat (TEN-18).
STATUS_CHANGES = {
    "disable": StatusChange(gettext_lazy("禁用"), Status.DISABLED, (Status.ACTIVE, Status.INACTIVE)),
    "enable": StatusChange(gettext_lazy("启用"), Status.ACTIVE, (Status.DISABLED,), needs_seat=True),
    "activate": StatusChange(gettext_lazy("激活"), Status.ACTIVE, (Status.INACTIVE,), needs_seat=True),
    "resign": StatusChange(
        gettext_lazy("离职"), Status.RESIGNED, (Status.ACTIVE, Status.INACTIVE, Status.DISABLED)
    ),
    "restore": StatusChange(gettext_lazy("恢复"), Status.ACTIVE, (Status.RESIGNED,), needs_seat=True),
}


def employee_change_status(*, actor, employee, action):
    """Apply the status change ``action`` (a key of STATUS_CHANGES) to one employee.

    Refusals: ``super_admin_immutable``, ``cannot_change_self``, ``invalid_transition``,
    ``seats_full``. Resigning stamps ``resigned_at``; the records wait for inheritance (INH-04).
    """
    check(actor, "org.manage_employees")
    change = STATUS_CHANGES[action]
    with transaction.atomic():
        employee = Employee.objects.select_for_update().get(pk=employee.pk)
        _refuse_owner(employee, change.label)
        _check_administration(actor, employee)
        if employee.pk == actor.pk:
            raise BusinessError(
                "cannot_change_self", _("不能对自己执行“%(a)s”") % {"a": change.label}, status=409
            )
        if employee.status not in change.allowed_from:
            raise BusinessError(
                "invalid_transition",
                _("员工当前状态“%(s)s”不能%(a)s") % {"s": employee.get_status_display(), "a": change.label},
                status=409,
            )
        if change.to == Status.ACTIVE and employee.invitation:
            raise BusinessError(
                "invitation_pending",
                _("该员工尚未接受加入企业的邀请，接受后自动激活")
                if employee.invitation == "pending"
                else _("该员工已拒绝加入企业的邀请，不能激活"),
                status=409,
            )
        if change.needs_seat:
            _check_seat_free(employee.tenant_id)
        before = employee.status
        employee.status = change.to
        if action == "resign":
            employee.resigned_at = clock.now()
        elif action == "restore":
            employee.resigned_at = None
        employee.save()
        timeline.record(
            actor=actor, verb=f"employee.{action}", obj=employee, changes={"status": [before, change.to]}
        )
    return employee


def employee_disable(*, actor, employee):
    return employee_change_status(actor=actor, employee=employee, action="disable")


def employee_enable(*, actor, employee):
    return employee_change_status(actor=actor, employee=employee, action="enable")


def employee_activate(*, actor, employee):
    return employee_change_status(actor=actor, employee=employee, action="activate")


def employee_resign(*, actor, employee):
    return employee_change_status(actor=actor, employee=employee, action="resign")


def employee_restore(*, actor, employee):
    return employee_change_status(actor=actor, employee=employee, action="restore")


def employees_change_status(*, actor, employee_ids, action):
    """Batch 禁用 / 办理离职 / ... : each employee succeeds or fails on its own."""
    check(actor, "org.manage_employees")
    if action not in STATUS_CHANGES:
        raise ValidationFailed({"action": [_("未知的操作")]})
    return each_independently(
        employee_ids,
        lambda pk: employee_change_status(actor=actor, employee=_employee_or_404(pk), action=action),
    )


def employees_set_roles(*, actor, employee_ids, role_ids):
    """Batch 分配角色 (ROLE-06): replace the roles of each employee; the super admin is refused."""
    check(actor, "org.manage_employees")
    roles = _roles(role_ids)
    _check_administration(actor, roles=roles)

    def apply(pk):
        employee = _employee_or_404(pk)
        _refuse_owner(employee, _("调整角色"))
        _check_administration(actor, employee)
        employee_set_roles(actor=actor, employee=employee, roles=roles)

    return each_independently(employee_ids, apply)


def employee_delete(*, actor, employee):
    """Delete = resign + account recycle bin (ORG-11); history keeps the name."""
    check(actor, "org.manage_employees")
    _refuse_owner(employee, _("删除"))
    _check_administration(actor, employee)
    with transaction.atomic():
        if employee.status != Status.RESIGNED:
            employee = employee_resign(actor=actor, employee=employee)
        Employee.objects.filter(pk=employee.pk).update(deleted_at=clock.now())
        timeline.record(actor=actor, verb="employee.deleted", obj=employee)


def employee_undelete(*, actor, employee):
    """Take an employee back out of the account recycle bin (ORG-11); they stay 已离职 until restored."""
    check(actor, "org.manage_employees")
    _check_administration(actor, employee)
    with transaction.atomic():
        restored = Employee.objects.filter(pk=employee.pk, deleted_at__isnull=False).update(deleted_at=None)
        if not restored:
            raise BusinessError("invalid_transition", _("该员工不在回收站中"), status=409)
        timeline.record(actor=actor, verb="employee.undeleted", obj=employee)
    employee.deleted_at = None
    return employee


def employees_move(*, actor, employee_ids, department_id):
    """Batch "移动" (ORG-03): make ``department_id`` the main (and only) department of each."""
    check(actor, "org.manage_employees")
    department = _departments([department_id])[0]
    _check_administration(actor, departments=[department])
    employees = list(Employee.objects.filter(pk__in=employee_ids, deleted_at__isnull=True))
    if len(employees) != len(set(employee_ids)):
        raise NotFound()
    for employee in employees:
        _check_administration(actor, employee)
    _check_administration(actor, placed=employees)
    with transaction.atomic():
        for employee in employees:
            _set_departments(employee, [department], department)
            timeline.record(
                actor=actor,
                verb="employee.moved",
                obj=employee,
                changes={"main_department": [employee.main_department_id, department.pk]},
            )
    return employees


def password_reset_by_admin(*, actor, employee, password):
    """重置密码 (ORG-06): set a new initial password; the employee must change it at next login.

    Only for an account that belongs to this enterprise alone (``credentials.is_exclusive_to``):
    an invited person's account is refused (``invitation_pending``), and an account that other
    enterprises share is never written — the person is sent a reset code instead and the call
    answers ``account_shared`` (409) saying so. The new password revokes the account's API tokens.
    """
    from tidecrm.accounts.services import validate_password

    check(actor, "org.manage_employees")
    _refuse_owner(employee, _("重置密码"))
    # Setting someone's password is logging in as them: it grants their rights to the actor.
    check_acting_as(
        actor=actor,
        employee=employee,
        message=_("该员工拥有超出您的权限或数据范围，不能由您重置密码，请联系管理员"),
    )
    validate_password(password)
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=employee.account_id)
        if employee.invitation:
            raise BusinessError(
                "invitation_pending", _("对方尚未接受加入企业的邀请，不能为其设置密码"), status=409
            )
        shared = not credentials.is_exclusive_to(account, employee.tenant_id)
        if not shared:
            account.set_password(password)
            account.password_enterprise_id = employee.tenant_id  # known to this enterprise's admin
            account.save(update_fields=["password", "password_enterprise_id"])
            credentials.revoke_tokens(account)
            Employee.objects.filter(pk=employee.pk).update(must_change_password=True)
            timeline.record(actor=actor, verb="employee.password_reset", obj=employee)
    if shared:
        sent = _send_reset_code(account.phone)
        message = _("该员工的账号同时属于其他企业，管理员不能设置其密码。")
        if sent:
            message += _("已向其手机发送找回密码验证码，请其在登录页「忘记密码」自行设置新密码。")
        else:
            message += _("请其在登录页「忘记密码」用手机验证码自行设置新密码。")
        raise BusinessError("account_shared", message, status=409, details={"reset_code_sent": sent})


def _send_reset_code(phone):
    """Send the person a password-reset code; False when throttled (a code went out just now)."""
    from tidecrm.accounts.codes import code_send
    from tidecrm.accounts.models import VerificationCode

    try:
        code_send(phone=phone, purpose=VerificationCode.Purpose.RESET)
    except BusinessError:
        return False
    return True


def _send_invitation(employee, actor):
    """Tell an invited person by SMS, once the employee row is committed (never for a rollback)."""
    tenant_name = Tenant.objects.filter(pk=employee.tenant_id).values_list("name", flat=True).first()
    since = clock.now() - timedelta(days=1)
    if (
        Membership.objects.filter(account_id=employee.account_id, invited_at__gte=since).count()
        > INVITATION_SMS_PER_PHONE_PER_DAY
    ):
        return  # the invitation stands (the person sees it when they log in); no more SMS today
    # Names typed by whoever registered an enterprise: short, on one line, in the SMS.
    tenant_name = " ".join((tenant_name or "").split())[:30]
    inviter = " ".join((actor.name if actor else tenant_name).split())[:20]
    text = _(
        "【潮汐CRM】%(who)s邀请您加入企业「%(tenant)s」。请用本手机号登录潮汐CRM，"
        "在企业列表中选择「%(tenant)s」即可接受邀请；如不认识对方，请忽略本短信。"
    ) % {"who": inviter, "tenant": tenant_name}

    def deliver():
        try:
            send_sms(employee.phone, text)
        except BusinessError:  # the invitation stands; the person also sees it when they log in
            pass

    transaction.on_commit(deliver)


def invitation_join(*, employee):
    """The invited person accepted: the employee becomes 在职 (needs a free seat, TEN-18).

    Called by ``accounts.services.invitation_accept`` inside its transaction, with the
    employee's tenant bound; raises ``seats_full`` and changes nothing when no seat is free.
    """
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    if employee.invitation != "pending":
        raise NotFound()
    before = employee.status
    if employee.status == Status.INACTIVE:
        _check_seat_free(employee.tenant_id)
        employee.status = Status.ACTIVE
    employee.invitation = ""
    employee.save(update_fields=["status", "invitation"])
    timeline.record(
        actor=employee,
        verb="employee.invitation_accepted",
        obj=employee,
        changes={"status": [before, employee.status]} if before != employee.status else None,
    )
    return employee


def invitation_decline(*, employee):
    """The invited person declined: the employee stays 未激活, marked 已拒绝邀请."""
    updated = Employee.objects.filter(pk=employee.pk, invitation="pending").update(invitation="declined")
    if not updated:
        raise NotFound()
    timeline.record(actor=employee, verb="employee.invitation_declined", obj=employee)


def may_act_as(*, actor, employee):
    """Whether the drawer offers 重置密码: :func:`check_acting_as` asked without acting."""
    if employee.is_super_admin or employee.invitation or not actor.has_permission("org.manage_employees"):
        return False
    try:
        check_acting_as(actor=actor, employee=employee)
    except BusinessError:
        return False
    return True


def check_acting_as(*, actor, employee, message=None):
    """Refuse ``actor`` a way to act as ``employee`` (a password they set, a token they mint):
    that is granting themselves the employee's rights, so it needs what a grant needs — the
    account within the actor's administration, the employee's roles within the actor's, and
    everyone the employee sees already seen by the actor."""
    _check_administration(actor, employee)
    try:
        _check_administration(actor, roles=employee.role_list)
    except PermissionDenied:
        raise PermissionDenied(
            message=message or _("该员工拥有超出您的权限或数据范围，不能代其操作，请联系管理员")
        ) from None
    # Equal scopes mean other people for them (本人, 本部门, their reports): compare whom each sees.
    _check_administration(actor, opened=employee)
