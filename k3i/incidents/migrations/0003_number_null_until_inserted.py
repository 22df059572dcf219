from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0002_incidentphoto"),
    ]

    operations = [
        migrations.AlterField(
            model_name="incident",
            name="number",
            field=models.CharField(blank=True, max_length=40, null=True, unique=True, verbose_name="nomor laporan"),
        ),
    ]
