"""Errors a person can act on. The CLI turns them into exit code 2 and one line on stderr;
the window shows them in a dialog and keeps the current run."""


class UserError(Exception):
    """A problem the user can fix: a bad file, a bad setting, an unwritable folder."""


class DataError(UserError):
    """A data file or task that cannot be used; the message says why and what to do."""


class SessionError(UserError):
    """A session file that is truncated, foreign or from a newer rnnviz."""
