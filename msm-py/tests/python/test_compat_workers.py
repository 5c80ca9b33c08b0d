"""The compat workers (ModbusSlaveTCP, ModbusMasterTCP) against each other and against
mbpoll; no lost write; kill() and Ctrl-C during blocked calls."""

import subprocess
import threading

import pytest

import msm
from ModbusSharedMemory.client_server import ModbusMasterTCP, ModbusSlaveTCP
from ModbusSharedMemory.memory import MemoryStore, MemoryVariable
from conftest import HERE, free_port, mbpoll, wait_until


def declare(mem):
    mem.WORK_MODE = MemoryVariable.byte(address=0, byte_number=0)
    mem.PROCESS_STEP = MemoryVariable.byte(address=0, byte_number=1)
    mem.CURRENT_VALUE = MemoryVariable.uint32(address=1)
    mem.CONTROL_WORD = MemoryVariable.word(address=3)
    mem.ERROR_STATE = MemoryVariable.bool(address=3, bit_number=0)
    mem.TEMP = MemoryVariable.float32(address=4)
    mem.NAME = MemoryVariable.string(address=6, length=2)
    return mem


@pytest.fixture
def pair():
    port = free_port()
    server_mem, client_mem = declare(MemoryStore(8)), declare(MemoryStore(8))
    server = ModbusSlaveTCP(server_mem, server_ip="127.0.0.1", port=port)
    server.run()
    client = ModbusMasterTCP(client_mem, server_ip="127.0.0.1", sync_period=0.05, port=port)
    client.run()
    yield server_mem, client_mem, client, port
    client.kill()
    server.kill()


def test_client_and_server_exchange_both_ways(pair):
    server_mem, client_mem, client, _ = pair
    client_mem.WORK_MODE = 4
    client_mem.PROCESS_STEP = 10
    client_mem.CURRENT_VALUE = 99999
    client_mem.TEMP = 21.5
    client_mem.NAME = "OK"
    client.flush(timeout=10)
    assert (server_mem.WORK_MODE, server_mem.PROCESS_STEP, server_mem.CURRENT_VALUE) == (4, 10, 99999)
    assert (server_mem.TEMP, server_mem.NAME) == (21.5, "OK")
    server_mem.ERROR_STATE = True
    assert wait_until(lambda: client_mem.ERROR_STATE is True, timeout=10)
    assert client_mem.CONTROL_WORD == 1
    s = client.status()
    assert s.connected and s.cycles >= 1


def test_no_write_is_lost_when_both_sides_write_the_same_word(pair):
    server_mem, client_mem, client, _ = pair
    for i in range(50):
        server_mem.CONTROL_WORD = 1000 + i  # the PLC writes...
        client_mem.CONTROL_WORD = 2000 + i  # ...and the HMI writes the same word
        client.flush(timeout=10)
        client.sync(timeout=10)
        # The original kept the server's value and dropped the HMI's write here.
        assert client_mem.CONTROL_WORD == 2000 + i
        assert server_mem.CONTROL_WORD == 2000 + i
    # A server write made after the client's confirmed write arrives as usual.
    server_mem.CONTROL_WORD = 7
    client.sync(timeout=10)
    assert client_mem.CONTROL_WORD == 7


def test_kill_sends_the_writes_made_just_before(pair):
    server_mem, client_mem, client, _ = pair
    client.sync(timeout=10)  # connected
    client_mem.CURRENT_VALUE = 123456
    client.kill()  # as the README's snippet: write, then kill at once
    assert server_mem.CURRENT_VALUE == 123456


def test_only_changed_words_are_written(pair):
    server_mem, client_mem, client, _ = pair
    client.sync(timeout=10)
    before = client.status().writes_confirmed
    for _ in range(5):
        client.sync(timeout=10)
    assert client.status().writes_confirmed == before  # nothing changed: nothing written
    client_mem.CONTROL_WORD = 5
    client.flush(timeout=10)
    assert client.status().writes_confirmed == before + 1


def test_master_reconnects_after_the_server_restarts():
    port = free_port()
    mem = declare(MemoryStore(8))
    client = ModbusMasterTCP(mem, server_ip="127.0.0.1", sync_period=0.05, port=port)
    client.run()  # nothing listens yet: the original raised here
    try:
        first = declare(MemoryStore(8))
        server = ModbusSlaveTCP(first, server_ip="127.0.0.1", port=port)
        mem.CURRENT_VALUE = 1
        client.flush(timeout=20)
        assert first.CURRENT_VALUE == 1
        server.kill()
        second = declare(MemoryStore(8))
        mem.CURRENT_VALUE = 2  # written while the server is away
        server = ModbusSlaveTCP(second, server_ip="127.0.0.1", port=port)
        client.flush(timeout=20)
        assert second.CURRENT_VALUE == 2
        server.kill()
    finally:
        client.kill()


def test_mbpoll_against_the_compat_slave():
    tool = mbpoll()
    mem = declare(MemoryStore(8))
    mem.CURRENT_VALUE = 99999
    server = ModbusSlaveTCP(mem, server_ip="127.0.0.1", port=0)
    try:
        port = str(server.local_addr[1])
        common = [tool, "-m", "tcp", "-p", port, "-a", "1", "-0", "-1", "-o", "2"]
        out = subprocess.run(common + ["-t", "4:int", "-r", "1", "-c", "1", "127.0.0.1"],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "[1]: \t99999" in out.stdout or "[1]: 99999" in out.stdout.replace("\t", "")
        out = subprocess.run(common + ["-t", "4", "-r", "3", "127.0.0.1", "32769"],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stdout + out.stderr
        assert mem.CONTROL_WORD == 32769 and mem.ERROR_STATE is True
        # Another unit gets no answer (slave_id=1 only).
        out = subprocess.run([tool, "-m", "tcp", "-p", port, "-a", "2", "-0", "-1", "-o", "0.5",
                              "-t", "4", "-r", "0", "127.0.0.1"], capture_output=True, text=True, timeout=30)
        assert out.returncode != 0
    finally:
        server.kill()


def test_kill_during_a_blocked_call():
    silent = msm.Slave.tcp("127.0.0.1:0").unit(1).serve(msm.Memory(8))  # never answers unit 9
    mem = declare(MemoryStore(8))
    client = ModbusMasterTCP(mem, server_ip="127.0.0.1", default_slave_id=9, port=silent.local_addr[1])
    client.run()
    outcome = []

    def blocked():
        try:
            client.sync()
            outcome.append("returned")
        except msm.MsmError as e:
            outcome.append(e)

    t = threading.Thread(target=blocked)
    t.start()
    assert not wait_until(lambda: outcome, timeout=0.3)  # it is blocked
    client.kill()
    t.join(10)
    assert not t.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], msm.Stopped), outcome
    silent.stop()


@pytest.mark.parametrize("what", ["wait_changed", "sync", "flush"])
def test_ctrl_c_interrupts_a_blocked_call(procs, what):
    silent = msm.Slave.tcp("127.0.0.1:0").unit(1).serve(msm.Memory(8))  # never answers unit 9
    try:
        p = procs([HERE / "blocked.py", what, silent.local_addr[1]])
        assert p.wait_for("BLOCKED"), p.err
        assert p.p.poll() is None
        p.interrupt()
        code = p.finish(timeout=10)
        assert code != 0 and "KeyboardInterrupt" in "".join(p.err), "".join(p.err)
        assert "RETURNED" not in p.text()
    finally:
        silent.stop()
