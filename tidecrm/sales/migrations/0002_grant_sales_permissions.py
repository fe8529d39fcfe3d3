"""Give the seeded system roles of existing enterprises their sales permissions."""

from django.db import migrations

SALES = ["opportunity.create", "contract.create", "payment.create"]
MANAGER = [*SALES, "opportunity.delete", "contract.void", "order.create", "product.manage"]
ALL = [*MANAGER, "opportunity.settings", "contract.settings"]
GRANTS = {"admin": ALL, "sales": SALES, "sales_manager": MANAGER}


def grant(apps, schema_editor):
    Role = apps.get_model("org", "Role")
    for role in Role.objects.filter(system_key__in=GRANTS):
        role.permissions = sorted(set(role.permissions) | set(GRANTS[role.system_key]))
        role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial"), ("org", "0003_employee_data_scope")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
