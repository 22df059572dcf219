from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "k3i.demo"
    label = "demo"
    verbose_name = "Demo"
