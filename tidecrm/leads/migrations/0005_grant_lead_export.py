"""Give the seeded system roles of existing enterprises the new 导出线索 permission (new
enterprises get it from the registry when their roles are seeded), as 0002 did for the others."""

from django.db import migrations

GRANTS = {"admin": ["lead.export"], "sales_manager": ["lead.export"], "marketing_manager": ["lead.export"]}


def grant(apps, schema_editor):
    Role = apps.get_model("org", "Role")
    for role in Role.objects.filter(system_key__in=GRANTS):
        role.permissions = sorted(set(role.permissions) | set(GRANTS[role.system_key]))
        role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("leads", "0004_lead_last_followup_at"), ("org", "0003_employee_data_scope")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
