"""The errors a data source raises: each message names the file, array, column or key at fault."""

from __future__ import annotations

from hw4.errors import InputError


class DataError(InputError):
    """Bad data: the message names the file or field at fault."""


class ChecksumError(DataError):
    """A downloaded or cached file whose sha256 is not the expected one."""
