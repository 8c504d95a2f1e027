"""The one base of Citegraph's expected errors.

An expected error is the user's to fix (a bad file, an unreachable store, a wrong setting):
the CLI prints it as one line and the web app answers it with a status, never a traceback.
Anything else is a defect and keeps its traceback."""
from __future__ import annotations


class CitegraphError(Exception):
    """An expected failure, reported to the user as one line."""


class SettingsError(CitegraphError):
    """A setting that cannot be used, named with where it came from."""
