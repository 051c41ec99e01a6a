from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "netcron.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from netcron.accounts import throttle

        throttle.connect_signals()
