"""msm for asyncio: the same builders, settings and exceptions as the blocking API, with
awaitable calls that never block the event loop.

>>> import asyncio, msm
>>> async def main():
...     plc = msm.Memory(8)
...     async with await msm.aio.Slave.tcp("127.0.0.1:0").serve(plc) as slave:
...         hmi = msm.Memory(8)
...         async with await msm.aio.Master.tcp(slave.local_addr).period(0.1).start(hmi) as m:
...             plc.holding(0).set(42)
...             await m.sync()
...             return hmi.holding(0).get()
>>> asyncio.run(main())
42

The waits run on msm's runtime; each completes an asyncio future through the event
loop's `call_soon_threadsafe`. Cancelling a task that awaits one of them (or
`asyncio.wait_for` running out) ends the wait at once: nothing is left waiting.
"""

from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Generator, Generic, List, Optional, Sequence, TypeVar, cast

from . import _msm
from ._msm import MasterHandle as _BlockingMasterHandle
from ._msm import SlaveHandle as _BlockingSlaveHandle
from ._msm import Status, Var

__all__ = ["Master", "MasterHandle", "Slave", "SlaveHandle", "wait_changed", "changes"]


Handle = TypeVar("Handle", "SlaveHandle", "MasterHandle")


class _Starting(Generic[Handle]):
    """What `Slave.serve(...)` and `Master.start(...)` return: await it for the handle,
    or use it directly in `async with` (it stops the worker on exit)."""

    def __init__(self, start: Callable[[], Awaitable[Handle]]) -> None:
        self._start: Callable[[], Awaitable[Handle]] = start
        self._handle: Optional[Handle] = None

    def __await__(self) -> Generator[Any, None, Handle]:
        return self._start().__await__()

    async def __aenter__(self) -> Handle:
        self._handle = await self._start()
        return self._handle

    async def __aexit__(self, *exc: object) -> None:
        if self._handle is not None:
            await self._handle.stop()


class SlaveHandle:
    """A running slave: `local_addr`, `connections`, `running`, `await stop()`. An async
    context manager: `async with await msm.aio.Slave.tcp(addr).serve(mem) as slave:`
    stops it on exit."""

    def __init__(self, handle: _BlockingSlaveHandle) -> None:
        self._handle = handle

    @property
    def local_addr(self) -> "tuple[str, int]":
        """The address it listens on, as `(host, port)`."""
        return self._handle.local_addr

    @property
    def connections(self) -> int:
        """Connections being served now."""
        return self._handle.connections

    @property
    def running(self) -> bool:
        """True until `stop()`."""
        return self._handle.running

    @property
    def blocking(self) -> _BlockingSlaveHandle:
        """The same slave's blocking handle (`msm.SlaveHandle`)."""
        return self._handle

    @property
    def faults_applied(self) -> "list[int]":
        """How many requests each fault has been applied to, in order."""
        return self._handle.faults_applied

    def set_faults(self, faults: Any) -> None:
        """Replaces the faults while serving (a list of `msm.Fault`, or an `msm.Map`'s;
        `[]` switches them off): every connection's next request sees them. Returns at
        once."""
        self._handle.set_faults(faults)

    async def stop(self) -> None:
        """Stops serving (closing every connection); returns once stopped. Stopping
        twice does nothing."""
        await _msm._aio_stop_slave(self._handle)

    async def __aenter__(self) -> "SlaveHandle":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def __repr__(self) -> str:
        return repr(self._handle).replace("<msm.", "<msm.aio.", 1)


