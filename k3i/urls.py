from django.contrib import admin
from django.urls import include, path

from k3i.api import api

admin.site.site_header = "K3i — Administrasi data induk"
admin.site.site_title = "K3i admin"
admin.site.index_title = "Data induk Polres"

urlpatterns = [
    path("", include("k3i.ops.urls")),
    path("", include("k3i.incidents.urls")),
    path("akun/", include("k3i.accounts.urls")),
    path("audit/", include("k3i.core.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
