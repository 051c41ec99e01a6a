from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from netcron.executors.backup.normalize import PLATFORM_COMMANDS
from netcron.executors.base import Params
from netcron.lib.gitstore import check_url
from netcron.lib.templating import RenderError, compile_template, validate_path_template

DEFAULT_MESSAGE = ("backup: {{ changed }} changed, {{ unchanged }} unchanged, {{ failed }} failed "
                   "(run #{{ run_id }})")


class BackupParams(Params):
    configs: Literal["running", "startup", "both"] = Field(
        "running", description="Which configs to back up (platforms without a startup config skip it)")
    repository_path: str = Field(
        "", max_length=500,
        description="Local repository; relative paths are under the data directory. Empty: DATA_DIR/configs "
                    "(or a clone per remote_url)")
    remote_url: str = Field("", max_length=500,
                            description="Push every backup commit here (file://, ssh://, https://, user@host:path)")
    branch: str = Field("main", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._/\-]+$")
    push_credential_id: int | None = Field(
        None, description="Credential for the remote: username + password/token (https) or private_key (ssh)")
    backup_running_config_path: str = Field(
        "{{ location.name }}/{{ device.name }}.running.cfg", max_length=400,
        description="Path of the running config in the repository: Jinja with device, location, tags, "
                    "custom_fields (seed style {device_name}, {location.name} accepted)")
    backup_startup_config_path: str = Field(
        "{{ location.name }}/{{ device.name }}.startup.cfg", max_length=400,
        description="Path of the startup config, same variables")
    commit_message: str = Field(DEFAULT_MESSAGE, min_length=1, max_length=2000,
                                description="Jinja with run_id, job_name, changed, unchanged, failed, devices")
    # Empty (null) session parameters follow the system settings at run time (executors/defaults.py).
    parallel_tasks: int | None = Field(None, ge=1, le=1000, description="Devices fetched at the same time. Empty: "
                                                                        "the system setting default_parallelism")
    device_timeout: float = Field(300, gt=0, le=3600, description="Seconds per device, login included")
    command_timeout: float | None = Field(None, gt=0, le=3600, description="Seconds per show command. Empty: the "
                                                                           "system setting ssh_command_timeout")
    connect_timeout: float | None = Field(None, gt=0, le=300, description="Seconds to log in. Empty: the system "
                                                                          "setting ssh_connect_timeout")
    write_timestamp_to_custom_field: bool = Field(False, description="Stamp the backup time on each device")
    timestamp_custom_field_name: str = Field("last_backup", min_length=1, max_length=100)
    strip_volatile: bool = Field(True, description="Drop lines that change without a config change "
                                                   "(timestamps, ntp clock-period, export header)")
    volatile_lines: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Extra regexes of lines to drop, per platform (key '*' for every platform)")
    commands: dict[str, dict[Literal["running", "startup"], str]] = Field(
        default_factory=dict,
        description="Override the show command per platform and kind, e.g. "
                    "{\"juniper_junos\": {\"running\": \"show configuration | display set\"}}")

    @field_validator("backup_running_config_path", "backup_startup_config_path")
    @classmethod
    def path_stays_in_repository(cls, value: str) -> str:
        return validate_path_template(value)

    @field_validator("commit_message")
    @classmethod
    def message_compiles(cls, value: str) -> str:
        try:
            compile_template(value)
        except RenderError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("remote_url")
    @classmethod
    def remote_url_is_plain(cls, value: str) -> str:
        if not value:
            return value
        check_url(value)
        if re.match(r"^[a-z+]+://[^/@]*:[^/@]*@", value):
            raise ValueError("must not contain a password: use push_credential_id")
        return value

    @field_validator("repository_path")
    @classmethod
    def repository_path_is_safe(cls, value: str) -> str:
        if "\x00" in value or any(part == ".." for part in value.replace("\\", "/").split("/")):
            raise ValueError("must not contain '..' or NUL")
        return value

    @field_validator("volatile_lines")
    @classmethod
    def patterns_compile(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for platform, patterns in value.items():
            if platform != "*" and platform not in PLATFORM_COMMANDS:
                raise ValueError(f"unknown platform {platform!r}")
            for pattern in patterns:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"{platform}: invalid regex {pattern!r}: {exc}") from None
        return value

    @field_validator("commands")
    @classmethod
    def known_platforms(cls, value: dict) -> dict:
        unknown = sorted(set(value) - set(PLATFORM_COMMANDS))
        if unknown:
            raise ValueError(f"unknown platform(s) {', '.join(unknown)}")
        return value

    @model_validator(mode="after")
    def kinds_have_distinct_paths(self) -> BackupParams:
        if self.configs == "both" and self.backup_running_config_path == self.backup_startup_config_path:
            raise ValueError("backup_running_config_path and backup_startup_config_path must differ")
        return self

    @property
    def kinds(self) -> list[str]:
        return ["running", "startup"] if self.configs == "both" else [self.configs]

    def path_template(self, kind: str) -> str:
        return self.backup_running_config_path if kind == "running" else self.backup_startup_config_path
