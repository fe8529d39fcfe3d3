"""The data-scope engine (数据权限, ROLE-04/05/10): who may see whose records, as one SQL filter.

``visible_owner_q(actor, module)`` returns a ``Q`` over the owner column of a module's records:
owner within the union of the actor's role scopes for that module, OR owner among the actor's
subordinates (Q-22: supervisors see their subordinates, on by default), OR anything the module
adds (collaborators). Lists, details, exports and statistics all filter with it, and a record
outside it is answered 404.
"""

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextvars import ContextVar, Token
from typing import Any

from django.db.models import Q

from tidecrm.core.tenancy import require_tenant

from .models import (
    DATA_SCOPE_MODULES,
    DataScope,
    Department,
    Employee,
    EmployeeDepartment,
    EmployeeRole,
    OrganisationVersion,
    Role,
)

SCOPE_RANK: dict[str, int] = {
    DataScope.SELF: 0,
    DataScope.SUBORDINATES: 1,
    DataScope.DEPARTMENT: 2,
    DataScope.DEPARTMENTS: 2,
    DataScope.COMPANY: 3,
}


def effective_scopes(actor: Employee, module: str) -> tuple[set[str], set[int]]:
    """Return (scopes, department_ids) for ``module``: the union over the actor's roles."""
    if module not in DATA_SCOPE_MODULES:
        raise ValueError(f"unknown data-scope module {module!r}")
    if actor.is_super_admin:
        return {DataScope.COMPANY}, set()
    scopes, departments = set(), set()
    for role in actor.role_list:
        scope = role.data_scopes.get(module, DataScope.SELF)
        scopes.add(scope)
        if scope == DataScope.DEPARTMENTS:
            departments.update(role.scope_departments.get(module, []))
    return scopes or {DataScope.SELF}, departments


def subordinate_ids(actor: Employee) -> set[int]:
    """Return the ids of everyone below ``actor`` in the supervisor chain (transitively).

    One recursive query down the (tenant, supervisor) index: it reads the actor's reports and
    theirs, not the whole enterprise (5,000 employees stay fast). UNION ends supervisor cycles.
    """
    from django.db import connection

    table = connection.ops.quote_name(Employee._meta.db_table)
    if connection.vendor == "postgresql":
        # Each level's reports looked up by the (tenant, supervisor) index: as a plain join the
        # planner expects thousands of rows per level and hashes the whole employee table, at
        # every level (twice the time at 5,000 employees). OFFSET 0 keeps the lateral lookup.
        step = (
            f"SELECT e.id FROM below b CROSS JOIN LATERAL "
            f"(SELECT id FROM {table} WHERE tenant_id = %s AND supervisor_id = b.id OFFSET 0) e"
        )
    else:
        step = f"SELECT e.id FROM {table} e JOIN below b ON e.supervisor_id = b.id WHERE e.tenant_id = %s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH RECURSIVE below(id) AS (
                    SELECT id FROM {table} WHERE tenant_id = %s AND supervisor_id = %s
                    UNION
                    {step}
                )
                SELECT id FROM below""",
            [actor.tenant_id, actor.pk, actor.tenant_id],
        )
        return {pk for (pk,) in cursor.fetchall() if pk != actor.pk}


def _scope_department_ids(actor: Employee, scopes: set[str], listed_departments: Iterable[int]) -> set[int]:
    """The departments whose subtrees a non-company scope covers: the listed ones, plus the
    actor's own departments for 本部门."""
    department_ids = set(listed_departments)
    if DataScope.DEPARTMENT in scopes:
        department_ids |= set(
            EmployeeDepartment.objects.filter(employee=actor).values_list("department_id", flat=True)
        )
    return department_ids


def _subtree_member_ids(department_ids: Iterable[int]) -> set[int]:
    """Return the ids of employees whose main department lies in the subtrees of ``department_ids``."""
    paths = list(Department.objects.filter(pk__in=department_ids).values_list("path", flat=True))
    if not paths:
        return set()
    condition = Q()
    for path in paths:
        condition |= Q(main_department__path__startswith=path)
    return set(Employee.objects.filter(condition).values_list("pk", flat=True))


