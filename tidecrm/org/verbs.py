"""The timeline verbs of employees, departments, roles and the organisation settings.

A verb is ``<object>.<event>`` and is stored as written (``TimelineEvent.verb``): the audit and
the tests match on the value, so a value never changes. The enterprise's registration and owner
transfer are sign-in's verbs: :mod:`tidecrm.signin.verbs`.

Built verbs (not listed here): every employee status change is ``employee.<action>``, one verb
per key of ``services.employees.STATUS_CHANGES`` (``employee.disable``, ``.enable``,
``.activate``, ``.resign``, ``.restore``); changes = {"status": [old, new]}.
"""

# ---------------------------------------------------------------- employees
EMPLOYEE_CREATED = "employee.created"
EMPLOYEE_UPDATED = "employee.updated"  # fields edited; changes = {field: [old, new]}
EMPLOYEE_MOVED = "employee.moved"  # main department set by a batch move
EMPLOYEE_ROLES_CHANGED = "employee.roles_changed"  # changes = {"roles": [old, new]}
EMPLOYEE_DELETED = "employee.deleted"  # moved to the recycle bin
EMPLOYEE_UNDELETED = "employee.undeleted"  # restored from the recycle bin
EMPLOYEE_PASSWORD_RESET = "employee.password_reset"  # noqa: S105 - an admin set a new password
EMPLOYEE_INVITATION_ACCEPTED = "employee.invitation_accepted"
EMPLOYEE_INVITATION_DECLINED = "employee.invitation_declined"
EMPLOYEE_INHERITED = "employee.inherited"  # a resigned employee's records handed over; data = {to, results}

# ---------------------------------------------------------------- departments
DEPARTMENT_CREATED = "department.created"
DEPARTMENT_UPDATED = "department.updated"
DEPARTMENT_DELETED = "department.deleted"

# ---------------------------------------------------------------- roles and visibility
ROLE_CREATED = "role.created"
ROLE_UPDATED = "role.updated"
ROLE_DELETED = "role.deleted"
ROLE_MEMBERS_CHANGED = "role.members_changed"  # data = {added, removed}
ENTERPRISE_HIERARCHY_VISIBILITY = "enterprise.hierarchy_visibility"  # 上级自动可见下级数据 on or off
