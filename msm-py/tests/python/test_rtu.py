"""Serial RTU and RTU over TCP, as in Rust. Serial lines are a socat pty pair (conftest's
pty_pair: socat is an external peer, SKIP without it, a failure under CI=true)."""

import msm


def test_rtu_over_tcp():
    plc = msm.Memory(holding_registers=8, coils=4)
    plc.holding(2, "f32").set(21.5)
    with msm.Slave.rtu_over_tcp("127.0.0.1:0", unit=3).serve(plc) as slave:
        hmi = msm.Memory(holding_registers=8, coils=4)
        with msm.Master.rtu_over_tcp(slave.local_addr, unit=3, period=0.05).start(hmi) as master:
            master.sync(timeout=10)
            assert hmi.holding(2, "f32").get() == 21.5
            hmi.coil(1).set(True)
            master.flush(timeout=10)
            assert plc.coil(1).get() is True


def test_serial_rtu(pty_pair):
    a, b = pty_pair
    plc = msm.Memory(8)
    plc.holding(1, "u32", order="CDAB").set(99_999)
    # Virtual ptys refuse parity settings: the line runs 8N1.
    with msm.Slave.rtu(a, 19200, parity="none", unit=7).serve(plc):
        hmi = msm.Memory(8)
        master = msm.Master.rtu(b, 19200, parity="none", stop_bits=1, unit=7, period=0.05,
                                response_timeout=0.5)
        with master.start(hmi) as m:
            m.sync(timeout=10)
            assert hmi.holding(1, "u32", order="CDAB").get() == 99_999
            hmi.holding(0).set(5)
            m.flush(timeout=10)
            assert plc.holding(0).get() == 5
