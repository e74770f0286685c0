"""Errors a user can fix. The CLI prints these as one line, without a traceback."""


class KerasmodelsError(Exception):
    """A mistake the user can fix; the message says what is wrong and how to fix it."""


class MissingDataError(KerasmodelsError, FileNotFoundError):
    """A data set or data pack is not on this machine.

    The message names the data set and gives the exact command that fixes it.
    """