class Slave:
    """Sets up a slave as `msm.Slave` does (the same constructors and settings, each
    returning a new builder); `serve(memory)` is awaited.

    >>> import msm
    >>> msm.aio.Slave.tcp("127.0.0.1:0", unit=1).max_connections(4)
    <msm.aio.Slave ...>
    """

    def __init__(self, builder: _msm.Slave) -> None:
        self._builder = builder

    @staticmethod
    def tcp(addr: Any, *, unit: Optional[int] = None, units: Optional[Sequence[int]] = None) -> "Slave":
        """A Modbus/TCP slave listening on `addr` (`"host:port"` or `(host, port)`)."""
        return Slave(_msm.Slave.tcp(addr, unit=unit, units=units))

    @staticmethod
    def rtu_over_tcp(addr: Any, *, unit: Optional[int] = None, units: Optional[Sequence[int]] = None) -> "Slave":
        """A slave answering RTU frames over TCP on `addr`."""
        return Slave(_msm.Slave.rtu_over_tcp(addr, unit=unit, units=units))

    @staticmethod
    def rtu(path: str, baud: int, **settings: Any) -> "Slave":
        """A Modbus RTU slave on the serial line at `path` (keywords as `msm.Slave.rtu`)."""
        return Slave(_msm.Slave.rtu(path, baud, **settings))

    @staticmethod
    def ascii(path: str, baud: int, **settings: Any) -> "Slave":
        """A Modbus ASCII slave on the serial line at `path` (keywords as
        `msm.Slave.ascii`)."""
        return Slave(_msm.Slave.ascii(path, baud, **settings))

    @staticmethod
    def udp(addr: Any, *, unit: Optional[int] = None, units: Optional[Sequence[int]] = None) -> "Slave":
        """A Modbus/UDP slave on `addr`: one request per datagram."""
        return Slave(_msm.Slave.udp(addr, unit=unit, units=units))

    def unit(self, id: int) -> "Slave":
        """Answer only unit `id`."""
        return Slave(self._builder.unit(id))

    def units(self, ids: Sequence[int]) -> "Slave":
        """Answer only these units."""
        return Slave(self._builder.units(ids))

    def any_unit(self) -> "Slave":
        """Answer every unit (the default)."""
        return Slave(self._builder.any_unit())

    def max_connections(self, n: int) -> "Slave":
        """Serve at most `n` connections at once."""
        return Slave(self._builder.max_connections(n))

    def idle_timeout(self, seconds_idle: float) -> "Slave":
        """Close a connection idle for `seconds_idle`."""
        return Slave(self._builder.idle_timeout(seconds_idle))

    def busy_poll(self, seconds_polling: float) -> "Slave":
        """How long a connection polls for a quick master's next request (at most 0.001)."""
        return Slave(self._builder.busy_poll(seconds_polling))

    def parity(self, name: str) -> "Slave":
        """Serial lines: the parity (`"even"`, `"odd"`, `"none"`)."""
        return Slave(self._builder.parity(name))

    def stop_bits(self, n: int) -> "Slave":
        """Serial lines: the stop bits (1 or 2)."""
        return Slave(self._builder.stop_bits(n))

    def data_bits(self, n: int) -> "Slave":
        """Serial lines: the data bits (8 for RTU; 7 or 8 for ASCII)."""
        return Slave(self._builder.data_bits(n))

    def faults(self, faults: Any) -> "Slave":
        """Makes faults on purpose (docs/simulator.md): a list of `msm.Fault`, or an
        `msm.Map` (its `[[fault]]` tables and its `seed`)."""
        return Slave(self._builder.faults(faults))

    def seed(self, seed: int) -> "Slave":
        """Seeds the random numbers of faults with a probability."""
        return Slave(self._builder.seed(seed))

    def serve(self, memory: Any) -> "_Starting[SlaveHandle]":
        """Binds and serves `memory` (an `msm.Memory` or a built map). Await it for the
        handle (`msm.ConnectionFailed` if the address cannot be bound), or use it in
        `async with` directly."""

        async def start() -> SlaveHandle:
            return SlaveHandle(await _msm._aio_serve(self._builder, memory))

        return _Starting(start)

    def __repr__(self) -> str:
        return repr(self._builder).replace("<msm.", "<msm.aio.", 1)


