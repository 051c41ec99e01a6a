"""What the SSH driver needs to know about each CLI: prompts, paging, enable, config mode, errors.

Adding a platform is adding one ``Platform`` to the registry (``register``); the driver has no
per-vendor branches.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field


def _cisco_prompt(base: str) -> str:
    return re.escape(base) + r"(?:\([\w.\-/:]+\))?[>#] ?"


@dataclass(frozen=True)
class Platform:
    name: str
    # Any prompt of this CLI, whatever the hostname; used before we know the hostname and after config
    # changes (which may rename the device). Matched against the last line of output.
    prompt: str
    # Extract the stable part of a prompt (hostname, user@host) from a matched prompt line ...
    prompt_base: Callable[[str], str]
    # ... and build the regex of every prompt of that device from it.
    prompt_from_base: Callable[[str], str]
    paging_off: tuple[str, ...] = ()
    username_suffix: str = ""  # RouterOS reads terminal options from the login name
    enable_cmd: str | None = None
    privileged_suffix: str = "#"  # the prompt ends with this once privileged
    password_prompt: str = r"[Pp]assword: ?"  # noqa: S105 - a regex, not a password
    config_enter: tuple[str, ...] = ()
    config_exit: tuple[str, ...] = ()
    save_cmds: tuple[str, ...] = ()
    # Answers to confirmation questions (regex -> what to send), e.g. copy's "Destination filename".
    confirmations: tuple[tuple[str, str], ...] = ()
    more: str = r"--More--|---\(more[^)]*\)---|-- \[Q quit\|D dump\|down\]"
    errors: tuple[str, ...] = ()
    config_errors: tuple[str, ...] = ()  # only checked inside config mode / on commit
    line_end: str = "\n"
    extra: dict[str, str] = field(default_factory=dict)

    def error_re(self) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{e})" for e in self.errors), re.M)


def _cisco_base(prompt: str) -> str:
    return re.sub(r"(\([^)]*\))?[>#] ?$", "", prompt.strip())


_CISCO_ERRORS = (
    r"^% ?Invalid (?:input|command)",
    r"^% ?Incomplete command",
    r"^% ?Ambiguous command",
    r"^% ?Unknown command",
    r"^% ?Unrecognized command",
    r"^% ?Access denied",
    r"^% ?Bad secrets",
)

_REGISTRY: dict[str, Platform] = {}


def register(platform: Platform) -> Platform:
    _REGISTRY[platform.name] = platform
    return platform


def get_platform(name: str) -> Platform:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown platform {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def platform_names() -> list[str]:
    return sorted(_REGISTRY)


_CISCO_PROMPT = r"[\w.\-/:]+(?:\([\w.\-/:]+\))?[>#] ?"

CISCO_IOS = register(
    Platform(
        name="cisco_ios",
        prompt=_CISCO_PROMPT,
        prompt_base=_cisco_base,
        prompt_from_base=_cisco_prompt,
        paging_off=("terminal length 0", "terminal width 511"),
        enable_cmd="enable",
        config_enter=("configure terminal",),
        config_exit=("end",),
        save_cmds=("write memory",),
        errors=_CISCO_ERRORS,
    )
)

CISCO_NXOS = register(
    Platform(
        name="cisco_nxos",
        prompt=_CISCO_PROMPT,
        prompt_base=_cisco_base,
        prompt_from_base=_cisco_prompt,
        paging_off=("terminal length 0", "terminal width 511"),
        enable_cmd=None,  # NX-OS roles decide privileges at login
        config_enter=("configure terminal",),
        config_exit=("end",),
        save_cmds=("copy running-config startup-config",),
        errors=(*_CISCO_ERRORS, r"^% ?Permission denied"),
    )
)

ARISTA_EOS = register(
    Platform(
        name="arista_eos",
        prompt=_CISCO_PROMPT,
        prompt_base=_cisco_base,
        prompt_from_base=_cisco_prompt,
        paging_off=("terminal length 0", "terminal width 32767"),
        enable_cmd="enable",
        config_enter=("configure terminal",),
        config_exit=("end",),
        save_cmds=("write memory",),
        errors=(*_CISCO_ERRORS, r"^% ?Not supported"),
    )
)


def _junos_base(prompt: str) -> str:
    return re.sub(r"[>#%] ?$", "", prompt.strip())


JUNIPER_JUNOS = register(
    Platform(
        name="juniper_junos",
        prompt=r"[\w.\-]+@[\w.\-]+[>#] ?",
        prompt_base=_junos_base,
        prompt_from_base=lambda base: re.escape(base) + r"[>#] ?",
        paging_off=("set cli screen-length 0", "set cli screen-width 0"),
        config_enter=("configure",),
        # "commit and-quit" applies the candidate and leaves config mode in one step.
        config_exit=("commit and-quit",),
        save_cmds=(),  # a commit is persistent
        errors=(r"^unknown command\.", r"^syntax error", r"^error: ", r"^invalid (?:command|value)"),
        config_errors=(r"^error: commit failed", r"^error: configuration check-out failed"),
    )
)


def _ros_base(prompt: str) -> str:
    m = re.match(r"\[([^\]]+)\]", prompt.strip())
    return m.group(1) if m else prompt.strip()


MIKROTIK_ROUTEROS = register(
    Platform(
        name="mikrotik_routeros",
        prompt=r"\[[\w.\-]+@[\w.\-]+\] (?:/[\w/\- ]*)?> ?",
        prompt_base=_ros_base,
        prompt_from_base=lambda base: r"\[" + re.escape(base) + r"\] (?:/[\w/\- ]*)?> ?",
        # c: no colours, t: no terminal auto-detection, e: dumb terminal, w/h: a screen large enough
        # that nothing is paged. This is how RouterOS expects automation to log in.
        username_suffix="+ct511w4098h",
        errors=(
            r"^bad command name ",
            r"^syntax error ",
            r"^expected end of command ",
            r"^failure: ",
            r"^input does not match any value",
            r"^no such item",
        ),
        line_end="\r\n",
    )
)


def _linux_base(prompt: str) -> str:
    return prompt.strip().split(":", 1)[0]


LINUX = register(
    Platform(
        name="linux",
        prompt=r"[\w.\-]+@[\w.\-]+:[^\n$#]*[$#] ?",
        prompt_base=_linux_base,
        prompt_from_base=lambda base: re.escape(base) + r":[^\n$#]*[$#] ?",
        paging_off=(),
        errors=(r": command not found$", r"No such file or directory$", r"Permission denied$"),
        more=r"(?!x)x",  # never matches: shells do not page
    )
)
