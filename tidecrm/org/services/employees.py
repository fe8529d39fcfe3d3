"""Employees (SPEC ORG-03..16, ORG-18, ROLE-06/11, TEN-17/18): create (or invite) one, the
admin's "添加员工", edit the profile, departments, supervisor and roles, the status changes
(禁用 / 启用 / 激活 / 离职 / 恢复) one by one or in batches, delete to and undelete from the
account recycle bin, and batch moves. Every write passes
``administration._check_administration``."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tidecrm.accounts.credentials import validate_password
from tidecrm.accounts.models import Account, Membership
from tidecrm.core import clock, codes, timeline
from tidecrm.core.bulk import BulkResult, each_independently
from tidecrm.core.errors import BusinessError, NotFound, ValidationFailed
from tidecrm.core.normalize import is_mobile, normalize_phone
from tidecrm.core.permissions import check

from .. import verbs
from ..models import Department, Employee, EmployeeDepartment, EmployeeRole, Role
from ..scopes import organisation_changed
from ._common import SEAT_STATUSES, Status, _check_seat_free, _employee_or_404
from .administration import _check_administration, _refuse_owner
from .invitations import _check_invitations_allowed, _send_invitation
from .roles import FALLBACK_ROLE_KEY, employee_set_roles, system_role

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _check_supervisor(employee: Employee | None, supervisor: Employee | None) -> None:
    """Refuse self-supervision and cycles in the supervisor chain (ORG-13)."""
    if supervisor is None:
        return
    if employee is not None and supervisor.pk == employee.pk:
        raise BusinessError(codes.SUPERVISOR_CYCLE, _("直属上级不能是自己"), status=409)
    if employee is None:
        return
    parents = dict(Employee.objects.filter(supervisor__isnull=False).values_list("pk", "supervisor_id"))
    seen: set[int] = set()
    current: int | None = supervisor.pk
    while current is not None and current not in seen:
        if current == employee.pk:
            raise BusinessError(codes.SUPERVISOR_CYCLE, _("直属上级设置形成了循环"), status=409)
        seen.add(current)
        current = parents.get(current)


def _departments(ids: Iterable[int | str] | None) -> list[Department]:
    ids = [int(i) for i in ids or ()]
    found = list(Department.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise ValidationFailed({"department_ids": [_("部门不存在")]})
    by_id = {d.pk: d for d in found}
    return [by_id[i] for i in dict.fromkeys(ids)]


def _roles(ids: Iterable[int | str] | None) -> list[Role]:
    ids = [int(i) for i in ids or ()]
    found = list(Role.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise ValidationFailed({"role_ids": [_("角色不存在")]})
    return found


def employee_create(
    *,
    actor: Employee | None,
    account: Account | None = None,
    name: str,
    phone: str,
    email: str = "",
    username: str | None = None,
    title: str = "",
    role_keys: Iterable[str] = (),
    roles: Iterable[Role] = (),
    departments: Iterable[Department] = (),
    main_department: Department | None = None,
    supervisor: Employee | None = None,
    status: str = Employee.Status.ACTIVE,
    must_change_password: bool = False,
    password: str | None = None,
    exclude_from_stats: bool = False,
) -> Employee:
    """Create an employee of the bound enterprise and return it.

    ``account`` is given by callers that act for the account's owner (registration). Otherwise a
    phone without an account gets a new one, born in this enterprise (with ``password``, which
    must be changed at the first web login). A phone that already has an account is *invited*:
    the employee is 未激活 with ``invitation="pending"``, the account is not linked for login, no
    password is written, and the person is told by SMS; they join by choosing the enterprise
    after logging in with their own credentials (``signin.services.invitation_accept``).
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
        raise BusinessError(codes.EMPLOYEE_EXISTS, _("该手机号已是本企业员工"), status=409)
    if username and Employee.objects.filter(username=username).exists():
        raise BusinessError(codes.USERNAME_TAKEN, _("用户名已被占用"), status=409)
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
                        raise BusinessError(codes.CONFLICT, _("保存冲突，请重试"), status=409)
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
            raise BusinessError(codes.EMPLOYEE_EXISTS, _("该手机号已是本企业员工"), status=409) from None
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
        timeline.record(actor=actor or employee, verb=verbs.EMPLOYEE_CREATED, obj=employee)
        organisation_changed(employee.tenant_id)  # a new member of subtrees, a new report
    return employee


def _employee_insert(
    *, name: str, email: str | None, username: str | None, title: str | None, invited: bool, **fields: Any
) -> Employee:
    return Employee.objects.create(
        name=name.strip()[:40],
        email=email or "",
        username=username or None,
        title=title or "",
        invitation="pending" if invited else "",
        **fields,
    )


def _set_departments(
    employee: Employee, departments: list[Department], main_department: Department | None
) -> None:
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
    organisation_changed(employee.tenant_id)


def employee_create_by_admin(
    *,
    actor: Employee,
    name: str,
    phone: str,
    title: str = "",
    email: str = "",
    username: str | None = None,
    department_ids: Iterable[int] = (),
    role_ids: Iterable[int] = (),
    supervisor_id: int | None = None,
    password: str | None = None,
    exclude_from_stats: bool = False,
) -> Employee:
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


