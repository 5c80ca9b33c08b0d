"""The device simulator from Python (issue 25): msm.Fault and Slave.faults (from a list or
a map), faults switched on and off while serving, and msm.Simulator moving a map's
simulated variables."""

import time

import pytest

import msm
from conftest import wait_until

PLANT = """
seed = 7
[memory]
input_registers = 4
holding_registers = 8
[vars]
COUNT = { area = "input", address = 0, type = "u16", sim = { kind = "counter", every = "20ms" } }
UP    = { area = "input", address = 1, type = "u32", sim = { kind = "uptime" } }
SP    = { area = "holding", address = 0, type = "u16", value = 5 }
TALLY = { area = "holding", address = 2, type = "u16", sim = { kind = "counter", every = "250ms" } }

[[fault]]
function = [6, 16]           # writes of one register or several
address = 0                  # to SP only
action = "exception"
code = 6
"""


def reader(slave, unit=1):
    mem = msm.Memory(holding_registers=8)
    master = msm.Master.tcp(slave.local_addr, unit=unit, response_timeout=0.3).start(mem)
    return master, mem


def test_a_fault_is_made_of_a_fault_tables_keys():
    f = msm.Fault("exception", code=6, function=[3, 4], address="0x170..=0x17F", count=3, unit=1)
    assert f.action == "exception" and f.every == 1 and f.probability is None
    assert repr(f) == "<msm.Fault functions 3, 4, address 0x170..=0x17F, count 3, unit 1: exception server device busy (06)>"
    assert msm.Fault("delay", delay=0.5, address=(10, 19), probability=0.25).probability == 0.25
    assert f == msm.Fault("exception", code=6, function=[3, 4], address=(0x170, 0x17F), count=3, unit=[1])
    with pytest.raises(msm.BadValue, match='action must be one of "exception", "delay"'):
        msm.Fault("dely")
    with pytest.raises(msm.BadValue, match='code applies only to action="exception"'):
        msm.Fault("drop", code=6)
    with pytest.raises(msm.BadValue, match="an exception needs its code"):
        msm.Fault("exception")
    with pytest.raises(msm.BadValue, match="a trickle needs delay=seconds"):
        msm.Fault("trickle")
    with pytest.raises(msm.BadValue, match="give every or probability, not both"):
        msm.Fault("drop", every=2, probability=0.5)
    with pytest.raises(msm.BadValue, match="probability must be in 0.0..=1.0"):
        msm.Fault("drop", probability=1.5)
    with pytest.raises(msm.BadDeclaration, match="function must be an int in 1..=127"):
        msm.Fault("drop", function=200)
    with pytest.raises(msm.BadValue, match="is empty"):
        msm.Fault("drop", address=(9, 3))
    with pytest.raises(msm.BadArgument, match="faults must be a list of msm.Fault or an msm.Map"):
        msm.Slave.tcp("127.0.0.1:0").faults("drop")


def test_faults_switch_on_and_off_while_serving():
    busy = msm.Fault("exception", code=6)
    with msm.Slave.tcp("127.0.0.1:0").serve(msm.Memory(8)) as slave:
        master, _ = reader(slave)
        with master:
            master.sync(timeout=2)
            slave.set_faults([busy])
            with pytest.raises(msm.ModbusError) as caught:
                master.sync(timeout=1)
            assert caught.value.code == 6
            assert slave.faults_applied[0] >= 1
            slave.set_faults([])
            master.sync(timeout=2)
            assert slave.faults_applied == []


