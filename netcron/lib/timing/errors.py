"""The one exception schedule validation raises."""


class ScheduleError(ValueError):
    """An invalid schedule; ``field`` names the offending schedule attribute, str() is the message."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return self.message
