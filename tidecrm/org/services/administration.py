"""The one rule against privilege escalation (SPEC ROLE-06/12, TEN-15, issue 11) and the
questions asked with it: may the actor manage this account (``can_administer``), act as this
employee (``check_acting_as``, ``may_act_as``), and which acts are refused on the super admin
(``_refuse_owner``). Security-critical: every organisation write goes through
``_check_administration``; nobody grants what they do not hold, and a change of the organisation
must not widen the actor's own data access (``_check_reach``)."""

from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from tidecrm.core import codes
from tidecrm.core.errors import BusinessError, PermissionDenied, ValidationFailed
from tidecrm.core.models import Tenant
from tidecrm.core.permissions import REGISTRY

from .. import scopes
from ..models import DATA_SCOPE_LABELS, DATA_SCOPE_MODULES, DataScope, Department, Employee, Role

# {module: (scope, department ids)}: what a role lets its holders see, module by module.
Rights = dict[str, tuple[str, tuple[int, ...]]]

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_is_administrator = scopes.is_administrator


def _held_by_administrator(role: Role) -> bool:
    """Return whether ``role`` is 管理员 or an administrator holds it (editing it edits them)."""
    if role.system_key == "admin":
        return True
    members = Employee.objects.filter(role_links__role=role, deleted_at__isnull=True)
    owner_id = Tenant.objects.filter(pk=role.tenant_id).values_list("owner_id", flat=True).first()
    return members.filter(scopes.administrators_q(owner_id)).exists()


def _role_rights(
    role: Role | None = None, values: Mapping[str, Any] | None = None
) -> tuple[set[str], Rights]:
    """Return (permission codes, {module: (scope, department ids)}) of ``role`` once ``values``
    (cleaned role fields) apply; ``role`` None is a new role (nothing, 本人 everywhere)."""
    values = values or {}
    permissions = set(values.get("permissions", role.permissions if role else ())) & set(REGISTRY)
    data_scopes = values.get("data_scopes", role.data_scopes if role else {})
    chosen = values.get("scope_departments", role.scope_departments if role else {})
    rights: Rights = {}
    for module in DATA_SCOPE_MODULES:
        scope = data_scopes.get(module, DataScope.SELF)
        departments: tuple[int, ...] = ()
        if scope == DataScope.DEPARTMENTS:
            departments = tuple(sorted({int(d) for d in chosen.get(module, ())}))
        rights[module] = (scope, departments)
    return permissions, rights


def _refuse_beyond(actor: Employee, permissions: set[str], rights: Rights, message: str) -> None:
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
    actor: Employee | None,
    employee: Employee | None = None,
    *,
    departments: Collection[Department] | None = None,
    roles: Iterable[Role] | None = None,
    role: Role | None = None,
    role_values: Mapping[str, Any] | None = None,
    placed: Collection[Employee] | None = None,
    supervisor: Employee | None = None,
    subtree: Department | None = None,
    opened: Employee | None = None,
) -> None:
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


def _module_names(modules: Iterable[str]) -> str:
    return "、".join(str(DATA_SCOPE_LABELS[module]) for module in modules)


def _within(theirs: set[int] | None, mine: set[int] | None) -> bool:
    """Whether an owner set lies within another (None: the whole company)."""
    if mine is None:
        return True
    return theirs is not None and theirs <= mine


def _modules_not_covering(
    reach: Mapping[str, set[int] | None], owner_ids: set[int], modules: Iterable[str] = DATA_SCOPE_MODULES
) -> list[str]:
    """Return the modules of ``modules`` whose ``reach`` (``scopes.visible_owner_sets``) misses
    some of ``owner_ids``."""
    return [module for module in modules if (seen := reach[module]) is not None and not owner_ids <= seen]


def _check_reach(
    actor: Employee,
    *,
    placed: Collection[Employee] = (),
    supervisor: Employee | None = None,
    subtree: Department | None = None,
    opened: Employee | None = None,
) -> None:
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
            outside_ids = set().union(*(placed_ids - (reach[module] or set()) for module in outside_modules))
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
            module for module in DATA_SCOPE_MODULES if not _within(theirs[module], reach[module])
        ]
        if outside_modules:
            raise PermissionDenied(
                message=_("该员工可见的%(modules)s超出您的数据范围，不能由您重置密码，请联系管理员")
                % {"modules": _module_names(outside_modules)}
            )


def _refuse_owner(employee: Employee, action: "StrOrPromise") -> None:
    if employee.is_super_admin:
        raise BusinessError(
            codes.SUPER_ADMIN_IMMUTABLE, _("不能对超级管理员执行“%(a)s”") % {"a": action}, status=409
        )


def can_administer(*, actor: Employee, employee: Employee) -> bool:
    """Return whether ``actor`` may manage the account of ``employee`` (the drawer's actions):
    the same rule as the services, asked without acting."""
    if employee.is_super_admin or not actor.has_permission("org.manage_employees"):
        return False
    try:
        _check_administration(actor, employee)
    except BusinessError:
        return False
    return True


def may_act_as(*, actor: Employee, employee: Employee) -> bool:
    """Whether the drawer offers 重置密码: :func:`check_acting_as` asked without acting."""
    if employee.is_super_admin or employee.invitation or not actor.has_permission("org.manage_employees"):
        return False
    try:
        check_acting_as(actor=actor, employee=employee)
    except BusinessError:
        return False
    return True


def check_acting_as(*, actor: Employee, employee: Employee, message: str | None = None) -> None:
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
