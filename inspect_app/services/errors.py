"""The one exception services raise for a refused request: a status, a code and a Vietnamese message."""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    """Bad input, a conflict or a missing right; nothing was written."""

    def __init__(self, status: int, code: str, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra or {}
