"""Which addresses a scan probes: prefixes (given or read from the inventory), plus include, minus exclude."""

from __future__ import annotations

import bisect
import ipaddress

from netcron.executors.scan_prefixes.params import ScanParams, networks
from netcron.inventory.models import Device

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def host_count(net: Network) -> int:
    """Addresses ``hosts()`` yields: IPv4 networks up to /30 lose their network and broadcast address."""
    if net.version == 4 and net.prefixlen < 31:
        return net.num_addresses - 2
    return net.num_addresses


def inventory_prefixes(params: ScanParams) -> list[str]:
    """CIDRs stored in the ``prefix_field`` custom field of the devices the params select."""
    devices = Device.objects.all()
    if params.inventory_tags:
        devices = devices.filter(tags__name__in=params.inventory_tags).distinct()
    found: list[str] = []
    for fields in devices.values_list("custom_fields", flat=True):
        fields = fields or {}
        if params.custom_field_name:
            if params.custom_field_name not in fields:
                continue
            if params.custom_field_value and str(fields[params.custom_field_name]) != params.custom_field_value:
                continue
        value = fields.get(params.prefix_field)
        for item in value if isinstance(value, list) else [value] if value else []:
            try:
                found.append(str(ipaddress.ip_network(str(item).strip(), strict=False)))
            except ValueError:
                continue  # a typo on one device must not stop the scan; the log lists what was used
    return list(dict.fromkeys(found))


class _Ranges:
    """Membership in a set of networks, as merged [start, end] integer spans per IP version."""

    def __init__(self, nets: list[Network]) -> None:
        self.starts: dict[int, list[int]] = {4: [], 6: []}
        self.ends: dict[int, list[int]] = {4: [], 6: []}
        for start, end, version in sorted((int(n.network_address), int(n.broadcast_address), n.version)
                                          for n in nets):
            starts, ends = self.starts[version], self.ends[version]
            if ends and start <= ends[-1] + 1:
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)

    def __contains__(self, addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        value = int(addr)
        i = bisect.bisect_right(self.starts[addr.version], value) - 1
        return i >= 0 and value <= self.ends[addr.version][i]


class TooMany(ValueError):
    pass


def expand(prefixes: list[str], include: list[str], exclude: list[str], cap: int) -> dict[str, str]:
    """address -> the prefix (or include entry) it came from, in order; raises TooMany above ``cap``."""
    nets = networks(prefixes) + networks(include)
    total = sum(host_count(n) for n in nets)
    skip = _Ranges(networks(exclude))
    addresses: dict[str, str] = {}
    if total > cap * 4:  # hopeless even after exclusions: refuse before allocating anything
        raise TooMany(f"{total} addresses exceed max_ips ({cap})")
    for net in nets:
        label = str(net)
        for addr in net.hosts() if host_count(net) != net.num_addresses else iter(net):
            if addr not in skip:
                addresses.setdefault(str(addr), label)
        if len(addresses) > cap:
            raise TooMany(f"more than {cap} addresses to scan (max_ips); narrow the prefixes or add excludes")
    return addresses
