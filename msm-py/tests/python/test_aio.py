"""msm.aio: the blocking API's builders, settings and exceptions, with awaitable calls
that never block the event loop, and cancellation that leaves nothing behind (issue 27).
Plain asyncio.run, no plugin."""

import asyncio
import inspect
import os
import statistics
import time

import pytest

import msm
from msm import _msm
from conftest import ScriptedSlave, answering_writes, read_answer, wait_until


def run(coro, timeout=60):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def threads() -> int:
    return len(os.listdir("/proc/self/task"))


def test_the_issue_program_runs():
    async def main():
        mem = msm.Memory(8)
        async with await msm.aio.Slave.tcp("127.0.0.1:0").serve(mem) as slave:
            other = msm.Memory(8)
            async with await msm.aio.Master.tcp(slave.local_addr).period(0.1).start(other) as m:
                mem.holding(0, "u16").set(42)
                await m.sync()  # awaits a full cycle
                v = other.holding(0, "u16")
                assert v.get() == 42
                await m.flush()

                async def later(value):
                    await asyncio.sleep(0)
                    mem.holding(0, "u16").set(value)

                waiting = asyncio.ensure_future(msm.aio.wait_changed(v, timeout=5.0))
                await later(43)
                assert await waiting == 43

                seen = []
                stream = msm.aio.changes(v)  # watched from here on
                mem.holding(0, "u16").set(44)
                async for value in stream:
                    seen.append(value)
                    if value == 45:
                        break
                    mem.holding(0, "u16").set(45)
                assert seen == [44, 45]
                assert m.running and slave.running
            assert not m.running
        assert not slave.running

    run(main())


def test_async_with_takes_the_start_without_await_too():
    async def main():
        plc = msm.Memory(2)
        async with msm.aio.Slave.tcp("127.0.0.1:0", unit=1).serve(plc) as slave:
            hmi = msm.Memory(2)
            async with msm.aio.Master.tcp(slave.local_addr, unit=1).start(hmi) as m:
                hmi.holding(1).set(7)
                await m.flush(timeout=10)
                assert plc.holding(1).get() == 7
                assert isinstance(m.status(), msm.Status) and m.memory.size("holding") == 2

    run(main())


def test_a_ticker_keeps_its_pace_while_a_sync_waits_on_a_slow_slave():
    """A 10 ms ticker runs on while `await m.sync()` waits 0.3 s per read."""
    slow = ScriptedSlave(lambda unit, pdu: (unit, read_answer(pdu, 7)), delay=0.3)

    async def main():
        hmi = msm.Memory(4)
        async with await msm.aio.Master.tcp(slow.addr, pipelining=1, period=60).start(hmi) as m:
            await m.sync(timeout=10)  # connected, first cycle done
            ticks = []

            async def ticker():
                while True:
                    ticks.append(time.monotonic())
                    await asyncio.sleep(0.01)

            t = asyncio.ensure_future(ticker())
            await asyncio.sleep(0)
            began = time.monotonic()
            await m.sync(timeout=10)
            took = time.monotonic() - began
            t.cancel()
            assert hmi.holding(0).get() == 7
            return took, [b - a for a, b in zip(ticks, ticks[1:])]

    with slow:
        took, gaps = run(main())
    assert took >= 0.3, f"the sync took {took:.3f}s: the slave was not slow"
    assert len(gaps) >= 20, f"only {len(gaps)} ticks in {took:.3f}s"
    median, worst = statistics.median(gaps), max(gaps)
    print(f"sync {took * 1000:.0f} ms; ticker gaps: median {median * 1000:.1f} ms, max {worst * 1000:.1f} ms over {len(gaps)}")
    assert median < 0.013, f"median gap {median * 1000:.1f} ms"
    # A blocked loop would show one gap of 300 ms; the few ms here are the machine's noise.
    assert worst < 0.040, f"worst gap {worst * 1000:.1f} ms"


