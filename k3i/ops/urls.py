from django.urls import path

from . import stream, views

app_name = "ops"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("ops/stream", stream.stream, name="stream"),
]
