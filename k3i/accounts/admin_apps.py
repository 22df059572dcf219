"""``django.contrib.admin`` with the K3i admin site as ``admin.site`` (listed in INSTALLED_APPS).

Kept apart from ``apps.py`` (Django would pick an imported AdminConfig as the accounts app config)
and from ``admin_site.py`` (imported lazily, after the app registry is ready).
"""

from django.contrib.admin.apps import AdminConfig


class K3iAdminConfig(AdminConfig):
    default = False
    default_site = "k3i.accounts.admin_site.K3iAdminSite"