def visible_owner_ids(actor: Employee, module: str, *, include_subordinates: bool = True) -> list[int] | None:
    """Return the sorted ids of the owners whose records ``actor`` may see in ``module``, or None
    when the scope is the whole company (cached across requests: see :func:`_cached_owners`)."""
    return _cached_owners(
        actor, (module, include_subordinates), lambda: _owner_ids(actor, module, include_subordinates)
    )


def _owner_ids(actor: Employee, module: str, include_subordinates: bool) -> list[int] | None:
    scopes, listed_departments = effective_scopes(actor, module)
    if DataScope.COMPANY in scopes:
        return None
    owners = {actor.pk}
    if DataScope.SUBORDINATES in scopes or (
        include_subordinates and actor.tenant.supervisors_see_subordinates
    ):
        owners |= subordinate_ids(actor)
    department_ids = _scope_department_ids(actor, scopes, listed_departments)
    if department_ids:
        owners |= _subtree_member_ids(department_ids)
    return sorted(owners)


# ---------------------------------------------------------------- the scope cache (issue 13)
#
# Resolving a scope reads the actor's roles, the supervisor chain below them and the members of
# department subtrees: four or five queries, ~8 ms for a manager over a 50k-customer team, on
# every request. The answer only changes when the organisation does, so each process keeps it
# under the enterprise's organisation stamp (``OrganisationVersion``):
#
# - every org service that changes what scopes are computed from calls organisation_changed()
#   inside its transaction, which gives the enterprise a new random stamp. The new stamp becomes
#   visible with the change itself (one commit), in every process;
# - a request reads the stamp with its caller (the token or session lookup selects the row with
#   the tenant: no extra query) before it reads anything a scope is computed from, and binds it
#   (bind_organisation_stamp). Under READ COMMITTED an entry stored under stamp S is therefore
#   computed from data at least as new as S; a request that reads the newer stamp never uses it;
# - a request that changes the organisation itself stops using the cache at once (its own reads
#   see uncommitted rows, which must not outlive a rollback), and so does any code with no bound
#   stamp (jobs, commands, tests calling selectors), which computes as before;
# - what the tenant row says (the super admin, 上级自动可见下级数据) is part of the key, read
#   fresh with every request.
#
# The cache is bounded by the number of ids it holds (CACHE_MAX_IDS, ~20 MB), oldest out first.

CACHE_MAX_IDS = 500_000


class _Binding:
    """A request's enterprise and the organisation stamp it read (None: do not cache)."""

    __slots__ = ("stamp", "tenant_id")

    def __init__(self, tenant_id: int, stamp: int | None) -> None:
        self.tenant_id, self.stamp = tenant_id, stamp


_binding: ContextVar[_Binding | None] = ContextVar("organisation_stamp", default=None)
_cache: OrderedDict[tuple[Any, ...], tuple[int, ...] | None] = OrderedDict()
_cache_lock = threading.Lock()
_cached_ids = 0


def organisation_stamp(tenant: Any) -> int | None:
    """Return the organisation stamp of ``tenant`` (as selected with it), or None if it has none."""
    try:
        return tenant.organisation_version.stamp
    except OrganisationVersion.DoesNotExist:
        return None


def bind_organisation_stamp(tenant: Any) -> Token[_Binding | None]:
    """Bind the organisation stamp of ``tenant`` (the request's enterprise, or None) for this
    request; return the token for :func:`reset_organisation_stamp`."""
    binding = _Binding(tenant.pk, organisation_stamp(tenant)) if tenant is not None else None
    return _binding.set(binding)


def reset_organisation_stamp(token: Token[_Binding | None]) -> None:
    _binding.reset(token)


def organisation_changed(tenant_id: int | None = None) -> None:
    """Record that the organisation of ``tenant_id`` (default: the bound enterprise) changed: a
    new stamp, in the caller's transaction, so every process stops using the scopes it cached."""
    tenant_id = tenant_id or require_tenant().pk
    OrganisationVersion.unscoped.bulk_create(
        [OrganisationVersion(tenant_id=tenant_id, stamp=secrets.randbits(62))],
        update_conflicts=True,
        unique_fields=["tenant"],
        update_fields=["stamp"],
    )
    binding = _binding.get()
    if binding is not None and binding.tenant_id == tenant_id:
        binding.stamp = None


