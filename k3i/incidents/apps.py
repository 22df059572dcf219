from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "k3i.incidents"
    label = "incidents"
    verbose_name = "Kejadian (laporan & penanganan)"