class MasterHandle:
    """A running master: `await sync()`, `await flush()`, `status()`, `await stop()`,
    and the one-off calls of `msm.MasterHandle` awaited (`await report_server_id()`...).
    An async context manager that stops it on exit. Exceptions are the blocking API's:
    `msm.ModbusError` (with `.code`), `msm.Timeout`, `msm.ConnectionFailed`,
    `msm.Stopped`."""

    def __init__(self, handle: _BlockingMasterHandle) -> None:
        self._handle = handle

    async def sync(self, timeout: Optional[float] = None) -> None:
        """Runs a full cycle now and waits for it, as `msm.MasterHandle.sync` (after
        `timeout` seconds: the cause, `msm.ModbusError`, or `msm.Timeout`)."""
        await _msm._aio_sync(self._handle, timeout)

    async def flush(self, timeout: Optional[float] = None) -> None:
        """Waits until every local write made so far is confirmed by the slave, as
        `msm.MasterHandle.flush`."""
        await _msm._aio_flush(self._handle, timeout)

    async def report_server_id(self) -> Dict[str, Any]:
        """FC17: as `msm.MasterHandle.report_server_id`."""
        return cast("Dict[str, Any]", await _msm._aio_one_off(self._handle, "report_server_id"))

    async def read_device_identification(self) -> Dict[str, Any]:
        """FC43/14: as `msm.MasterHandle.read_device_identification`."""
        return cast("Dict[str, Any]", await _msm._aio_one_off(self._handle, "read_device_identification"))

    async def read_exception_status(self) -> int:
        """FC07: as `msm.MasterHandle.read_exception_status`."""
        return cast("int", await _msm._aio_one_off(self._handle, "read_exception_status"))

    async def diagnostics(self, sub_function: int, data: Optional[bytes] = None) -> bytes:
        """FC08: as `msm.MasterHandle.diagnostics`."""
        return cast("bytes", await _msm._aio_one_off(self._handle, "diagnostics", sub_function, data))

    async def diagnostic_register(self) -> int:
        """FC08/02: as `msm.MasterHandle.diagnostic_register`."""
        return cast("int", await _msm._aio_one_off(self._handle, "diagnostic_register"))

    async def bus_message_count(self) -> int:
        """FC08/0B: as `msm.MasterHandle.bus_message_count`."""
        return cast("int", await _msm._aio_one_off(self._handle, "bus_message_count"))

    async def bus_communication_error_count(self) -> int:
        """FC08/0C: as `msm.MasterHandle.bus_communication_error_count`."""
        return cast("int", await _msm._aio_one_off(self._handle, "bus_communication_error_count"))

    async def bus_exception_error_count(self) -> int:
        """FC08/0D: as `msm.MasterHandle.bus_exception_error_count`."""
        return cast("int", await _msm._aio_one_off(self._handle, "bus_exception_error_count"))

    async def server_message_count(self) -> int:
        """FC08/0E: as `msm.MasterHandle.server_message_count`."""
        return cast("int", await _msm._aio_one_off(self._handle, "server_message_count"))

    async def server_no_response_count(self) -> int:
        """FC08/0F: as `msm.MasterHandle.server_no_response_count`."""
        return cast("int", await _msm._aio_one_off(self._handle, "server_no_response_count"))

    async def server_nak_count(self) -> int:
        """FC08/10: as `msm.MasterHandle.server_nak_count`."""
        return cast("int", await _msm._aio_one_off(self._handle, "server_nak_count"))

    async def server_busy_count(self) -> int:
        """FC08/11: as `msm.MasterHandle.server_busy_count`."""
        return cast("int", await _msm._aio_one_off(self._handle, "server_busy_count"))

    async def bus_character_overrun_count(self) -> int:
        """FC08/12: as `msm.MasterHandle.bus_character_overrun_count`."""
        return cast("int", await _msm._aio_one_off(self._handle, "bus_character_overrun_count"))

    async def clear_counters(self) -> None:
        """FC08/0A: as `msm.MasterHandle.clear_counters`."""
        await _msm._aio_one_off(self._handle, "clear_counters")

    async def restart_communications(self, clear_log: bool = False) -> None:
        """FC08/01: as `msm.MasterHandle.restart_communications`."""
        await _msm._aio_one_off(self._handle, "restart_communications", clear_log)

    async def force_listen_only(self) -> None:
        """FC08/04: as `msm.MasterHandle.force_listen_only`."""
        await _msm._aio_one_off(self._handle, "force_listen_only")

    async def comm_event_counter(self) -> Dict[str, Any]:
        """FC11: as `msm.MasterHandle.comm_event_counter`."""
        return cast("Dict[str, Any]", await _msm._aio_one_off(self._handle, "comm_event_counter"))

    async def comm_event_log(self) -> Dict[str, Any]:
        """FC12: as `msm.MasterHandle.comm_event_log`."""
        return cast("Dict[str, Any]", await _msm._aio_one_off(self._handle, "comm_event_log"))

    async def read_file_record(self, file: int, record: int, count: int) -> List[int]:
        """FC20: as `msm.MasterHandle.read_file_record`."""
        return cast("List[int]", await _msm._aio_one_off(self._handle, "read_file_record", file, record, count))

    async def write_file_record(self, file: int, record: int, values: Sequence[int]) -> None:
        """FC21: as `msm.MasterHandle.write_file_record`."""
        await _msm._aio_one_off(self._handle, "write_file_record", file, record, values)

    async def read_fifo_queue(self, address: int) -> List[int]:
        """FC24: as `msm.MasterHandle.read_fifo_queue`."""
        return cast("List[int]", await _msm._aio_one_off(self._handle, "read_fifo_queue", address))

    def status(self) -> Status:
        """The master's state now (`msm.Status`)."""
        return self._handle.status()

    @property
    def memory(self) -> Any:
        """The memory this master syncs."""
        return self._handle.memory

    @property
    def peer(self) -> str:
        """The slave's address as given."""
        return self._handle.peer

    @property
    def running(self) -> bool:
        """True until `stop()`."""
        return self._handle.running

    @property
    def blocking(self) -> _BlockingMasterHandle:
        """The same master's blocking handle (`msm.MasterHandle`)."""
        return self._handle

    async def stop(self) -> None:
        """Stops the worker; returns once stopped. Waits in progress raise
        `msm.Stopped`. Stopping twice does nothing."""
        await _msm._aio_stop_master(self._handle)

    async def __aenter__(self) -> "MasterHandle":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def __repr__(self) -> str:
        return repr(self._handle).replace("<msm.", "<msm.aio.", 1)


