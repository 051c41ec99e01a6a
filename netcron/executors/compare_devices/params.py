from netcron.sources.monitor_params import MonitorParams


class CompareDevicesParams(MonitorParams):
    """Which monitoring system to compare the template's devices against (`checkmk` or `prometheus`)."""
