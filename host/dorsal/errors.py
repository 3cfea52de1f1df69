"""The one user-facing error type: the CLI turns it into a message and an exit code."""

from __future__ import annotations


class DorsalError(Exception):
    """A problem the user can fix (bad file, no device, bad setting).

    The CLI prints ``str(error)`` on one line and exits with ``exit_code``;
    programming errors are not wrapped and crash loudly.
    """

    exit_code: int = 1

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class NotBuiltYet(DorsalError):
    """A command of the stable CLI whose implementation has not landed yet."""

    exit_code = 3
