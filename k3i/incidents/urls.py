"""Public pages of intake (no login): the report form and the tracking page. Included at the site root.
The photos sent with a report are for staff only (login, incident in scope): ``ops/kejadian/<id>/foto/<id>``."""

from django.urls import path

from . import views

app_name = "incidents"
urlpatterns = [
    path("lapor/", views.lapor, name="lapor"),
    path("lacak/", views.lacak, name="lacak"),
    path("lacak/<str:code>/", views.lacak_detail, name="lacak_detail"),
    path("ops/kejadian/<int:incident_id>/foto/<int:pk>", views.foto, name="foto"),
]
