from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("periksa/", views.ledger_check, name="ledger_check"),
]