class Master:
    """Sets up a master as `msm.Master` does (the same constructors, keywords and
    settings, each returning a new builder); `start(memory)` is awaited.

    >>> import msm
    >>> msm.aio.Master.tcp("127.0.0.1:5020", unit=1).period(0.1).pipelining(2)
    <msm.aio.Master ...>
    """

    def __init__(self, builder: _msm.Master) -> None:
        self._builder = builder

    @staticmethod
    def tcp(addr: Any, **settings: Any) -> "Master":
        """A master for the Modbus/TCP slave at `addr` (keywords as `msm.Master.tcp`:
        `unit`, `period`, `response_timeout`, `connect_timeout`, `pipelining`)."""
        return Master(_msm.Master.tcp(addr, **settings))

    @staticmethod
    def rtu_over_tcp(addr: Any, **settings: Any) -> "Master":
        """A master speaking RTU frames over TCP to `addr`."""
        return Master(_msm.Master.rtu_over_tcp(addr, **settings))

    @staticmethod
    def rtu(path: str, baud: int, **settings: Any) -> "Master":
        """A master for Modbus RTU slaves on the serial line at `path`."""
        return Master(_msm.Master.rtu(path, baud, **settings))

    @staticmethod
    def ascii(path: str, baud: int, **settings: Any) -> "Master":
        """A master for Modbus ASCII slaves on the serial line at `path` (keywords as
        `msm.Master.ascii`)."""
        return Master(_msm.Master.ascii(path, baud, **settings))

    @staticmethod
    def udp(addr: Any, **settings: Any) -> "Master":
        """A master for the Modbus/UDP slave at `addr` (keywords as `msm.Master.udp`,
        `retries` among them)."""
        return Master(_msm.Master.udp(addr, **settings))

    def unit(self, id: int) -> "Master":
        """The unit (slave id) to address (default 1)."""
        return Master(self._builder.unit(id))

    def period(self, seconds: float) -> "Master":
        """Seconds between two cycles (default 0.1)."""
        return Master(self._builder.period(seconds))

    def response_timeout(self, seconds: float) -> "Master":
        """Seconds to wait for a response (default 1)."""
        return Master(self._builder.response_timeout(seconds))

    def connect_timeout(self, seconds: float) -> "Master":
        """Seconds to wait for a TCP connection (default 3)."""
        return Master(self._builder.connect_timeout(seconds))

    def pipelining(self, depth: int) -> "Master":
        """How many requests to keep in flight (1..=64)."""
        return Master(self._builder.pipelining(depth))

    def parity(self, name: str) -> "Master":
        """Serial lines: the parity."""
        return Master(self._builder.parity(name))

    def stop_bits(self, n: int) -> "Master":
        """Serial lines: the stop bits (1 or 2)."""
        return Master(self._builder.stop_bits(n))

    def data_bits(self, n: int) -> "Master":
        """Serial lines: the data bits (8 for RTU; 7 or 8 for ASCII)."""
        return Master(self._builder.data_bits(n))

    def retries(self, n: int) -> "Master":
        """UDP: times a request goes again when its answer does not come (default 2)."""
        return Master(self._builder.retries(n))

    def with_unit(self, id: int, memory: Any) -> "Master":
        """Also sync unit `id` behind the same link, into its own memory."""
        return Master(self._builder.with_unit(id, memory))

    def start(self, memory: Any) -> "_Starting[MasterHandle]":
        """Starts the worker on `memory` (it connects in the background). Await it for
        the handle, or use it in `async with` directly."""

        async def start() -> MasterHandle:
            # Starting only spawns the worker's task: it does not wait on the network.
            return MasterHandle(self._builder.start(memory))

        return _Starting(start)

    def __repr__(self) -> str:
        return repr(self._builder).replace("<msm.", "<msm.aio.", 1)


async def wait_changed(var: Var, timeout: Optional[float] = None) -> Any:
    """Waits for the next write that touches `var` (as `Var.wait_changed`) and returns
    its new value; `msm.Timeout` after `timeout` seconds (`None`: no limit)."""
    return await _msm._aio_wait_changed(var, timeout)


class _Changes:
    """`async for value in msm.aio.changes(var)`: each change of `var` from the moment
    `changes(var)` was called, as its value then. No change is missed between two
    iterations; if the loop falls more than 4096 changes behind, it gets the current
    value once for those it missed."""

    def __init__(self, var: Var) -> None:
        self._changes = _msm._AioChanges(var)

    def __aiter__(self) -> "_Changes":
        return self

    async def __anext__(self) -> Any:
        return await self._changes.next()


def changes(var: Var) -> AsyncIterator[Any]:
    """Each new value of `var`, as it comes: `async for value in msm.aio.changes(var):`.
    Changes are watched from this call on. Stop with `break` (or cancel the task)."""
    return _Changes(var)
