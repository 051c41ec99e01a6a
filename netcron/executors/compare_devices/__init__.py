from netcron.executors.base import JobType
from netcron.executors.compare_devices.executor import execute
from netcron.executors.compare_devices.params import CompareDevicesParams

JOB_TYPE = JobType(
    name="compare_devices",
    label="Compare devices with monitoring",
    description="Compares the target devices with CheckMK or a Prometheus SD file: missing hosts, hosts netcron "
                "does not know, and differing IP, folder, site and labels. Stored per run for the dashboard.",
    queue="heavy",
    params=CompareDevicesParams,
    execute=execute,
)
