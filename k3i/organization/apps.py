from django.apps import AppConfig


class OrganizationConfig(AppConfig):
    name = "k3i.organization"
    label = "organization"
    verbose_name = "Organisasi & wilayah"
