"""The one error the clearing shell reports: bad input, naming the option or field."""

from __future__ import annotations


class ClearingInputError(ValueError):
    """Bad input; `where` names the option, file or field at fault."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message
