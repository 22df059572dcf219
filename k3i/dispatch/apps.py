from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "k3i.dispatch"
    label = "dispatch"
    verbose_name = "Unit & pengiriman"
