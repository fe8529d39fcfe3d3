from django.db import migrations

GRANTS = {
    "admin": ["customer.create", "lead.convert"],
    "sales": ["customer.create", "lead.convert"],
    "sales_manager": ["customer.create", "lead.convert"],
    "marketing_manager": ["lead.convert"],
}


def grant(apps, schema_editor):
    Role = apps.get_model("org", "Role")
    for role in Role.objects.filter(system_key__in=GRANTS):
        role.permissions = sorted(set(role.permissions) | set(GRANTS[role.system_key]))
        role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial"), ("org", "0003_employee_data_scope")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
