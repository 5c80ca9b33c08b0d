"""The exceptions msm raises. Every message says what is wrong, where, and how to fix
it."""

from typing import Optional


class MsmError(Exception):
    """Base class of every error msm raises."""


class BadValue(MsmError, ValueError):
    """A value a variable cannot take: the wrong type, out of range, a string too long
    or not ASCII, a write to an area that is read-only on the master side."""


class BadDeclaration(MsmError, ValueError):
    """A variable, memory or worker that cannot be declared as asked: an address past
    the end of its area, a type that does not fit the area, an unknown word order, an
    invalid setting."""


class BadArgument(BadDeclaration, TypeError):
    """An argument of the wrong Python type (a str where an int is expected, say): both
    an `msm.BadDeclaration` and a `TypeError`. The message names the argument and what
    it takes."""


class MapError(MsmError, ValueError):
    """A map file that cannot be loaded or built; the message gives the file, line and
    column."""


class UnknownName(MsmError, KeyError):
    """A variable name that a map does not declare; the message suggests close names."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class Timeout(MsmError, TimeoutError):
    """A blocking call (sync, flush, wait_changed) did not complete in time, or the slave
    did not answer in time."""


class ConnectionFailed(MsmError, ConnectionError):
    """The slave cannot be reached, the connection was lost, or an address cannot be
    bound."""


class ModbusError(MsmError):
    """The slave answered, but not usably: a Modbus exception (a refused write, an
    illegal address, 06 busy), a malformed answer (the message says what came back), or
    an answer from another unit.

    Attributes: `code`, the exception code (an int, 6 for busy) or `None` for a
    malformed answer or another unit's; `unit`; `operation` (`"read"` or `"write"`);
    `area` (`"holding"`, `"input"`, `"coil"`, `"discrete"`); `address` and `count`, the
    block of the request.
    """

    def __init__(
        self,
        message: str,
        code: Optional[int] = None,
        unit: Optional[int] = None,
        operation: Optional[str] = None,
        area: Optional[str] = None,
        address: Optional[int] = None,
        count: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.unit = unit
        self.operation = operation
        self.area = area
        self.address = address
        self.count = count

    def __reduce__(self) -> "tuple[type, tuple[object, ...]]":  # pickled with its attributes
        return (
            type(self),
            (self.args[0] if self.args else "", self.code, self.unit, self.operation,
             self.area, self.address, self.count),
        )


class Stopped(MsmError):
    """The worker was stopped while the call waited for it."""


__all__ = [
    "MsmError",
    "BadValue",
    "BadDeclaration",
    "BadArgument",
    "MapError",
    "UnknownName",
    "Timeout",
    "ConnectionFailed",
    "ModbusError",
    "Stopped",
]
