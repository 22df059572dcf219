from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "k3i.ops"
    label = "ops"
    verbose_name = "Ruang operasi"