def _cached_owners(
    actor: Employee, key: tuple[Any, ...], compute: Callable[[], list[int] | None]
) -> list[int] | None:
    global _cached_ids
    binding = _binding.get()
    if binding is None or binding.stamp is None or binding.tenant_id != actor.tenant_id:
        return compute()
    tenant = actor.tenant
    full_key = (
        actor.tenant_id,
        binding.stamp,
        tenant.owner_id,
        tenant.supervisors_see_subordinates,
        actor.pk,
        *key,
    )
    with _cache_lock:
        if full_key in _cache:
            _cache.move_to_end(full_key)
            found = _cache[full_key]
            return None if found is None else list(found)
    owners = compute()
    value = None if owners is None else tuple(owners)
    with _cache_lock:
        if full_key not in _cache:
            _cache[full_key] = value
            _cached_ids += len(value or ()) + 1
            while _cached_ids > CACHE_MAX_IDS and _cache:
                _old_key, old = _cache.popitem(last=False)
                _cached_ids -= len(old or ()) + 1
    return owners


def clear_scope_cache() -> None:
    """Forget every cached scope of this process (tests)."""
    global _cached_ids
    with _cache_lock:
        _cache.clear()
        _cached_ids = 0


# 员工管理 reads its scope without the supervisor rule (a supervisor does not administer reports).
ADMINISTRATION_MODULE = "employee"


def counts_subordinates(actor: Employee, module: str) -> bool:
    """Return whether the actor's subordinates are within the actor's scope for ``module``, as the
    module's reads count them (员工管理: only by 本人及下属, never by the enterprise setting)."""
    held, _departments = effective_scopes(actor, module)
    if DataScope.SUBORDINATES in held:
        return True
    return module != ADMINISTRATION_MODULE and actor.tenant.supervisors_see_subordinates


def visible_owner_sets(
    actor: Employee, modules: Iterable[str] = DATA_SCOPE_MODULES
) -> dict[str, set[int] | None]:
    """Return ``{module: owner ids}``: whose records ``actor`` may see in each of ``modules`` (None
    for the whole company), counted as each module's reads count them.

    The supervisor chain, the actor's departments and each distinct department set are read
    once for all modules (a handful of queries, not a few per module).
    """
    sets: dict[str, set[int] | None] = {}
    subordinates: set[int] | None = None
    own_departments: set[int] | None = None
    members: dict[frozenset[int], set[int]] = {}
    for module in modules:
        held, listed = effective_scopes(actor, module)
        if DataScope.COMPANY in held:
            sets[module] = None
            continue
        owners = {actor.pk}
        if counts_subordinates(actor, module):
            if subordinates is None:
                subordinates = subordinate_ids(actor)
            owners |= subordinates
        department_ids = set(listed)
        if DataScope.DEPARTMENT in held:
            if own_departments is None:
                own_departments = set(
                    EmployeeDepartment.objects.filter(employee=actor).values_list("department_id", flat=True)
                )
            department_ids |= own_departments
        if department_ids:
            key = frozenset(department_ids)
            if key not in members:
                members[key] = _subtree_member_ids(key)
            owners |= members[key]
        sets[module] = owners
    return sets


def department_member_ids(department: Department) -> set[int]:
    """Return the ids of the employees whose main department lies in the subtree of ``department``
    (whose records a scope covering that subtree sees)."""
    return _subtree_member_ids({department.pk})


def scope_is_company_everywhere(actor: Employee) -> bool:
    """Return whether ``actor`` sees the whole company in every data-scope module."""
    return all(scope_is_company(actor, module) for module in DATA_SCOPE_MODULES)


def visible_owner_q(
    actor: Employee, module: str, *, owner_field: str = "owner_id", include_subordinates: bool = True
) -> Q:
    """Return the ``Q`` that keeps records whose owner ``actor`` may see in ``module``."""
    owners = visible_owner_ids(actor, module, include_subordinates=include_subordinates)
    if owners is None:
        return Q()
    # One flat list (resolved now, a few thousand ids at most): the database can then use the
    # owner indexes for the count and the page, where an OR of subqueries scans every row.
    return Q(**{f"{owner_field}__any": owners})


