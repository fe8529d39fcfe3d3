import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_default_library_and_stages")]

    operations = [
        migrations.AlterField(
            model_name="customer",
            name="library",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="customers.library",
            ),
        ),
    ]
