from django.db import migrations


def grant(apps, schema_editor):
    Role = apps.get_model("org", "Role")
    for role in Role.objects.filter(system_key="admin"):
        role.permissions = sorted(set(role.permissions) | {"rules.holding_limits"})
        role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("rules", "0001_initial"), ("org", "0003_employee_data_scope")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