def test_a_map_gives_its_faults_and_seed_and_its_simulated_variables_move():
    plant_map = msm.Map.from_toml(PLANT)
    assert plant_map.seed == 7
    assert [f.action for f in plant_map.faults] == ["exception"]
    plant = plant_map.build()
    sim = msm.Simulator(plant)
    assert len(sim) == 3
    with sim.start() as running, msm.Slave.tcp("127.0.0.1:0").faults(plant_map).serve(plant) as slave:
        assert running.running
        mem = msm.Memory(input_registers=4, holding_registers=8)
        count = mem.input(0, "u16")
        with msm.Master.tcp(slave.local_addr, response_timeout=0.3).start(mem) as master:
            assert wait_until(lambda: master.sync(timeout=2) is None and count.get() >= 5, timeout=5)
            setpoint = mem.holding(0, "u16")
            setpoint.set(9)
            with pytest.raises(msm.ModbusError) as caught:
                master.flush(timeout=1)
            assert caught.value.code == 6, "the map's fault refuses writes"
            assert slave.faults_applied[0] >= 1
            assert plant["SP"].get() == 5

        # A remote write to a simulated variable is kept until its next update, and the
        # counter counts on from it. (A new master: the refused setpoint is still retried.)
        mem = msm.Memory(input_registers=4, holding_registers=8)
        tally = mem.holding(2, "u16")
        with msm.Master.tcp(slave.local_addr, response_timeout=0.3).start(mem) as master:
            master.sync(timeout=2)
            tally.set(1000)
            master.flush(timeout=2)
            written = time.monotonic()
            seen = []

            def counted_twice():
                master.sync(timeout=2)
                seen.append(tally.get())
                return seen[-1] >= 1002

            assert wait_until(counted_twice, timeout=5), seen
            elapsed = time.monotonic() - written
            assert all(1000 <= v <= 1002 for v in seen), seen
            assert seen == sorted(seen), seen
            assert elapsed >= 0.25, "two updates 250 ms apart take over 250 ms"
    assert not running.running
    settled = plant["COUNT"].get()
    time.sleep(0.1)  # five of COUNT's periods: a running simulator would have counted
    assert plant["COUNT"].get() == settled, "stopped: the values hold"
    with pytest.raises(msm.Stopped):
        sim.start()
    with pytest.raises(msm.BadArgument, match="plant must be a built map"):
        msm.Simulator(msm.Memory(4))


RANDOM = """
[memory]
input_registers = 4
[vars]
A = { area = "input", address = 0, type = "u16", sim = { kind = "random", min = 0, max = 65535 } }
B = { area = "input", address = 1, type = "u16", sim = { kind = "random", min = 0, max = 65535 } }
C = { area = "input", address = 2, type = "u16", sim = { kind = "random", min = 0, max = 65535 } }
D = { area = "input", address = 3, type = "u16", sim = { kind = "random", min = 0, max = 65535 } }
"""


def first_random_values(seed):
    plant = msm.Map.from_toml(RANDOM).build()
    with msm.Simulator(plant, seed=seed).start():  # the first values are set before start returns
        return [plant[name].get() for name in "ABCD"]


def test_a_seed_repeats_random_values():
    assert first_random_values(3) == first_random_values(3)
    assert first_random_values(3) != first_random_values(4)


def test_a_slave_takes_a_seed_for_its_probabilities():
    always = msm.Fault("exception", code=4, probability=1.0)
    never = msm.Fault("drop", probability=0.0)
    with msm.Slave.tcp("127.0.0.1:0").seed(11).faults([never, always]).serve(msm.Memory(8)) as slave:
        master, _ = reader(slave)
        with master:
            with pytest.raises(msm.ModbusError) as caught:
                master.sync(timeout=1)
            assert caught.value.code == 4
            applied = slave.faults_applied
            assert applied[0] == 0 and applied[1] >= 1, applied


def recovers(master, within=5.0):
    """True once a sync goes through again (after timeouts the master reconnects)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            master.sync(timeout=1)
            return True
        except (msm.ConnectionFailed, msm.Timeout):
            time.sleep(0.05)
    return False


def test_the_master_reports_a_busy_device_and_recovers():
    """docs/simulator.md's recipe, as written there."""
    with msm.Slave.tcp("127.0.0.1:0").serve(msm.Memory(8)) as device:
        mem = msm.Memory(8)
        with msm.Master.tcp(device.local_addr, response_timeout=0.3).start(mem) as master:
            master.sync(timeout=2)                      # healthy
            device.set_faults([msm.Fault("exception", code=6)])
            with pytest.raises(msm.ModbusError) as caught:
                master.sync(timeout=1)
            assert caught.value.code == 6               # reported as busy, not as a timeout
            device.set_faults([msm.Fault("drop", function=3)])
            with pytest.raises(msm.Timeout):
                master.sync(timeout=1)                  # nothing answered
            device.set_faults([])
            assert recovers(master)                     # it reconnects and reads again
            assert device.faults_applied == []          # counts start again with the new list


def test_asyncio_slaves_take_faults_and_switch_them():
    import asyncio

    async def main():
        busy = msm.Fault("exception", code=4)
        async with await msm.aio.Slave.tcp("127.0.0.1:0").seed(5).faults([busy]).serve(msm.Memory(8)) as slave:
            mem = msm.Memory(8)
            async with await msm.aio.Master.tcp(slave.local_addr, response_timeout=0.3).start(mem) as master:
                with pytest.raises(msm.ModbusError) as caught:
                    await master.sync(timeout=1)
                assert caught.value.code == 4
                assert slave.faults_applied[0] >= 1
                slave.set_faults([])
                await master.sync(timeout=2)
                assert slave.faults_applied == []

    asyncio.run(main())