def employee_update(*, actor: Employee, employee: Employee, **fields: Any) -> Employee:
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
                raise BusinessError(codes.USERNAME_IMMUTABLE, _("用户名唯一且不可修改"), status=409)
            if Employee.objects.filter(username=fields["username"]).exists():
                raise BusinessError(codes.USERNAME_TAKEN, _("用户名已被占用"), status=409)
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
        if supervisor_changed:
            organisation_changed(employee.tenant_id)  # departments and roles: their helpers do
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
            timeline.record(actor=actor, verb=verbs.EMPLOYEE_UPDATED, obj=employee, changes=changes)
    return employee


@dataclass(frozen=True)
class StatusChange:
    """One employee status transition (ORG-08..10, 18): where it may start, where it ends."""

    label: "StrOrPromise"
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


def employee_change_status(*, actor: Employee, employee: Employee, action: str) -> Employee:
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
                codes.CANNOT_CHANGE_SELF, _("不能对自己执行“%(a)s”") % {"a": change.label}, status=409
            )
        if employee.status not in change.allowed_from:
            raise BusinessError(
                codes.INVALID_TRANSITION,
                _("员工当前状态“%(s)s”不能%(a)s") % {"s": employee.get_status_display(), "a": change.label},
                status=409,
            )
        if change.to == Status.ACTIVE and employee.invitation:
            raise BusinessError(
                codes.INVITATION_PENDING,
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
        organisation_changed(employee.tenant_id)
        timeline.record(
            actor=actor, verb=f"employee.{action}", obj=employee, changes={"status": [before, change.to]}
        )
    return employee


def employee_disable(*, actor: Employee, employee: Employee) -> Employee:
    """禁用 (ORG-08): see :func:`employee_change_status`."""
    return employee_change_status(actor=actor, employee=employee, action="disable")


def employee_enable(*, actor: Employee, employee: Employee) -> Employee:
    """启用 (needs a free seat): see :func:`employee_change_status`."""
    return employee_change_status(actor=actor, employee=employee, action="enable")


def employee_activate(*, actor: Employee, employee: Employee) -> Employee:
    """激活 (needs a free seat): see :func:`employee_change_status`."""
    return employee_change_status(actor=actor, employee=employee, action="activate")


def employee_resign(*, actor: Employee, employee: Employee) -> Employee:
    """办理离职 (ORG-10; the records wait for inheritance): see :func:`employee_change_status`."""
    return employee_change_status(actor=actor, employee=employee, action="resign")


def employee_restore(*, actor: Employee, employee: Employee) -> Employee:
    """恢复 a resigned employee (needs a free seat): see :func:`employee_change_status`."""
    return employee_change_status(actor=actor, employee=employee, action="restore")


def employees_change_status(*, actor: Employee, employee_ids: Iterable[int], action: str) -> BulkResult:
    """Batch 禁用 / 办理离职 / ... : each employee succeeds or fails on its own."""
    check(actor, "org.manage_employees")
    if action not in STATUS_CHANGES:
        raise ValidationFailed({"action": [_("未知的操作")]})
    return each_independently(
        employee_ids,
        lambda pk: employee_change_status(actor=actor, employee=_employee_or_404(pk), action=action),
    )


def employees_set_roles(
    *, actor: Employee, employee_ids: Iterable[int], role_ids: Iterable[int]
) -> BulkResult:
    """Batch 分配角色 (ROLE-06): replace the roles of each employee; the super admin is refused."""
    check(actor, "org.manage_employees")
    roles = _roles(role_ids)
    _check_administration(actor, roles=roles)

    def apply(pk: int) -> None:
        employee = _employee_or_404(pk)
        _refuse_owner(employee, _("调整角色"))
        _check_administration(actor, employee)
        employee_set_roles(actor=actor, employee=employee, roles=roles)

    return each_independently(employee_ids, apply)


def employee_delete(*, actor: Employee, employee: Employee) -> None:
    """Delete = resign + account recycle bin (ORG-11); history keeps the name."""
    check(actor, "org.manage_employees")
    _refuse_owner(employee, _("删除"))
    _check_administration(actor, employee)
    with transaction.atomic():
        if employee.status != Status.RESIGNED:
            employee = employee_resign(actor=actor, employee=employee)
        Employee.objects.filter(pk=employee.pk).update(deleted_at=clock.now())
        organisation_changed(employee.tenant_id)
        timeline.record(actor=actor, verb=verbs.EMPLOYEE_DELETED, obj=employee)


def employee_undelete(*, actor: Employee, employee: Employee) -> Employee:
    """Take an employee back out of the account recycle bin (ORG-11); they stay 已离职 until restored."""
    check(actor, "org.manage_employees")
    _check_administration(actor, employee)
    with transaction.atomic():
        restored = Employee.objects.filter(pk=employee.pk, deleted_at__isnull=False).update(deleted_at=None)
        if not restored:
            raise BusinessError(codes.INVALID_TRANSITION, _("该员工不在回收站中"), status=409)
        organisation_changed(employee.tenant_id)
        timeline.record(actor=actor, verb=verbs.EMPLOYEE_UNDELETED, obj=employee)
    employee.deleted_at = None
    return employee


def employees_move(*, actor: Employee, employee_ids: Sequence[int], department_id: int) -> list[Employee]:
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
                verb=verbs.EMPLOYEE_MOVED,
                obj=employee,
                changes={"main_department": [employee.main_department_id, department.pk]},
            )
    return employees
