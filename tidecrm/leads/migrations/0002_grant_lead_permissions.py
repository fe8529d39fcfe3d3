"""Give the seeded system roles of existing enterprises their lead permissions (new enterprises
get them from the registry when their roles are seeded)."""

from django.db import migrations

ALL = ["lead.create", "lead.allocate", "lead.recycle", "lead.release", "lead.claim", "lead.delete",
       "lead.import", "lead.settings"]
SALES = ["lead.create", "lead.release", "lead.claim"]
MANAGER = [*SALES, "lead.allocate", "lead.recycle", "lead.delete", "lead.import"]
GRANTS = {"admin": ALL, "sales": SALES, "sales_manager": MANAGER, "marketing_manager": MANAGER}


def grant(apps, schema_editor):
    Role = apps.get_model("org", "Role")
    for role in Role.objects.filter(system_key__in=GRANTS):
        role.permissions = sorted(set(role.permissions) | set(GRANTS[role.system_key]))
        role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial"), ("org", "0003_employee_data_scope")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
