"""Writes for the organisation: departments, employees, roles (SPEC ORG-*, ROLE-*).

Every function takes the acting employee first, checks its function permission, runs in one
transaction and raises a typed error with a stable code (API.md "Organisation"). Callers import
the package (``from tidecrm.org import services``); the modules hold ``roles``, ``departments``,
``employees``, ``invitations``, the administrator's ``passwords`` reset and the one
anti-escalation rule in ``administration``.
"""

from ..models import Employee
from ._common import SEAT_STATUSES, Status, seats_used
from .administration import _check_administration, can_administer, check_acting_as, may_act_as
from .departments import department_create, department_delete, department_update
from .employees import (
    STATUS_CHANGES,
    StatusChange,
    employee_activate,
    employee_change_status,
    employee_create,
    employee_create_by_admin,
    employee_delete,
    employee_disable,
    employee_enable,
    employee_resign,
    employee_restore,
    employee_undelete,
    employee_update,
    employees_change_status,
    employees_move,
    employees_set_roles,
)
from .invitations import (
    INVITATION_SMS_PER_PHONE_PER_DAY,
    INVITATIONS_PER_DAY,
    invitation_decline,
    invitation_join,
)
from .passwords import password_reset_by_admin
from .roles import (
    FALLBACK_ROLE_KEY,
    SYSTEM_ROLES,
    employee_set_roles,
    hierarchy_visibility_set,
    role_create,
    role_delete,
    role_set_members,
    role_update,
    roles_seed,
    system_role,
)

__all__ = [
    "Employee",
    "FALLBACK_ROLE_KEY",
    "INVITATIONS_PER_DAY",
    "INVITATION_SMS_PER_PHONE_PER_DAY",
    "SEAT_STATUSES",
    "STATUS_CHANGES",
    "SYSTEM_ROLES",
    "Status",
    "StatusChange",
    "_check_administration",
    "can_administer",
    "check_acting_as",
    "department_create",
    "department_delete",
    "department_update",
    "employee_activate",
    "employee_change_status",
    "employee_create",
    "employee_create_by_admin",
    "employee_delete",
    "employee_disable",
    "employee_enable",
    "employee_resign",
    "employee_restore",
    "employee_set_roles",
    "employee_undelete",
    "employee_update",
    "employees_change_status",
    "employees_move",
    "employees_set_roles",
    "hierarchy_visibility_set",
    "invitation_decline",
    "invitation_join",
    "may_act_as",
    "password_reset_by_admin",
    "role_create",
    "role_delete",
    "role_set_members",
    "role_update",
    "roles_seed",
    "seats_used",
    "system_role",
]
