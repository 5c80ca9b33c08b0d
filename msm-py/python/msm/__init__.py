"""msm: Modbus Shared Memory, on msm's Rust core.

A program declares a `Memory` (four Modbus areas) and typed variables on it; a `Slave`
serves the memory to any Modbus master, a `Master` keeps it in sync with a remote slave.
Blocking calls release the GIL, and Ctrl-C interrupts them.

>>> import msm
>>> mem = msm.Memory(8)
>>> counter = mem.holding(1, "u32", order="CDAB")
>>> counter.value = 11
>>> counter.get()
11
"""

from ._errors import (
    BadArgument,
    BadDeclaration,
    BadValue,
    ConnectionFailed,
    MapError,
    ModbusError,
    MsmError,
    Stopped,
    Timeout,
    UnknownName,
)
from ._msm import (
    Fault,
    File,
    Map,
    MapMemory,
    Master,
    MasterHandle,
    Memory,
    Simulator,
    SimulatorHandle,
    Slave,
    SlaveHandle,
    Status,
    Var,
)
from . import web

from . import aio  # noqa: E402  (msm.aio: the same API for asyncio)

try:
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("msm-modbus")
except PackageNotFoundError:  # not installed (imported from a source tree)
    __version__ = "0.0.0"

__all__ = [
    "__version__",
    "Memory",
    "Var",
    "File",
    "Slave",
    "SlaveHandle",
    "Master",
    "MasterHandle",
    "Status",
    "Map",
    "MapMemory",
    "Fault",
    "Simulator",
    "SimulatorHandle",
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
    "aio",
    "web",
]
