from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from netcron.executors.base import Params
from netcron.lib.templating import RenderError, check_relative_path, compile_template


class RunCommandsParams(Params):
    commands: list[str] = Field(default_factory=list, max_length=500,
                                description="Commands to send, in order; each may use Jinja (device, location, "
                                            "tags, custom_fields)")
    command_template: str = Field("", max_length=100_000,
                                  description="Jinja template rendering one command per line (instead of commands)")
    command_template_name: str = Field("", max_length=400,
                                       description="File in template_repository holding the command template")
    template_repository: str = Field("", max_length=500,
                                     description="Directory or git repository (its HEAD is read) of command "
                                                 "templates; relative to the data directory. Empty: DATA_DIR/templates")
    config_mode: bool = Field(False, description="Send the commands as configuration (config mode; Junos commits)")
    save_config: bool = Field(False, description="After config mode, save the config (write memory)")
    stop_on_error: bool = Field(True, description="Stop sending a device's commands after the first failure")
    # Empty (null) session parameters follow the system settings at run time (executors/defaults.py).
    parallel_tasks: int | None = Field(None, ge=1, le=1000,
                                       description="Devices worked on at the same time. Empty: the system setting "
                                                   "default_parallelism")
    command_timeout: float | None = Field(None, gt=0, le=3600, description="Seconds per command. Empty: the system "
                                                                           "setting ssh_command_timeout")
    device_timeout: float = Field(600, gt=0, le=7200, description="Seconds per device, login included")
    connect_timeout: float | None = Field(None, gt=0, le=300, description="Seconds to log in. Empty: the system "
                                                                          "setting ssh_connect_timeout")
    parse_output: bool = Field(False, description="Parse outputs with TextFSM (ntc-templates) when installed")
    max_output_bytes: int = Field(64 * 1024, ge=1024, le=4 * 1024 * 1024,
                                  description="Per command; longer outputs are truncated with a marker")
    dry_run: bool = Field(False, description="Render the commands per device without connecting")

    @field_validator("commands")
    @classmethod
    def commands_compile(cls, value: list[str]) -> list[str]:
        for i, command in enumerate(value):
            if not command.strip():
                raise ValueError(f"command {i + 1} is empty")
            _compiles(command)
        return value

    @field_validator("command_template")
    @classmethod
    def template_compiles(cls, value: str) -> str:
        if value:
            _compiles(value)
        return value

    @field_validator("command_template_name")
    @classmethod
    def name_stays_in_repository(cls, value: str) -> str:
        if value:
            try:
                return check_relative_path(value)
            except RenderError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("template_repository")
    @classmethod
    def repository_is_safe(cls, value: str) -> str:
        if "\x00" in value or ".." in value.replace("\\", "/").split("/"):
            raise ValueError("must not contain '..' or NUL")
        return value

    @model_validator(mode="after")
    def exactly_one_source(self) -> RunCommandsParams:
        given = [n for n in ("commands", "command_template", "command_template_name") if getattr(self, n)]
        if len(given) != 1:
            raise ValueError("give exactly one of commands, command_template or command_template_name")
        if self.save_config and not self.config_mode:
            raise ValueError("save_config needs config_mode")
        return self


def _compiles(source: str) -> None:
    try:
        compile_template(source)
    except RenderError as exc:
        raise ValueError(str(exc)) from None