def test_cancelled_waits_leave_no_future_and_no_thread_behind():
    async def main():
        plc = msm.Memory(4)
        async with await msm.aio.Slave.tcp("127.0.0.1:0").serve(plc) as slave:
            hmi = msm.Memory(4)
            async with await msm.aio.Master.tcp(slave.local_addr).start(hmi) as m:
                await m.sync(timeout=10)
                v = hmi.holding(0)
                # Warm up: the bridge's completion threads exist from here on.
                plc.holding(0).set(1)
                await m.sync(timeout=10)
                base_flight = _msm._aio_in_flight()
                base_threads = threads()
                for _ in range(5):
                    waits = [asyncio.ensure_future(msm.aio.wait_changed(v)) for _ in range(100)]
                    waits += [asyncio.ensure_future(msm.aio.changes(v).__anext__()) for _ in range(50)]
                    await asyncio.sleep(0)
                    assert _msm._aio_in_flight() >= base_flight + 150
                    for w in waits:
                        w.cancel()
                    done = await asyncio.gather(*waits, return_exceptions=True)
                    assert all(isinstance(d, asyncio.CancelledError) for d in done)
                deadline = time.monotonic() + 10
                while _msm._aio_in_flight() > base_flight or threads() > base_threads:
                    assert time.monotonic() < deadline, (
                        f"in flight {_msm._aio_in_flight()} (was {base_flight}), threads {threads()} (was {base_threads})"
                    )
                    await asyncio.sleep(0.01)
                # The variable is still watched normally after all that.
                waiting = asyncio.ensure_future(msm.aio.wait_changed(v, timeout=5))
                await asyncio.sleep(0)
                plc.holding(0).set(2)
                await m.sync(timeout=10)
                assert await waiting == 2

    run(main())


def test_a_cancelled_sync_against_a_slow_slave_ends_at_once():
    slow = ScriptedSlave(lambda unit, pdu: (unit, read_answer(pdu)), delay=0.5)

    async def main():
        async with await msm.aio.Master.tcp(slow.addr, pipelining=1).start(msm.Memory(2)) as m:
            task = asyncio.ensure_future(m.sync())
            await asyncio.sleep(0.05)
            began = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert time.monotonic() - began < 0.1
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(m.sync(), 0.05)
        assert wait_until(lambda: _msm._aio_in_flight() == 0)

    with slow:
        run(main())


def test_the_exceptions_are_the_blocking_apis():
    def busy(unit, pdu):
        return unit, bytes([pdu[0] | 0x80, 0x06])

    async def main():
        with ScriptedSlave(answering_writes(busy)) as slave:
            hmi = msm.Memory(2)
            async with await msm.aio.Master.tcp(slave.addr, pipelining=1).start(hmi) as m:
                hmi.holding(0).set(3)
                with pytest.raises(msm.ModbusError) as caught:
                    await m.flush(timeout=1)
                assert caught.value.code == 6
        with pytest.raises(msm.Timeout):
            await msm.aio.wait_changed(msm.Memory(1).holding(0), timeout=0.05)
        with pytest.raises(msm.BadValue, match="timeout must be a number of seconds"):
            await msm.aio.wait_changed(msm.Memory(1).holding(0), timeout=-1)
        m = await msm.aio.Master.tcp("127.0.0.1:1").start(msm.Memory(1))
        waiting = asyncio.ensure_future(m.flush())
        msm_var = m.memory.holding(0)
        msm_var.set(1)  # kept: nothing listens there
        await asyncio.sleep(0.05)
        await m.stop()
        with pytest.raises(msm.Stopped):
            await waiting
        with pytest.raises(msm.Stopped):
            await m.sync()
        await m.stop()  # twice does nothing
        first = await msm.aio.Slave.tcp("127.0.0.1:0").serve(msm.Memory(1))
        with pytest.raises(msm.ConnectionFailed):
            await msm.aio.Slave.tcp(first.local_addr).serve(msm.Memory(1))
        await first.stop()
        with pytest.raises(msm.BadArgument):
            msm.aio.Master.tcp("127.0.0.1:1").period("1")

    run(main())


def test_the_builders_take_every_setting_of_the_blocking_ones():
    for blocking, aio in ((msm.Master, msm.aio.Master), (msm.Slave, msm.aio.Slave)):
        for name in dir(blocking):
            if not name.startswith("_"):
                assert hasattr(aio, name), f"msm.aio.{aio.__name__}.{name} is missing"
                assert getattr(aio, name).__doc__, f"msm.aio.{aio.__name__}.{name} has no docstring"
    for cls in (msm.aio.MasterHandle, msm.aio.SlaveHandle):
        for name in ("stop", "__aenter__", "__aexit__"):
            assert inspect.iscoroutinefunction(getattr(cls, name)), f"{cls.__name__}.{name}"
    for name in ("sync", "flush"):
        assert inspect.iscoroutinefunction(getattr(msm.aio.MasterHandle, name))
    assert repr(msm.aio.Master.tcp("127.0.0.1:5020").unit(2)) == "<msm.aio.Master tcp('127.0.0.1:5020') unit=2>"
