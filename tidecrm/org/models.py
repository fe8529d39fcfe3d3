"""Departments, employees and roles of an enterprise."""

from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from tidecrm.core import clock
from tidecrm.core.models import Tenant, TenantModel

DATA_SCOPE_MODULES = ("lead", "customer", "opportunity", "contract", "followup", "call", "report", "employee")
# "employee" is the scope of account administration (ROLE-12): whom a role with 管理员工 may manage.
DATA_SCOPE_LABELS = {
    "lead": _("线索"),
    "customer": _("客户"),
    "opportunity": _("商机"),
    "contract": _("合同"),
    "followup": _("跟进记录"),
    "call": _("通话记录"),
    "report": _("统计报表"),
    "employee": _("员工管理"),
}


class DataScope(models.TextChoices):
    """How far a role sees in one module (``Role.data_scopes``, one per DATA_SCOPE_MODULES key)."""

    SELF = "self", _("本人")
    SUBORDINATES = "subordinates", _("本人及下属")
    DEPARTMENT = "department", _("本部门及下级部门")
    COMPANY = "company", _("全公司")
    DEPARTMENTS = "departments", _("指定部门")


class Department(TenantModel):
    """A node of the enterprise's department tree; ``path`` is the materialised path "/1/7/12/"."""

    MAX_DEPTH = 5  # levels below the enterprise (ORG-01)

    name = models.CharField(_("部门名称"), max_length=60)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", db_index=False
    )
    path = models.CharField(max_length=255, default="/")
    depth = models.PositiveSmallIntegerField(default=1)
    sort_order = models.IntegerField(default=0)
    head = models.ForeignKey(
        "Employee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "path"], name="department_path"),
            models.Index(fields=["tenant", "parent"], name="department_parent"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "parent", "name"], name="department_unique_name"),
            # NULL parents are distinct in SQL: top-level names need their own constraint.
            models.UniqueConstraint(
                fields=["tenant", "name"],
                condition=models.Q(parent__isnull=True),
                name="department_unique_top_name",
            ),
        ]
        ordering = ["path"]

    def __str__(self):
        return self.name


class Role(TenantModel):
    """A set of function permissions and a data scope per module (ROLE-*)."""

    name = models.CharField(_("角色名称"), max_length=40)
    description = models.CharField(_("描述"), max_length=200, blank=True)
    is_system = models.BooleanField(default=False)
    system_key = models.CharField(max_length=32, blank=True)
    permissions = models.JSONField(default=list, blank=True)
    data_scopes = models.JSONField(default=dict, blank=True)
    scope_departments = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="role_unique_name")]
        ordering = ["id"]

    def __str__(self):
        return self.name


class Employee(TenantModel):
    """A person of the enterprise with a login (an :class:`~tidecrm.accounts.models.Account`)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("在职")
        INACTIVE = "inactive", _("未激活")
        DISABLED = "disabled", _("已禁用")
        RESIGNED = "resigned", _("已离职")

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="employees", db_index=False
    )
    name = models.CharField(_("姓名"), max_length=40)
    phone = models.CharField(_("手机号"), max_length=20)
    email = models.EmailField(_("邮箱"), blank=True)
    username = models.CharField(_("用户名"), max_length=40, null=True, blank=True)
    title = models.CharField(_("职位"), max_length=40, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    supervisor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports", db_index=False
    )
    main_department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="main_members",
        db_index=False,
    )
    exclude_from_stats = models.BooleanField(_("不参与统计"), default=False)
    must_change_password = models.BooleanField(default=False)
    # An employee whose phone already had an account waits for its owner to accept (issue 11):
    # "pending" until then, "declined" if they refused; empty for everyone who has joined.
    invitation = models.CharField(
        max_length=12,
        blank=True,
        default="",
        choices=[("pending", _("待接受邀请")), ("declined", _("已拒绝邀请"))],
    )
    created_at = models.DateTimeField(default=clock.now)
    resigned_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "account"], name="employee_unique_account"),
            models.UniqueConstraint(fields=["tenant", "phone"], name="employee_unique_phone"),
            models.UniqueConstraint(
                fields=["tenant", "username"],
                condition=Q(username__isnull=False),
                name="employee_unique_username",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status"], name="employee_status"),
            models.Index(fields=["tenant", "supervisor"], name="employee_supervisor"),
            models.Index(fields=["tenant", "main_department"], name="employee_main_department"),
        ]
        ordering = ["id"]

    # Set on the employee a Bearer token resolves to (accounts token_authenticate): the admin
    # who minted that token for them (代建), or None. Not a column.
    token_issued_by: int | None

    def __str__(self):
        return self.name

    @property
    def is_super_admin(self):
        return self.tenant.owner_id == self.pk

    @property
    def is_active(self):
        return self.status == self.Status.ACTIVE

    @cached_property
    def role_list(self):
        return list(Role.objects.filter(employee_links__employee=self).order_by("id"))

    @cached_property
    def permission_codes(self):
        """Return the set of function-permission codes this employee holds (union of roles)."""
        from tidecrm.core.permissions import REGISTRY

        if self.is_super_admin:
            return frozenset(REGISTRY)
        codes = set()
        for role in self.role_list:
            codes.update(role.permissions)
        return frozenset(code for code in codes if code in REGISTRY and not REGISTRY[code].owner_only)

    def has_permission(self, code):
        return code in self.permission_codes

    @property
    def is_admin(self):
        """Return whether the employee may enter enterprise settings (super admin or 管理员 role)."""
        return self.is_super_admin or "settings.enterprise" in self.permission_codes


class EmployeeRole(TenantModel):
    """A role held by an employee; an employee may hold several (ROLE-*)."""

    employee = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="role_links", db_index=False
    )
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="employee_links", db_index=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "employee", "role"], name="employee_role_unique")
        ]
        indexes = [models.Index(fields=["tenant", "role"], name="employee_role_role")]


class EmployeeDepartment(TenantModel):
    """An employee's membership of a department; exactly one is the main one (ORG-04)."""

    employee = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="department_links", db_index=False
    )
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="member_links", db_index=False
    )
    is_main = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "employee", "department"], name="employee_department_unique"
            )
        ]
        indexes = [models.Index(fields=["tenant", "department"], name="employee_department_dept")]


class OrganisationVersion(TenantModel):
    """The enterprise's organisation stamp: a new random number with every write to what data
    scopes are computed from (roles and their scopes, role holders, departments, memberships,
    supervisors, employees' status). ``org.scopes`` caches resolved scopes per process under it.

    Random rather than counted: a test (or any transaction) that rolls back leaves no number
    behind that a later enterprise with the same id could meet again. One row per enterprise,
    read with the token or session lookup (``select_related("tenant__organisation_version")``).
    """

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, related_name="organisation_version", editable=False
    )
    stamp = models.BigIntegerField()
