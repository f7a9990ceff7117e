"""Errors a person can act on. The CLI turns them into exit code 2 and one line on stderr;
the window shows them in a dialog and keeps the current run."""


class UserError(Exception):
    """A problem the user can fix: a bad file, a bad setting, an unwritable folder."""


class DataError(UserError):
    """A data file or task that cannot be used; the message says why and what to do."""


class EncodingError(DataError):
    """Bytes that are not valid in the encoding asked for; the window offers another one."""

    def __init__(self, message: str, encoding: str, offset: int) -> None:
        super().__init__(message)
        self.encoding = encoding  # the encoding that failed
        self.offset = offset  # byte offset of the first invalid byte in the file


class SessionError(UserError):
    """A session file that is truncated, foreign or from a newer rnnviz."""


class WeightsError(UserError):
    """A weights file (safetensors or PyTorch) that cannot be read as an rnnviz network;
    the message names the tensor and what was expected."""
