"""The one base class for bad input: data, config, a model or an artifact a user brought.

Its message already names the file, key, column or row at fault, so a rule's log records it
as that one line (``hw4.io.logs``): a traceback would only bury it. Anything else that
fails is a bug, and is logged with its traceback.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input, named in the message; the rule stops without a traceback."""
