from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "k3i.core"
    label = "core"
    verbose_name = "Inti (audit & peristiwa langsung)"
