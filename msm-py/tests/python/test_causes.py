"""flush() and sync() raise the real cause (issue 23): msm.ModbusError with .code for an
exception answer the master kept retrying, the received answer for a malformed echo or
another unit's answer, msm.Timeout only when nothing answered. Var.pending, Var.refused,
and the status's last_error, writes_refused, writes_retried."""

import pickle

import pytest

import msm
from conftest import ScriptedSlave, answering_writes, free_port, wait_until


def busy(unit, pdu):
    return unit, bytes([pdu[0] | 0x80, 0x06])


def bad_echo(unit, pdu):
    return unit, pdu[:3] + b"\x12\x34"  # 0x1234 = 4660 for the value written


def from_unit_9(unit, pdu):
    return 9, pdu[:5]


def refuse_address_0(unit, pdu):
    if int.from_bytes(pdu[1:3], "big") == 0:
        return unit, bytes([pdu[0] | 0x80, 0x02])
    return unit, pdu[:5]


def master_writing(slave, value=7, **settings):
    """A master on the scripted slave (one request at a time), holding 0 set to `value`."""
    mem = msm.Memory(4)
    master = msm.Master.tcp(slave.addr, unit=1, pipelining=1, response_timeout=0.3, **settings).start(mem)
    var = mem.holding(0)
    var.set(value)
    return master, var


def test_a_flush_held_up_by_a_busy_slave_raises_modbus_error_06():
    with ScriptedSlave(answering_writes(busy)) as slave:
        master, var = master_writing(slave)
        with master:
            with pytest.raises(msm.ModbusError) as caught:
                master.flush(timeout=1.5)
            e = caught.value
            assert not isinstance(e, msm.Timeout)
            assert e.code == 6
            assert (e.unit, e.operation, e.area, e.address, e.count) == (1, "write", "holding", 0, 1)
            assert "flush did not complete within 1.5s" in str(e)
            assert "server device busy (06)" in str(e)
            copy = pickle.loads(pickle.dumps(e))  # multiprocessing carries it whole
            assert (copy.code, copy.address, str(copy)) == (6, 0, str(e))
            assert var.pending, "a busy answer confirms nothing"
            assert var.refused is None, "06 is retried, not a refusal"
            s = master.status()
            assert s.writes_retried >= 1 and s.writes_refused == 0 and s.writes_confirmed == 0
            assert "server device busy (06)" in s.last_error
            assert s.connection_error is None and s.connected


def test_a_flush_held_up_by_a_malformed_echo_says_what_came_back():
    with ScriptedSlave(answering_writes(bad_echo)) as slave:
        master, var = master_writing(slave, value=7)
        with master:
            with pytest.raises(msm.ModbusError) as caught:
                master.flush(timeout=1.5)
            assert caught.value.code is None
            assert "value is 4660, the request implies 7" in str(caught.value)
            assert var.pending


def test_a_flush_held_up_by_another_units_answer_names_both_units():
    with ScriptedSlave(from_unit_9) as slave:
        master, var = master_writing(slave)
        with master:
            with pytest.raises(msm.ModbusError, match="the answer came from unit 9, not from unit 1") as caught:
                master.flush(timeout=1.5)
            assert caught.value.code is None
            assert var.pending
            with pytest.raises(msm.ModbusError, match="from unit 9"):
                master.sync(timeout=5)  # a read answered by unit 9 fails the cycle at once


def test_a_flush_nothing_answers_is_a_timeout():
    with ScriptedSlave(lambda unit, pdu: None) as slave:
        master, var = master_writing(slave)
        with master:
            with pytest.raises(msm.Timeout, match="flush did not complete within 700ms"):
                master.flush(timeout=0.7)
            assert var.pending
            assert "no response within 300ms" in master.status().last_error


def test_a_refused_write_is_a_modbus_error_at_once_and_var_refused_says_so():
    with ScriptedSlave(answering_writes(refuse_address_0)) as slave:
        master, var = master_writing(slave)
        with master:
            with pytest.raises(msm.ModbusError) as caught:
                master.flush(timeout=10)
            assert caught.value.code == 2 and "did not complete" not in str(caught.value)
            refused = var.refused
            assert isinstance(refused, msm.ModbusError) and refused.code == 2
            assert (refused.operation, refused.address) == ("write", 0)
            assert not var.pending
            assert master.status().writes_refused == 1
            other = master.memory.holding(1)
            other.set(5)
            with pytest.raises(msm.ModbusError) as again:
                master.flush(timeout=10)  # the refusal stands: the next flush says so too
            assert again.value.code == 2 and again.value.address == 0
            assert not other.pending and other.refused is None


def test_pending_while_unconfirmed_and_not_after_a_flush():
    assert msm.Memory(2).holding(0).pending is False  # no master: nothing to confirm
    plc = msm.Memory(4)
    with msm.Slave.tcp("127.0.0.1:0").serve(plc) as slave:
        hmi = msm.Memory(4)
        with msm.Master.tcp(slave.local_addr).start(hmi) as master:
            v = hmi.holding(2)
            v.set(9)
            master.flush(timeout=10)
            assert not v.pending and plc.holding(2).get() == 9
    with ScriptedSlave(answering_writes(busy)) as busy_slave:
        master, var = master_writing(busy_slave)
        with master:
            assert wait_until(lambda: master.status().writes_retried >= 1)
            assert var.pending and var.get() == 7 and var.quality == "good"


def test_status_speaks_python():
    port = free_port()  # nothing listens there
    with msm.Master.tcp(("127.0.0.1", port)).start(msm.Memory(2)) as master:
        assert wait_until(lambda: master.status().last_error is not None)
        s = master.status()
        text = repr(s)
        assert "connected=False stale=True cycles=0" in text, text
        assert "last_error='cannot connect to 127.0.0.1:" in text, text
        assert "Some(" not in text and "false" not in text and "true" not in text
        assert s.connection_error == s.last_error
    plc = msm.Memory(2)
    with msm.Slave.tcp("127.0.0.1:0").serve(plc) as slave:
        with msm.Master.tcp(slave.local_addr).start(msm.Memory(2)) as master:
            master.sync(timeout=10)
            assert "connected=True stale=False" in repr(master.status())
            assert "last_error=None" in repr(master.status())


def test_a_port_in_use_is_connection_failed():
    with msm.Slave.tcp("127.0.0.1:0").serve(msm.Memory(1)) as first:
        with pytest.raises(msm.ConnectionFailed, match="Address already in use") as caught:
            msm.Slave.tcp(first.local_addr).serve(msm.Memory(1))
        assert isinstance(caught.value, ConnectionError)
