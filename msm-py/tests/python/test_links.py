"""Modbus ASCII and Modbus/UDP from Python, as in Rust: msm with msm, pymodbus 3.16's
clients against msm's slaves, msm's master against pymodbus's UDP server. Serial lines are
a socat pty pair (conftest's pty_pair)."""

import subprocess

import pytest
from pymodbus import FramerType
from pymodbus.client import ModbusSerialClient, ModbusUdpClient

import msm
from conftest import PEERS


def test_udp_master_and_slave():
    plc = msm.Memory(holding_registers=8, coils=4)
    plc.holding(2, "f32").set(21.5)
    with msm.Slave.udp("127.0.0.1:0", unit=1).serve(plc) as slave:
        assert slave.connections == 0, "UDP keeps no connection"
        hmi = msm.Memory(holding_registers=8, coils=4)
        master = msm.Master.udp(slave.local_addr, unit=1, period=0.05, retries=3, response_timeout=0.5)
        with master.start(hmi) as m:
            m.sync(timeout=10)
            assert hmi.holding(2, "f32").get() == 21.5
            hmi.coil(1).set(True)
            m.flush(timeout=10)
            assert plc.coil(1).get() is True
            s = m.status()
            assert s.connected and s.timeouts == 0 and s.requests_resent == 0, s
            assert m.peer.endswith("(UDP)") or "127.0.0.1" in m.peer


def test_aio_udp_master_and_slave():
    import asyncio

    async def main():
        plc = msm.Memory(holding_registers=4)
        plc.holding(3).set(33)
        async with await msm.aio.Slave.udp("127.0.0.1:0").serve(plc) as slave:
            hmi = msm.Memory(holding_registers=4)
            master = msm.aio.Master.udp(slave.local_addr, period=0.05).retries(1)
            async with await master.start(hmi) as m:
                await m.sync(timeout=10)
                assert hmi.holding(3).get() == 33
                hmi.holding(0).set(5)
                await m.flush(timeout=10)
        assert plc.holding(0).get() == 5

    asyncio.run(main())


def test_udp_retries_are_refused_on_tcp():
    with pytest.raises(msm.MsmError) as e:
        msm.Master.tcp("127.0.0.1:1").retries(2).start(msm.Memory(1))
    assert "UDP" in str(e.value)


def test_pymodbus_udp_client_against_a_python_slave():
    mem = msm.Memory(holding_registers=8, coils=8)
    mem.holding(0, "u32").set(0x00020003)
    with msm.Slave.udp(("127.0.0.1", 0), unit=1).serve(mem) as slave:
        client = ModbusUdpClient("127.0.0.1", port=slave.local_addr[1], timeout=5, retries=0)
        assert client.connect()
        try:
            r = client.read_holding_registers(0, count=2, device_id=1)
            assert not r.isError() and r.registers == [2, 3], r
            assert not client.write_register(5, 77, device_id=1).isError()
            r = client.read_holding_registers(100, count=1, device_id=1)
            assert r.isError() and r.exception_code == 2, r
        finally:
            client.close()
    assert mem.holding(5).get() == 77


def test_master_against_a_pymodbus_udp_server(procs):
    server = procs([PEERS / "pymodbus_link_server.py", "udp", "16"], stdin=subprocess.PIPE)
    assert server.wait_for("PORT "), server.err
    port = int(server.text().split("PORT ")[1].split()[0])
    mem = msm.Memory(holding_registers=16, coils=16)
    with msm.Master.udp(f"127.0.0.1:{port}", unit=1, period=0.05, response_timeout=2).start(mem) as m:
        m.sync(timeout=20)
        assert [mem.holding(i).get() for i in range(16)] == [1000 + i for i in range(16)]
        assert [mem.coil(i).get() for i in range(4)] == [True, False, False, True]
        mem.holding(3).set(7)
        m.flush(timeout=20)
        m.sync(timeout=20)
        assert mem.holding(3).get() == 7


def test_ascii_master_and_slave(pty_pair):
    a, b = pty_pair
    plc = msm.Memory(holding_registers=8, coils=4)
    plc.holding(1, "u32", order="CDAB").set(99_999)
    # Virtual ptys refuse parity settings: the line runs 8N1.
    with msm.Slave.ascii(a, 19200, parity="none", data_bits=8, unit=7).serve(plc):
        hmi = msm.Memory(holding_registers=8, coils=4)
        master = msm.Master.ascii(b, 19200, parity="none", data_bits=8, unit=7, period=0.05,
                                  response_timeout=0.5)
        with master.start(hmi) as m:
            m.sync(timeout=10)
            assert hmi.holding(1, "u32", order="CDAB").get() == 99_999
            hmi.holding(0).set(5)
            hmi.coil(3).set(True)
            m.flush(timeout=10)
            assert plc.holding(0).get() == 5 and plc.coil(3).get() is True


def test_pymodbus_ascii_client_against_a_python_slave(pty_pair):
    a, b = pty_pair
    mem = msm.Memory(holding_registers=8)
    mem.holding(2).set(0xBEEF)
    with msm.Slave.ascii(a, 19200, parity="none", stop_bits=1).data_bits(8).unit(1).serve(mem):
        client = ModbusSerialClient(b, framer=FramerType.ASCII, baudrate=19200, bytesize=8,
                                    parity="N", stopbits=1, timeout=3, retries=0)
        assert client.connect()
        try:
            r = client.read_holding_registers(0, count=4, device_id=1)
            assert not r.isError() and r.registers == [0, 0, 0xBEEF, 0], r
            assert not client.write_registers(4, [1, 2], device_id=1).isError()
        finally:
            client.close()
    assert [mem.holding(i).get() for i in (4, 5)] == [1, 2]


def test_link_arguments_are_checked_in_python_terms():
    with pytest.raises(msm.BadDeclaration, match="data_bits must be an int in 7..=8, got 6"):
        msm.Slave.ascii("/dev/null", 9600, data_bits=6)
    with pytest.raises(msm.BadDeclaration, match="data_bits"):
        msm.Master.ascii("/dev/null", 9600).data_bits(9)
    with pytest.raises(msm.BadArgument, match="retries must be an int"):
        msm.Master.udp("127.0.0.1:1", retries="two")
    with pytest.raises(msm.BadDeclaration, match="retries"):
        msm.Master.udp("127.0.0.1:1").retries(-1)
    # The builders say how they were made.
    assert repr(msm.Master.udp("plc:502", retries=3)) == "<msm.Master udp('plc:502') retries=3>"
    assert repr(msm.Slave.ascii("/dev/ttyS0", 9600, data_bits=8)) == (
        "<msm.Slave ascii('/dev/ttyS0', 9600) data_bits=8>"
    )
