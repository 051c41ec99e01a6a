"""netcron: scheduled automation jobs for network fleets."""

__version__ = "0.1.0"
