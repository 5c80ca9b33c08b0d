"""Modbus/TCP workers, as in ModbusSharedMemory 0.1.1: `ModbusSlaveTCP` serves a
`MemoryStore`, `ModbusMasterTCP` keeps one in sync with a remote slave. Both start in
the background with `run()` and stop with `kill()`.

Behind them run msm's slave and master: no local write is lost when both sides change a
word, only changed words are written, and a lost connection is made again.

Port 502, as the original (binding it needs root); the `port=` keyword is an extension.
`DEFAULT_PORT` is the port used when `port` is not given.
"""

import socket
from typing import Optional

import msm
from msm._msm import _store_memory

from .memory import MemoryStore

#: The port both workers use when no `port=` is given: Modbus/TCP's 502.
DEFAULT_PORT = 502

__all__ = ["ModbusSlaveTCP", "ModbusMasterTCP", "DEFAULT_PORT"]


def _check_store(memory_store: object) -> None:
    if not isinstance(memory_store, MemoryStore):
        raise msm.BadDeclaration(
            "memory_store should be instance of MemoryStore, not "
            f"{type(memory_store).__name__}"
        )


def _ipv4_first(host: str) -> str:
    """The host's IPv4 address if it has one (the original served AF_INET only, so
    'localhost' meant 127.0.0.1), else the host as given."""
    try:
        return socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
    except (socket.gaierror, IndexError):
        return host


class ModbusSlaveTCP:
    """Serves `memory_store` as holding registers to Modbus/TCP masters on
    `server_ip`:502 (or `port`), answering unit `slave_id` only. As in the original, the
    address is bound here (an error here if it cannot be); msm answers from then on, and
    `run()` is kept for compatibility.

    >>> from ModbusSharedMemory.memory import MemoryStore
    >>> from ModbusSharedMemory.client_server import ModbusSlaveTCP
    >>> server = ModbusSlaveTCP(MemoryStore(8), server_ip="127.0.0.1", port=0)
    >>> server.run()
    >>> server.kill()
    """

    def __init__(
        self,
        memory_store: MemoryStore,
        server_ip: str = "localhost",
        slave_id: int = 1,
        sync_period: float = 0.05,
        *,
        port: Optional[int] = None,
    ) -> None:
        _check_store(memory_store)
        self.memory = memory_store
        self.server_ip = server_ip
        self.slave_id = slave_id
        #: Kept for compatibility; msm's slave answers at once, with no polling period.
        self.sync_period = sync_period
        self.port = DEFAULT_PORT if port is None else port
        self._slave = msm.Slave.tcp((_ipv4_first(server_ip), self.port), unit=slave_id)
        self._handle: Optional[msm.SlaveHandle] = None
        self._killed = False
        self._serving()

    @property
    def local_addr(self) -> tuple:
        """Extension: the `(host, port)` served (the port the system chose for port 0)."""
        return self._serving().local_addr

    def _serving(self) -> msm.SlaveHandle:
        if self._handle is None:
            if self._killed:
                raise msm.Stopped("this ModbusSlaveTCP was killed: make a new one")
            self._handle = self._slave.serve(_store_memory(self.memory))
        return self._handle

    def run(self) -> None:
        """Serves in the background (from the constructor on) and returns at once."""
        self._serving()

    def kill(self) -> None:
        """Stops serving, closes every connection, and waits until stopped."""
        self._killed = True
        if self._handle is not None:
            self._handle.stop()
            self._handle = None


class ModbusMasterTCP:
    """Keeps `memory_store` in sync with the Modbus/TCP slave at `server_ip`:502 (or
    `port`), unit `default_slave_id`, every `sync_period` seconds. Local writes go out
    at once, only the words that changed; the slave's changes come in each cycle; a
    word changed on both sides keeps the local write (it is sent, not overwritten). The
    connection is made in the background and made again when lost.
    """

    def __init__(
        self,
        memory_store: MemoryStore,
        server_ip: str = "localhost",
        default_slave_id: int = 1,
        sync_period: float = 0.2,
        *,
        port: Optional[int] = None,
    ) -> None:
        _check_store(memory_store)
        self.memory = memory_store
        self.server_ip = server_ip
        self.default_slave_id = default_slave_id
        self.sync_period = sync_period
        self.port = DEFAULT_PORT if port is None else port
        self.keep_running = False
        self._master = msm.Master.tcp(
            (server_ip, self.port), unit=default_slave_id, period=sync_period
        )
        self._handle: Optional[msm.MasterHandle] = None

    def run(self) -> None:
        """Starts syncing in the background and returns at once."""
        if self._handle is None:
            self._handle = self._master.start(_store_memory(self.memory))
        self.keep_running = True

    #: How long kill() waits for the writes still in flight, when connected (seconds).
    KILL_FLUSH_TIMEOUT = 1.0

    def kill(self) -> None:
        """Stops syncing and waits until stopped. When connected (or still making its
        first connection), the local writes made so far are sent first (waiting at most `KILL_FLUSH_TIMEOUT` seconds), so that a
        program that writes and then kills its master does not lose the write."""
        self.keep_running = False
        if self._handle is not None:
            try:
                s = self._handle.status()
                if s.connected or s.last_error is None:  # connected, or connecting
                    self._handle.flush(self.KILL_FLUSH_TIMEOUT)
            except msm.MsmError:
                pass  # stopping all the same
            self._handle.stop()
            self._handle = None

    # Extensions, for programs that want to know or wait.

    def status(self) -> msm.Status:
        """Extension: the master's state (`connected`, `last_error`, `cycles`...)."""
        return self._running().status()

    def sync(self, timeout: Optional[float] = None) -> None:
        """Extension: runs a full cycle now and waits for it."""
        self._running().sync(timeout)

    def flush(self, timeout: Optional[float] = None) -> None:
        """Extension: waits until every local write so far is confirmed by the slave."""
        self._running().flush(timeout)

    def _running(self) -> msm.MasterHandle:
        if self._handle is None:
            raise msm.Stopped("this ModbusMasterTCP is not running: call run() first")
        return self._handle
