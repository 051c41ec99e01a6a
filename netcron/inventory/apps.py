from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "netcron.inventory"
    label = "inventory"
    verbose_name = "Inventory"