def scope_label(actor: Employee, module: str) -> str:
    """Return a short Chinese description of the actor's scope for ``module`` (for page headers)."""
    scopes, _departments = effective_scopes(actor, module)
    best = max(scopes, key=lambda s: SCOPE_RANK[s])
    return str(DataScope(best).label)


def _scope_department_paths(actor: Employee, module: str) -> list[str] | None:
    """Return None when the actor's scope for ``module`` is the whole company, else the paths of
    the department subtrees it covers (empty for self / subordinates only)."""
    scopes, listed_departments = effective_scopes(actor, module)
    if DataScope.COMPANY in scopes:
        return None
    department_ids = _scope_department_ids(actor, scopes, listed_departments)
    return list(Department.objects.filter(pk__in=department_ids).values_list("path", flat=True))


def can_manage_employee(actor: Employee, employee: Employee) -> bool:
    """Return whether ``actor`` may administer ``employee`` (ROLE-12: 员工管理 scope, no supervisor rule)."""
    condition = visible_owner_q(actor, "employee", owner_field="pk", include_subordinates=False)
    return Employee.objects.filter(condition, pk=employee.pk).exists()


def departments_outside_scope(
    actor: Employee, departments: Iterable[Department], module: str = "employee"
) -> list[Department]:
    """Return the departments of ``departments`` outside the actor's scope for ``module``."""
    paths = _scope_department_paths(actor, module)
    if paths is None:
        return []
    return [d for d in departments if not any(d.path.startswith(path) for path in paths)]


def scope_is_company(actor: Employee, module: str) -> bool:
    return DataScope.COMPANY in effective_scopes(actor, module)[0]


# How wide each scope relative to its holder is (self < self and subordinates < department <
# company). 指定部门 is absolute, so it is compared by department subtrees instead.
RELATIVE_RANK: dict[str, int] = {
    DataScope.SELF: 0,
    DataScope.SUBORDINATES: 1,
    DataScope.DEPARTMENT: 2,
    DataScope.COMPANY: 3,
}


def scope_within(actor: Employee, module: str, scope: str, department_ids: Iterable[int] = ()) -> bool:
    """Return whether ``scope`` for ``module`` (with ``department_ids`` for 指定部门) stays inside
    the actor's own scope for that module: what a role the actor grants or edits may carry.

    A relative scope must rank no higher than the actor's best relative scope (an actor holding
    only 指定部门 grants 本人); each 指定部门 must lie in a subtree the actor sees.
    """
    if actor.is_super_admin:
        return True
    actor_scopes, _listed = effective_scopes(actor, module)
    if DataScope.COMPANY in actor_scopes:
        return True
    if scope == DataScope.DEPARTMENTS:
        paths = _scope_department_paths(actor, module) or []
        wanted = list(Department.objects.filter(pk__in=set(department_ids)).values_list("path", flat=True))
        if len(wanted) != len(set(department_ids)):
            return False
        return all(any(path.startswith(own) for own in paths) for path in wanted)
    best = max((RELATIVE_RANK[s] for s in actor_scopes if s in RELATIVE_RANK), default=0)
    return RELATIVE_RANK.get(scope, RELATIVE_RANK[DataScope.COMPANY]) <= best


# ---------------------------------------------------------------- administrators (ROLE-12, TEN-15)


def is_administrator(employee: Employee) -> bool:
    """Return whether ``employee`` is an administrator: the super admin, a holder of the 管理员
    system role, or of 企业设置 (``Employee.is_admin``). Only administrators manage them."""
    return employee.is_admin or any(role.system_key == "admin" for role in employee.role_list)


def administrator_role_ids() -> list[int]:
    """The ids of the roles that make their holders administrators (one query over the roles)."""
    return [
        role.pk
        for role in Role.objects.only("pk", "system_key", "permissions")
        if role.system_key == "admin" or "settings.enterprise" in role.permissions
    ]


def administrators_q(owner_id: int | None) -> Q:
    """The ``Q`` of the administrators among employees (the owner, holders of an admin role)."""
    holders = EmployeeRole.objects.filter(role_id__in=administrator_role_ids()).values("employee_id")
    return Q(pk=owner_id) | Q(pk__in=holders)
