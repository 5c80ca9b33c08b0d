"""The Pythonic API's workers: a Python master against msm's slave and against a
pymodbus server, a pymodbus client against a Python slave."""

import sys
import threading

import pytest
from pymodbus.client import ModbusTcpClient

import msm
from conftest import PEERS, free_port, wait_until


def test_master_and_slave_both_ways():
    plc = msm.Memory(holding_registers=16, coils=8, discrete_inputs=8, input_registers=8)
    with msm.Slave.tcp("127.0.0.1:0").unit(1).serve(plc) as slave:
        host, port = slave.local_addr
        assert host == "127.0.0.1" and port > 0
        hmi = msm.Memory(holding_registers=16, coils=8, discrete_inputs=8, input_registers=8)
        with msm.Master.tcp((host, port), unit=1, period=0.05).start(hmi) as master:
            setpoint, on_plc = hmi.holding(1, "u32", order="CDAB"), plc.holding(1, "u32", order="CDAB")
            setpoint.set(99_999)
            master.flush(timeout=10)
            assert on_plc.get() == 99_999

            plc.input(0, "f32").set(21.5)
            plc.discrete_input(2).set(True)
            plc.holding_string(8, 4).set("PUMP")
            master.sync(timeout=10)
            assert hmi.input(0, "f32").get() == 21.5
            assert hmi.discrete_input(2).get() is True
            assert hmi.holding_string(8, 4).get() == "PUMP"

            hmi.coil(5).set(True)
            master.flush(timeout=10)
            assert plc.coil(5).get() is True

            s = master.status()
            assert s.connected and s.cycles >= 1 and s.writes_confirmed >= 2 and s.last_error is None
            assert master.running and master.peer == f"127.0.0.1:{port}"
            assert setpoint.quality == "good"
            with pytest.raises(msm.BadValue, match="read-only on the master side"):
                hmi.input(0).set(1)
        assert not master.running
        with pytest.raises(msm.Stopped):
            master.sync()
    assert not slave.running


def test_a_slave_serves_with_busy_polling_off_or_at_its_longest():
    for seconds in (0, 0.001):
        plc = msm.Memory(4)
        with msm.Slave.tcp("127.0.0.1:0").busy_poll(seconds).serve(plc) as slave:
            hmi = msm.Memory(4)
            with msm.Master.tcp(slave.local_addr).start(hmi) as master:
                hmi.holding(1).set(7)
                master.flush(timeout=10)
                assert plc.holding(1).get() == 7
    with pytest.raises(msm.BadDeclaration, match=r"busy_poll must be a number of seconds in 0\.\.=0\.001 \(0 turns polling off\), got 0\.002"):
        msm.Slave.tcp("127.0.0.1:0").busy_poll(0.002).serve(msm.Memory(4))
    with pytest.raises(msm.BadValue, match="busy_poll must be a number of seconds >= 0 .*, got -1"):
        msm.Slave.tcp("127.0.0.1:0").busy_poll(-1)


def test_wait_changed_sees_a_remote_write():
    plc = msm.Memory(4)
    with msm.Slave.tcp("127.0.0.1:0").serve(plc) as slave:
        hmi = msm.Memory(4)
        with msm.Master.tcp(slave.local_addr).start(hmi) as master:
            master.sync(timeout=10)
            seen = plc.holding(2)
            done = []
            t = threading.Thread(target=lambda: done.append(seen.wait_changed(timeout=10)))
            t.start()
            # The waiting thread released the GIL: this thread runs meanwhile. Write
            # until the wait sees a write (it may start after the first one).
            for i in range(1, 500):
                hmi.holding(2).set(i)
                if wait_until(lambda: done, timeout=0.02):
                    break
            t.join(15)
            assert len(done) == 1 and 1 <= done[0] <= 499
    with pytest.raises(msm.Timeout, match="did not complete within"):
        plc.holding(0).wait_changed(timeout=0.05)


def test_quality_follows_the_master():
    port = free_port()  # nothing listens there
    mem = msm.Memory(4)
    v = mem.holding(0)
    assert v.quality == "good"  # no master: the program's own value
    with msm.Master.tcp(("127.0.0.1", port), connect_timeout=0.2).start(mem) as master:
        assert v.quality == "not_read"
        assert wait_until(lambda: master.status().last_error is not None)
        assert master.status().connected is False and mem.is_stale
        mem.holding(1).set(1)  # kept, to send once connected
        with pytest.raises(msm.Timeout, match="flush did not complete"):
            master.flush(timeout=0.1)
    plc = msm.Memory(2)
    with msm.Slave.tcp("127.0.0.1:0").serve(plc) as slave:
        ok = msm.Memory(4)
        ok_var, past = ok.holding(0), ok.holding(3)
        with msm.Master.tcp(slave.local_addr, period=0.05).start(ok) as master:
            with pytest.raises(msm.ModbusError, match="exception"):
                master.sync(timeout=10)
            assert ok_var.quality == "bad"  # the block 0..=3 is past the slave's 2 registers
            assert past.quality == "bad"
    served = msm.Memory(4)
    slave = msm.Slave.tcp("127.0.0.1:0").serve(served)
    mem = msm.Memory(4)
    v = mem.holding(2)
    with msm.Master.tcp(slave.local_addr, period=0.05, response_timeout=0.2).start(mem) as master:
        master.sync(timeout=10)
        assert v.quality == "good" and not mem.is_stale
        slave.stop()
        assert wait_until(lambda: v.quality == "stale", timeout=10), master.status()


