from django.db import migrations


def create_row(apps, schema_editor):
    apps.get_model("system", "SystemSettings").objects.get_or_create(pk=1, defaults={"values": {}})


class Migration(migrations.Migration):
    """The singleton row exists from the start, so every change is an update with a before and after."""

    dependencies = [("system", "0001_initial")]

    operations = [migrations.RunPython(create_row, migrations.RunPython.noop)]
