"""Give every existing role a data scope for the new "employee" module (ROLE-12).

管理员 keeps administering everyone (company); other roles get their customer scope, which is
what they were implicitly using before; it only matters for roles with 管理员工.
"""

from django.db import migrations


def add_employee_scope(apps, schema_editor):
    Role = apps.get_model("org", "Role")
    for role in Role.objects.all():
        if "employee" in role.data_scopes:
            continue
        scope = "company" if role.system_key == "admin" else role.data_scopes.get("customer", "self")
        role.data_scopes = {**role.data_scopes, "employee": scope}
        if scope == "departments":
            role.scope_departments = {
                **role.scope_departments,
                "employee": role.scope_departments.get("customer", []),
            }
        role.save(update_fields=["data_scopes", "scope_departments"])


class Migration(migrations.Migration):
    dependencies = [("org", "0002_department_top_name_unique")]

    operations = [migrations.RunPython(add_employee_scope, migrations.RunPython.noop)]
