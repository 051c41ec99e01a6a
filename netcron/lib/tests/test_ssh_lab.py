"""The SSH driver against the lab: every platform, paging, enable, config mode, errors."""

from __future__ import annotations

import asyncio
import dataclasses

import asyncssh
import pytest

from netcron.lab import generate
from netcron.lab.testing import CONFIG_COMMAND, driver_spec, free_port, running_lab
from netcron.lib.ssh import AuthFailed, CommandError, connect, get_platform, register

PLATFORMS = ["cisco_ios", "cisco_nxos", "arista_eos", "juniper_junos", "mikrotik_routeros", "linux"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    port = free_port("127.0.1.1")
    devices = generate(len(PLATFORMS), PLATFORMS, port=port, base_address="127.0.1.1", config_lines=400)
    with running_lab(devices, tmp_path_factory.mktemp("lab")) as lab:
        yield lab


def by_platform(lab, platform):
    return next(d for d in lab.specs if d.platform == platform)


def run(coro):
    return asyncio.run(coro)


async def fetch(spec, *commands):
    async with connect(spec) as s:
        return [await s.send_command(c) for c in commands]


def test_ios_paging_is_disabled_by_terminal_length_0(lab):
    d = by_platform(lab, "cisco_ios")
    (out,) = run(fetch(driver_spec(d), "show running-config"))
    assert "--More--" not in out
    assert out.rstrip().endswith("end")
    assert len(out.splitlines()) == len(lab.running_config(d.name).rstrip().splitlines())


def test_ios_pager_shows_more_without_terminal_length_0(lab):
    d = by_platform(lab, "cisco_ios")

    async def raw():
        async with asyncssh.connect(d.host, d.port, username=d.username, password=d.password,
                                    known_hosts=None) as conn:
            writer, reader, _ = await conn.open_session(term_type="vt100")
            writer.write("enable\n")
            await asyncio.sleep(0.1)
            writer.write(d.enable_secret + "\n")
            await asyncio.sleep(0.1)
            writer.write("show running-config\n")
            out = ""
            while "--More--" not in out:
                out += await asyncio.wait_for(reader.read(4096), 5)
            return out

    out = run(raw())
    assert out.count("\n", out.index("show running-config")) <= 25


def test_driver_pages_through_more_when_paging_cannot_be_turned_off(lab):
    d = by_platform(lab, "cisco_ios")
    register(dataclasses.replace(get_platform("cisco_ios"), name="cisco_ios_nopaging", paging_off=()))
    (out,) = run(fetch(driver_spec(d, platform="cisco_ios_nopaging"), "show running-config"))
    assert "--More--" not in out and "\x08" not in out
    assert out.splitlines() == lab.running_config(d.name).rstrip().splitlines()


def test_ios_enable_with_secret_reaches_privileged_prompt(lab):
    d = by_platform(lab, "cisco_ios")

    async def go():
        async with connect(driver_spec(d, auto_enable=False)) as s:
            before = s.prompt
            await s.enable()
            return before, s.prompt

    before, after = run(go())
    assert before == f"{d.name}>"
    assert after == f"{d.name}#"


def test_ios_wrong_enable_secret_raises_auth_failed(lab):
    d = by_platform(lab, "cisco_ios")
    with pytest.raises(AuthFailed, match="enable failed"):
        run(fetch(driver_spec(d, enable_secret="not-it")))


def test_ios_show_running_config_is_refused_before_enable(lab):
    d = by_platform(lab, "cisco_ios")
    with pytest.raises(CommandError, match="Invalid input detected"):
        run(fetch(driver_spec(d, auto_enable=False), "show running-config"))


def test_ios_abbreviations_and_pipes_work(lab):
    d = by_platform(lab, "cisco_ios")
    (out,) = run(fetch(driver_spec(d), "sh run | i ^hostname"))
    assert out == f"hostname {d.name}"


def test_ios_config_change_persists_and_write_memory_copies_it_to_startup(lab):
    d = by_platform(lab, "cisco_ios")

    async def go():
        async with connect(driver_spec(d)) as s:
            await s.send_config(["interface GigabitEthernet1/0/3", "description changed by test"])
            run_before = await s.send_command("show running-config | include changed by test")
            start_before = await s.send_command("show startup-config | include changed by test")
            await s.save_config()
            start_after = await s.send_command("show startup-config | include changed by test")
            return run_before, start_before, start_after

    run_before, start_before, start_after = run(go())
    assert run_before.strip() == "description changed by test"
    assert start_before.strip() == ""
    assert start_after.strip() == "description changed by test"


def test_ios_invalid_config_line_raises_command_error_and_leaves_config_mode(lab):
    d = by_platform(lab, "cisco_ios")

    async def go():
        async with connect(driver_spec(d)) as s:
            with pytest.raises(CommandError, match="Invalid input"):
                await s.send_config(["frobnicate the widgets"])
            return s.prompt

    assert run(go()) == f"{d.name}#"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_platform_backup_command_returns_a_config_with_its_hostname(lab, platform):
    d = by_platform(lab, platform)
    (out,) = run(fetch(driver_spec(d), CONFIG_COMMAND[platform]))
    assert d.name in out
    assert 300 <= len(out.splitlines()) <= 700
    assert "--More--" not in out and "---(more" not in out and "Q quit" not in out


UNKNOWN = {
    "cisco_ios": ("show frobnicate", "% Invalid input detected at '^' marker."),
    "cisco_nxos": ("show frobnicate", "% Invalid command at '^' marker."),
    "arista_eos": ("show frobnicate", "% Invalid input (at token 1: 'frobnicate')"),
    "juniper_junos": ("frobnicate", "unknown command."),
    "mikrotik_routeros": ("/frobnicate", "bad command name frobnicate (line 1 column 2)"),
    "linux": ("frobnicate", "-bash: frobnicate: command not found"),
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_platform_rejects_an_unknown_command_as_the_real_one_does(lab, platform):
    d = by_platform(lab, platform)
    command, message = UNKNOWN[platform]
    with pytest.raises(CommandError) as info:
        run(fetch(driver_spec(d), command))
    assert message in info.value.output
    assert d.password not in str(info.value)


CHANGES = {
    "cisco_ios": (["interface GigabitEthernet1/0/2", "description netcron-marker"], "description netcron-marker"),
    "cisco_nxos": (["interface Ethernet1/2", "description netcron-marker"], "description netcron-marker"),
    "arista_eos": (["interface Ethernet2", "description netcron-marker"], "description netcron-marker"),
    "juniper_junos": (["set interfaces ge-0/0/2 description netcron-marker"], "description netcron-marker;"),
    "mikrotik_routeros": (["/interface ethernet set ether2 comment=netcron-marker"], "comment=netcron-marker"),
    "linux": (["echo 'ip route 10.99.0.0/16 blackhole' >> /etc/frr/frr.conf"], "ip route 10.99.0.0/16 blackhole"),
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_platform_config_change_shows_up_in_the_next_backup(lab, platform):
    d = by_platform(lab, platform)
    lines, marker = CHANGES[platform]

    async def go():
        async with connect(driver_spec(d)) as s:
            before = await s.send_command(CONFIG_COMMAND[platform])
            await s.send_config(lines)
            await s.save_config()
        async with connect(driver_spec(d)) as s:
            return before, await s.send_command(CONFIG_COMMAND[platform])

    before, after = run(go())
    assert marker not in before
    assert marker in after


def test_junos_uncommitted_changes_do_not_reach_the_configuration(lab):
    d = by_platform(lab, "juniper_junos")

    async def go():
        async with connect(driver_spec(d)) as s:
            await s.send_command("configure")
            await s.send_command("set system location building uncommitted")
            await s.send_command("exit")
            return await s.send_command("show configuration | match uncommitted")

    assert run(go()) == ""


def test_hostname_change_in_config_mode_is_followed_by_the_driver(lab):
    d = by_platform(lab, "arista_eos")

    async def go():
        async with connect(driver_spec(d)) as s:
            await s.send_config([f"hostname {d.name}-renamed"])
            out = await s.send_command("show version")
            prompt = s.prompt
            await s.send_config([f"hostname {d.name}"])
            return out, prompt

    out, prompt = run(go())
    assert "Serial number" in out
    assert prompt == f"{d.name}-renamed#"


def test_routeros_login_suffix_turns_paging_off(lab):
    d = by_platform(lab, "mikrotik_routeros")
    (out,) = run(fetch(driver_spec(d), "/export"))
    assert out.startswith("# ") and "Q quit" not in out


def test_out_of_band_change_is_seen_by_the_next_backup(lab):
    d = by_platform(lab, "cisco_nxos")
    lab.configure(d.name, ["interface Ethernet1/4", "description changed out of band"])
    (out,) = run(fetch(driver_spec(d), "show running-config"))
    assert "description changed out of band" in out


def test_cipher_preference_is_asyncssh_defaults_with_aes_gcm_first():
    from asyncssh.encryption import get_default_encryption_algs

    from netcron.lib.ssh.session import ENCRYPTION_ALGS

    assert ENCRYPTION_ALGS[:2] == ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")
    # a reordering only: nothing added (no CBC, no weak cipher), nothing dropped (old devices keep working)
    assert sorted(ENCRYPTION_ALGS) == sorted(a.decode() for a in get_default_encryption_algs())


def test_device_offering_only_keyboard_interactive_still_logs_in(tmp_path):
    """The driver tries password first now (one round trip less); keyboard-interactive stays the fallback."""
    from netcron.lab.device import DeviceState
    from netcron.lab.keys import LabHostKeys
    from netcron.lab.server import _DeviceServer

    class KbdintOnly(_DeviceServer):
        def password_auth_supported(self) -> bool:
            return False

        def kbdint_auth_supported(self) -> bool:
            return True

        def get_kbdint_challenge(self, username, lang, submethods):
            return "", "", "", [("Password: ", False)]

        def validate_kbdint_response(self, username, responses):
            return len(responses) == 1 and self.validate_password(username, responses[0])

    d = generate(1, ["cisco_ios"], port=free_port())[0]
    state = DeviceState(d)

    async def go():
        acceptor = await asyncssh.listen(
            d.host, d.port, server_factory=lambda: KbdintOnly(state),
            server_host_keys=[LabHostKeys(tmp_path).key(d.name)], line_editor=False, encoding="utf-8",
            gss_host=None,
        )
        try:
            async with connect(driver_spec(d)) as s:
                output = await s.send_command("show version")
            with pytest.raises(AuthFailed):
                await connect(driver_spec(d, password="wrong"))
            return output
        finally:
            acceptor.close()

    assert "Cisco IOS XE Software" in run(go())
    # The refused password went through keyboard-interactive once, not again.
    assert (state.logins, state.auth_failures) == (1, 1)