def test_map_memory_served_and_synced():
    text = """
[memory]
holding_registers = 8
coils = 4
[vars]
SPEED = { area = "holding", address = 0, type = "u32", value = 1000 }
NAME  = { area = "holding", address = 2, type = "string", len = 2 }
RUN   = { area = "coil", address = 1, type = "bool" }
"""
    plant = msm.Map.from_toml(text).build()
    assert list(plant) == ["SPEED", "NAME", "RUN"] and len(plant) == 3 and "RUN" in plant
    assert msm.Map.from_toml(text).names() == ["SPEED", "NAME", "RUN"]
    hmi = msm.Map.from_toml(text).build()
    with msm.Slave.tcp("127.0.0.1:0").serve(plant) as slave:
        with msm.Master.tcp(slave.local_addr).start(hmi) as master:
            plant["NAME"].set("AB")
            master.sync(timeout=10)
            assert hmi["NAME"].get() == "AB" and hmi["SPEED"].get() == 1000
            hmi["RUN"].value = True
            master.flush(timeout=10)
            assert plant["RUN"].value is True
            assert dict(hmi.values()) == {"SPEED": 1000, "NAME": "AB", "RUN": True}
            assert hmi["SPEED"].name == "SPEED"


def test_map_load_from_a_file(tmp_path):
    path = tmp_path / "plant.toml"
    path.write_text('[memory]\nholding_registers = 2\n[vars]\nA = { area = "holding", address = 0, type = "i16", value = -5 }\n')
    plant = msm.Map.load(str(path)).build()
    assert plant["A"].get() == -5 and plant.memory.size("holding") == 2


def test_master_against_a_pymodbus_server(procs):
    server = procs([PEERS / "pymodbus_tcp_server.py", "16"], stdin=__import__("subprocess").PIPE)
    assert server.wait_for("PORT "), server.err
    port = int(server.text().split("PORT ")[1].split()[0])
    mem = msm.Memory(holding_registers=16, coils=16, discrete_inputs=16, input_registers=16)
    # pymodbus 3.16 drops pipelined requests: one at a time.
    with msm.Master.tcp(f"127.0.0.1:{port}", unit=1, period=0.05, pipelining=1).start(mem) as master:
        master.sync(timeout=20)
        assert [mem.holding(i).get() for i in range(16)] == [1000 + i for i in range(16)]
        assert [mem.input(i).get() for i in range(4)] == [2000, 2001, 2002, 2003]
        assert [mem.coil(i).get() for i in range(4)] == [True, False, False, True]
        assert [mem.discrete_input(i).get() for i in range(4)] == [False, True, False, True]
        mem.holding(3).set(7)
        mem.holding(4, "u32").set(0x00010002)
        mem.coil(1).set(True)
        master.flush(timeout=20)
    again = msm.Memory(holding_registers=16, coils=16)
    with msm.Master.tcp(f"127.0.0.1:{port}").pipelining(1).start(again) as master:
        master.sync(timeout=20)
        assert again.holding(3).get() == 7 and again.holding(4, "u32").get() == 0x00010002
        assert again.coil(1).get() is True


def test_pymodbus_client_against_a_python_slave():
    mem = msm.Memory(holding_registers=8, coils=8, input_registers=4)
    mem.input(0, "u32").set(0x00020003)
    with msm.Slave.tcp("127.0.0.1:0", unit=1).serve(mem) as slave:
        client = ModbusTcpClient("127.0.0.1", port=slave.local_addr[1], timeout=5)
        assert client.connect()
        try:
            assert client.write_register(5, 0x1234, device_id=1).isError() is False
            assert client.write_registers(0, [1, 2], device_id=1).isError() is False
            assert client.write_coil(3, True, device_id=1).isError() is False
            r = client.read_input_registers(0, count=2, device_id=1)
            assert r.registers == [2, 3]
            assert mem.holding(5).get() == 0x1234 and mem.holding(0, "u32").get() == 0x00010002
            assert mem.coil(3).get() is True
            assert client.read_holding_registers(6, count=4, device_id=1).isError()  # past the end
            assert slave.connections == 1
        finally:
            client.close()
