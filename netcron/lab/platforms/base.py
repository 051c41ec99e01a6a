"""Shared machinery of the simulated CLIs: command tables with abbreviations, output pipes, replies.

A CLI object is synchronous and knows nothing about SSH: the server feeds it lines and writes what it
returns (paging, echo and latency are the server's job). That keeps every platform testable without a
socket.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netcron.lab.device import DeviceState


@dataclass
class Reply:
    output: str = ""
    secret_next: bool = False  # the next line is a password: the server must not echo it
    close: bool = False  # end the session once the output is written
    paged: bool = True  # subject to the pager (False for short status messages)


class Invalid(Exception):
    """A command the CLI does not accept; ``pos`` is the offending character offset in the line."""

    def __init__(self, pos: int, kind: str = "invalid", token: str = "") -> None:
        self.pos = pos
        self.kind = kind  # invalid | incomplete | ambiguous
        self.token = token
        super().__init__(kind)


Handler = Callable[[list[str]], "Reply | str"]


class CommandTable:
    """Word paths with unique-prefix abbreviation, like IOS/EOS/Junos parsers ("sh run", "conf t").

    A path ending in "*" takes any remaining words as arguments; "?" takes zero or more.
    """

    def __init__(self) -> None:
        self._root: dict = {}

    def add(self, path: str, handler: Handler) -> None:
        node = self._root
        for word in path.split():
            node = node.setdefault(word, {})
        node[None] = handler

    def resolve(self, line: str) -> tuple[Handler, list[str]]:
        tokens = [(m.group(), m.start()) for m in re.finditer(r"\S+", line)]
        node = self._root
        for i, (tok, pos) in enumerate(tokens):
            words = [w for w in node if w is not None and w not in ("*", "?")]
            exact = [w for w in words if w.lower() == tok.lower()]
            matches = exact or [w for w in words if w.lower().startswith(tok.lower())]
            if not matches and ("*" in node or "?" in node):
                handler = node["*" if "*" in node else "?"].get(None)
                if handler is not None:
                    return handler, [t for t, _ in tokens[i:]]
            if not matches:
                raise Invalid(pos, "invalid", tok)
            if len(matches) > 1:
                raise Invalid(pos, "ambiguous", " ".join(t for t, _ in tokens[: i + 1]))
            node = node[matches[0]]
        if None in node:
            return node[None], []
        if "?" in node and None in node["?"]:
            return node["?"][None], []
        raise Invalid(len(line), "incomplete")


_PIPE = re.compile(r"\s+\|\s*(?=\S)")


def split_pipes(line: str) -> tuple[str, list[list[str]]]:
    parts = _PIPE.split(line)
    return parts[0], [p.split(None, 1) for p in parts[1:]]


def apply_pipes(text: str, pipes: list[list[str]], *, style: str = "cisco") -> str:
    """Output modifiers: cisco ``include/exclude/begin/section/count``, junos ``match/except/count``."""
    for pipe in pipes:
        word = pipe[0].lower()
        arg = pipe[1] if len(pipe) > 1 else ""
        lines = text.split("\n")
        if word in ("i", "in", "inc", "incl", "include", "match", "grep"):
            rx = re.compile(arg)
            lines = [x for x in lines if rx.search(x)]
        elif word in ("e", "ex", "exc", "exclude", "except"):
            rx = re.compile(arg)
            lines = [x for x in lines if not rx.search(x)]
        elif word in ("b", "be", "beg", "begin"):
            rx = re.compile(arg)
            for i, x in enumerate(lines):
                if rx.search(x):
                    lines = lines[i:]
                    break
            else:
                lines = []
        elif word in ("s", "se", "sec", "section"):
            rx = re.compile(arg)
            out, keep = [], False
            for x in lines:
                if not x.startswith(" "):
                    keep = bool(rx.search(x))
                if keep:
                    out.append(x)
            lines = out
        elif word in ("c", "co", "cou", "count"):
            n = sum(1 for x in lines if x.strip())
            lines = [f"Count: {n} lines" if style == "junos" else f"Number of lines which match regexp = {n}"]
        elif word in ("no-more", "display", "json"):
            continue
        else:
            raise ValueError(word)
        text = "\n".join(lines)
    return text


class Cli:
    """Base of every simulated CLI. Subclasses set ``platform`` and fill ``self.commands``."""

    platform = ""
    more_prompt = " --More-- "
    more_erase = "\b" * 9 + " " * 9 + "\b" * 9
    default_page_length = 24
    exit_words = ("exit", "logout", "quit")

    def __init__(self, device: DeviceState, username: str, options: str = "") -> None:
        self.device = device
        self.username = username
        self.options = options
        self.page_length = self.default_page_length
        self._pending_secret: Callable[[str], Reply] | None = None
        self.commands = CommandTable()

    # what the server calls ------------------------------------------------------------------------

    def banner(self) -> str:
        return ""

    def prompt(self) -> str:
        raise NotImplementedError

    def handle(self, line: str) -> Reply:
        if self._pending_secret is not None:
            cont, self._pending_secret = self._pending_secret, None
            return cont(line)
        if not line.strip():
            return Reply()
        try:
            return self.dispatch(line)
        except Invalid as e:
            return Reply(self.error(line, e), paged=False)

    def dispatch(self, line: str) -> Reply:
        cmd, pipes = split_pipes(line)
        handler, args = self.commands.resolve(cmd)
        result = handler(args)
        reply = result if isinstance(result, Reply) else Reply(result)
        if pipes:
            try:
                reply.output = apply_pipes(reply.output, pipes, style=self.platform)
            except (ValueError, re.error):
                raise Invalid(line.index("|") + 1) from None
        return reply

    def error(self, line: str, err: Invalid) -> str:
        raise NotImplementedError

    def ask_secret(self, prompt: str, then: Callable[[str], Reply]) -> Reply:
        self._pending_secret = then
        return Reply(prompt, secret_next=True, paged=False)

    # helpers ----------------------------------------------------------------------------------------

    @property
    def hostname(self) -> str:
        return self.device.hostname

    @property
    def facts(self):
        return self.device.facts

    # config model hooks, one implementation per platform ----------------------------------------------

    @classmethod
    def build_config(cls, facts, spec):
        """Initial running config built from the device facts."""
        raise NotImplementedError

    def render_running(self) -> str:
        raise NotImplementedError

    def interfaces(self):
        """Interfaces as currently configured (NETCONF and SNMP views)."""
        return self.facts.interfaces

    def render_startup(self) -> str:
        raise NotImplementedError

    def cached_running(self) -> str:
        """``render_running()``, rendered once per device change (see ``DeviceState.cached_render``)."""
        return self.device.cached_render("running", self.render_running)

    def apply_lines(self, lines: list[str]) -> None:
        """Out-of-band config change (tests, lab API); ValueError on a line the platform would reject."""
        raise NotImplementedError
