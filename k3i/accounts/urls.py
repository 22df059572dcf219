from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("masuk/", views.login_view, name="login"),
    path("masuk/kode/", views.verify_view, name="verify"),
    path("masuk/daftar-2fa/", views.enrol_view, name="enrol"),
    path("keluar/", views.logout_view, name="logout"),
]
