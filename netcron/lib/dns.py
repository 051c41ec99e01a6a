"""Name lookups for checks and scans: bounded-concurrency reverse (PTR) and forward lookups, async.

Reverse lookups go through dnspython's async resolver, either the system's resolv.conf or the servers
given (``"10.0.0.53"``, ``"10.0.0.53:5353"``, ``"[2001:db8::53]:53"``). Forward lookups of device
hosts use the operating system (getaddrinfo), so /etc/hosts and search domains work as for ssh.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.resolver


class DnsConfigError(ValueError):
    """A DNS server address that cannot be used."""


def parse_server(text: str) -> tuple[str, int]:
    """``host[:port]`` or ``[v6]:port`` → (ip, port); raises DnsConfigError naming the value."""
    text = text.strip()
    host, port = text, 53
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            port = _port(text, rest.lstrip(":"))
    elif text.count(":") == 1:
        host, raw_port = text.split(":")
        port = _port(text, raw_port)
    try:
        return str(ipaddress.ip_address(host)), port
    except ValueError:
        raise DnsConfigError(f"DNS server {text!r} is not an IP address (optionally with :port)") from None


def _port(text: str, raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise DnsConfigError(f"DNS server {text!r} has an invalid port")
    return int(raw)


def make_resolver(servers: Iterable[str] = (), timeout: float = 2.0) -> dns.asyncresolver.Resolver:
    """A resolver using ``servers`` (or the system configuration when empty), ``timeout`` per lookup."""
    servers = list(servers)
    if servers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(*parse_server(s)) for s in servers]
    else:
        try:
            resolver = dns.asyncresolver.Resolver()
        except dns.resolver.NoResolverConfiguration:
            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = ["127.0.0.1"]
    resolver.timeout = resolver.lifetime = timeout
    return resolver


@dataclass(frozen=True)
class Lookup:
    query: str
    names: tuple[str, ...] = ()
    error: str = ""  # "", "no name", "timeout", or a short resolver error

    @property
    def name(self) -> str:
        return self.names[0] if self.names else ""


async def reverse_lookup(resolver: dns.asyncresolver.Resolver, address: str) -> Lookup:
    """PTR names of ``address`` (trailing dots removed); never raises."""
    try:
        answer = await resolver.resolve_address(address)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return Lookup(address, error="no name")
    except dns.exception.Timeout:
        return Lookup(address, error="timeout")
    except dns.resolver.NoNameservers:
        return Lookup(address, error="no server answered")
    except dns.exception.DNSException as e:
        return Lookup(address, error=f"{type(e).__name__}: {str(e)[:80]}")
    return Lookup(address, tuple(str(r.target).rstrip(".") for r in answer))


async def reverse_lookups(addresses: Iterable[str], *, servers: Iterable[str] = (), timeout: float = 2.0,
                          concurrency: int = 100) -> dict[str, Lookup]:
    """Reverse lookups of many addresses, at most ``concurrency`` in flight."""
    resolver = make_resolver(servers, timeout)
    limit = asyncio.Semaphore(max(1, concurrency))

    async def one(address: str) -> Lookup:
        async with limit:
            return await reverse_lookup(resolver, address)

    addresses = list(dict.fromkeys(addresses))
    results = await asyncio.gather(*(one(a) for a in addresses))
    return dict(zip(addresses, results, strict=True))


async def resolve_host(host: str, *, timeout: float = 5.0, family: int = socket.AF_UNSPEC) -> Lookup:
    """``host`` as IP addresses (an IP literal is returned as is; IPv4 first), never raises."""
    try:
        return Lookup(host, (str(ipaddress.ip_address(host)),))
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            infos = await loop.getaddrinfo(host, None, family=family, type=socket.SOCK_STREAM)
    except TimeoutError:
        return Lookup(host, error="timeout")
    except socket.gaierror as e:
        return Lookup(host, error=f"cannot resolve: {e.strerror}")
    found = list(dict.fromkeys(info[4][0] for info in infos))
    found.sort(key=lambda a: ":" in a)
    return Lookup(host, tuple(found)) if found else Lookup(host, error="no address")


async def resolve_hosts(hosts: Iterable[str], *, timeout: float = 5.0, concurrency: int = 50) -> dict[str, Lookup]:
    """Forward lookups of many host names (IP literals cost nothing)."""
    limit = asyncio.Semaphore(max(1, concurrency))

    async def one(host: str) -> Lookup:
        async with limit:
            return await resolve_host(host, timeout=timeout)

    hosts = list(dict.fromkeys(hosts))
    results = await asyncio.gather(*(one(h) for h in hosts))
    return dict(zip(hosts, results, strict=True))
