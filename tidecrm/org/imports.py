"""Employee import (ORG-05) on the shared import framework."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tidecrm.core.errors import BusinessError
from tidecrm.core.imports import Column, Importer, register
from tidecrm.core.web import error_text

from . import services
from .models import Department, Employee, Role


class EmployeeImporter(Importer):
    def prepare(self, actor, options):
        """Load departments (by name and by "上级/下级" path) and roles once per job."""
        departments = list(Department.objects.all())
        by_id = {d.pk: d for d in departments}
        by_name = {}
        for department in departments:
            names = [by_id[int(pk)].name for pk in department.path.strip("/").split("/") if int(pk) in by_id]
            for key in {department.name, "/".join(names)}:  # a top-level name is also its path
                by_name.setdefault(key, []).append(department)
        roles = {role.name: role for role in Role.objects.all()}
        supervisors = dict(Employee.objects.filter(deleted_at__isnull=True).values_list("phone", "pk"))
        return {"departments": by_name, "roles": roles, "supervisors": supervisors}

    def import_rows(self, actor, rows, context):
        return [self._import_one(actor, row, context) for row in rows]

    def _import_one(self, actor, row, context):
        """Create one employee in its own savepoint; return None or the failure reason."""
        department_ids = []
        for name in filter(
            None, (part.strip() for part in row.get("departments", "").replace("，", ",").split(","))
        ):
            matches = context["departments"].get(name, [])
            if len(matches) != 1:
                return (
                    _("部门“%(name)s”不存在") % {"name": name}
                    if not matches
                    else _("部门“%(name)s”有重名，请写完整路径，如 销售中心/销售一部") % {"name": name}
                )
            department_ids.append(matches[0].pk)
        role_ids = []
        if row.get("role"):
            role = context["roles"].get(row["role"])
            if role is None:
                return _("角色“%(name)s”不存在") % {"name": row["role"]}
            role_ids = [role.pk]
        supervisor_id = None
        if row.get("supervisor_phone"):
            supervisor_id = context["supervisors"].get(row["supervisor_phone"])
            if supervisor_id is None:
                return _("直属上级手机号“%(phone)s”不是本企业员工") % {"phone": row["supervisor_phone"]}
        try:
            with transaction.atomic():
                employee = services.employee_create_by_admin(
                    actor=actor,
                    name=row.get("name", ""),
                    phone=row.get("phone", ""),
                    title=row.get("title", ""),
                    email=row.get("email", ""),
                    username=row.get("username") or None,
                    department_ids=department_ids,
                    role_ids=role_ids,
                    supervisor_id=supervisor_id,
                    password=row.get("password") or None,
                )
        except BusinessError as error:
            return error_text(error)
        context["supervisors"][employee.phone] = employee.pk
        return None


EMPLOYEE_IMPORTER = register(
    EmployeeImporter(
        kind="employee",
        label=gettext_lazy("员工"),
        permission="org.manage_employees",
        max_rows=10_000,
        columns=(
            Column("name", "姓名", required=True, synonyms=("员工姓名", "名字")),
            Column(
                "phone",
                "手机号",
                required=True,
                synonyms=("手机", "手机号码", "电话", "联系电话", "登录账号"),
            ),
            Column("title", "职务", synonyms=("职位", "岗位")),
            Column("email", "邮箱", synonyms=("电子邮箱", "email", "e-mail")),
            Column("username", "用户名"),
            Column("departments", "部门", synonyms=("所属部门",), hint="多个部门用逗号分隔，第一个为主部门"),
            Column("role", "角色", hint="不填则为 普通员工"),
            Column("supervisor_phone", "直属上级手机号", synonyms=("上级手机号",)),
            Column("password", "初始密码", hint="不填则需由管理员重置密码后才能用密码登录"),
        ),
    )
)
