"""The exceptions msm raises. Every message is the Rust library's: it says what is
wrong, where, and how to fix it."""


class MsmError(Exception):
    """Base class of every error msm raises."""


class BadValue(MsmError, ValueError):
    """A value a variable cannot take: the wrong type, out of range, a string too long
    or not ASCII, a write to an area that is read-only on the master side."""


class BadDeclaration(MsmError, ValueError):
    """A variable, memory or worker that cannot be declared as asked: an address past
    the end of its area, a type that does not fit the area, an unknown word order, an
    invalid setting."""


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
    """The slave answered with a Modbus exception (a refused write, an illegal address)
    or with a malformed response."""


class Stopped(MsmError):
    """The worker was stopped while the call waited for it."""


__all__ = [
    "MsmError",
    "BadValue",
    "BadDeclaration",
    "MapError",
    "UnknownName",
    "Timeout",
    "ConnectionFailed",
    "ModbusError",
    "Stopped",
]
