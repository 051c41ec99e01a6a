from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "netcron.accounts"
    label = "accounts"
    verbose_name = "Accounts"
