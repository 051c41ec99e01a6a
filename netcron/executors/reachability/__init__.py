from netcron.executors.base import JobType
from netcron.executors.reachability.executor import execute
from netcron.executors.reachability.params import ReachabilityParams

JOB_TYPE = JobType(
    name="reachability",
    label="Reachability",
    description="Checks devices by ping, tcp, snmp, ssh and netconf; keeps their up/degraded/down state, "
                "history and state-change events, and can call a signed webhook when a state changes.",
    queue="network",
    params=ReachabilityParams,
    execute=execute,
)
