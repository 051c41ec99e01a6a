from netcron.executors.base import JobType
from netcron.executors.scan_prefixes.executor import execute
from netcron.executors.scan_prefixes.params import ScanParams

JOB_TYPE = JobType(
    name="scan_prefixes",
    label="Scan prefixes",
    description="Sweeps IP prefixes with ping (and optional TCP ports and reverse DNS), records which addresses "
                "are alive with first/last seen, and can create discovered devices or tag existing ones.",
    queue="heavy",
    params=ScanParams,
    execute=execute,
    uses_devices=False,
)
