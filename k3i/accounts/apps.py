from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "k3i.accounts"
    label = "accounts"
    verbose_name = "Akun"
