"""lib/dns: reverse lookups against a local DNS server, forward lookups, server parsing."""

from __future__ import annotations

import asyncio

import pytest

from netcron.lib.dns import DnsConfigError, parse_server, resolve_host, resolve_hosts, reverse_lookups
from netcron.lib.tests.dns_responder import PtrServer


@pytest.fixture
def server():
    made = PtrServer({"127.0.0.10": "core-1.dc1.example", "::1": "six.example"})
    yield made
    made.close()


def test_reverse_lookups_return_the_ptr_name_without_the_trailing_dot(server):
    found = asyncio.run(reverse_lookups(["127.0.0.10", "::1", "127.0.0.11"], servers=[server.address], timeout=1))
    assert found["127.0.0.10"].name == "core-1.dc1.example" and found["::1"].name == "six.example"
    assert (found["127.0.0.11"].name, found["127.0.0.11"].error) == ("", "no name")


def test_a_silent_server_is_a_timeout_not_an_exception():
    silent = PtrServer({}, silent=True)
    try:
        found = asyncio.run(reverse_lookups(["127.0.0.10"], servers=[silent.address], timeout=0.3))
    finally:
        silent.close()
    assert found["127.0.0.10"].error in ("timeout", "no server answered")


@pytest.mark.parametrize(("text", "parsed"), [("10.0.0.53", ("10.0.0.53", 53)), ("127.0.0.1:5353", ("127.0.0.1", 5353)),
                                               ("[::1]:5353", ("::1", 5353)), ("2001:db8::53", ("2001:db8::53", 53))])
def test_dns_servers_are_ip_addresses_with_an_optional_port(text, parsed):
    assert parse_server(text) == parsed


@pytest.mark.parametrize("text", ["dns.example", "127.0.0.1:0", "127.0.0.1:99999", "[::1]:x"])
def test_names_and_bad_ports_are_refused_with_the_value_in_the_message(text):
    with pytest.raises(DnsConfigError, match="DNS server"):
        parse_server(text)


def test_forward_lookups_pass_literals_through_and_resolve_localhost():
    found = asyncio.run(resolve_hosts(["127.0.0.7", "localhost", "no-such-name.invalid"], timeout=5))
    assert found["127.0.0.7"].names == ("127.0.0.7",)
    assert found["localhost"].name in ("127.0.0.1", "::1")
    assert found["no-such-name.invalid"].error.startswith("cannot resolve")
    assert asyncio.run(resolve_host("::1")).names == ("::1",)
