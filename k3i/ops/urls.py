from django.urls import path

from . import stream, views

app_name = "ops"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("polsek/", views.polsek_list, name="polsek_list"),
    path("polsek/<int:polsek_id>/", views.polsek_detail, name="polsek"),
    path("ops/stream", stream.stream, name="stream"),
]
