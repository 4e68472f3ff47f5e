"""The one base class for bad input: data, config, a model or an artifact a user brought,
and the one for a run that failed for a reason outside the code (processes that died).

Their messages already name what is at fault, so a rule's log records each as that one
line (``hw4.io.logs``): a traceback would only bury it. Anything else that fails is a bug,
and is logged with its traceback.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input, named in the message; the rule stops without a traceback."""


class RunFailure(RuntimeError):
    """A run that could not finish for a reason outside the code, said in the message
    (every worker of a search died, say); the rule stops without a traceback."""
