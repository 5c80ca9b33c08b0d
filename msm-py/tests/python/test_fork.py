"""After os.fork(), the parent's workers do not run in the child: using them (or a
memory they serve or sync) raises msm.MsmError at once, saying so; the child starts
workers of its own (issue 23)."""

import multiprocessing
import os
import time

import msm

FORK = multiprocessing.get_context("fork")


def in_child(plc, hmi, slave, master, results):
    """Runs in the forked child: every use of the parent's workers is refused at once,
    and new workers work."""
    seen = {}
    for name, call in [
        ("flush", lambda: master.flush(timeout=30)),
        ("sync", lambda: master.sync()),
        ("status", lambda: master.status()),
        ("stop", lambda: master.stop()),
        ("local_addr", lambda: slave.local_addr),
        ("slave stop", lambda: slave.stop()),
        ("synced get", lambda: hmi.holding(0).get()),
        ("served set", lambda: plc.holding(0).set(1)),
        ("wait_changed", lambda: hmi.holding(0).wait_changed(timeout=30)),
        ("declare", lambda: hmi.holding(1)),
        ("start on it", lambda: msm.Master.tcp("127.0.0.1:1").start(hmi)),
    ]:
        began = time.monotonic()
        try:
            call()
            seen[name] = "no error"
        except msm.MsmError as e:
            seen[name] = (type(e).__name__, str(e), time.monotonic() - began)
    assert not master.running and not slave.running
    assert "not running in this one" in repr(master) and "not running in this one" in repr(slave)
    # The child's own workers: a slave, a master, a value across, a wait.
    mine = msm.Memory(4)
    with msm.Slave.tcp("127.0.0.1:0").serve(mine) as own_slave:
        other = msm.Memory(4)
        with msm.Master.tcp(own_slave.local_addr).start(other) as own_master:
            other.holding(2).set(99)
            own_master.flush(timeout=10)
            seen["own"] = mine.holding(2).get()
    results.put(seen)


def test_workers_started_before_fork_are_refused_in_the_child_which_starts_its_own():
    plc = msm.Memory(4)
    with msm.Slave.tcp("127.0.0.1:0").serve(plc) as slave:
        hmi = msm.Memory(4)
        with msm.Master.tcp(slave.local_addr, period=0.01).start(hmi) as master:
            master.sync(timeout=10)
            results = FORK.SimpleQueue()
            child = FORK.Process(target=in_child, args=(plc, hmi, slave, master, results))
            child.start()
            child.join(60)
            assert child.exitcode == 0, f"the child ended with {child.exitcode}"
            seen = results.get()
            # The parent's workers go on.
            plc.holding(1).set(5)
            master.sync(timeout=10)
            assert hmi.holding(1).get() == 5
    assert seen.pop("own") == 99
    for name, outcome in seen.items():
        assert outcome != "no error", f"{name} was not refused in the child"
        cls, text, took = outcome
        assert cls == "MsmError", (name, outcome)
        assert "fork()" in text and "in the child" in text, (name, text)
        assert took < 1.0, f"{name} took {took:.2f}s to be refused"
    assert "worker threads don't survive fork()" in seen["flush"][1]


def test_os_fork_child_exits_cleanly_with_the_parents_handles_alive():
    """A plain os.fork() child that drops the parent's handles at exit does not hang."""
    plc = msm.Memory(2)
    with msm.Slave.tcp("127.0.0.1:0").serve(plc) as slave:
        with msm.Master.tcp(slave.local_addr).start(msm.Memory(2)) as master:
            master.sync(timeout=10)
            pid = os.fork()
            if pid == 0:  # the child: let everything be dropped at exit
                try:
                    del master, slave
                    import gc

                    gc.collect()
                finally:
                    os._exit(0)
            deadline = time.monotonic() + 20
            while True:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                assert time.monotonic() < deadline, "the child hung"
                time.sleep(0.01)
            assert os.waitstatus_to_exitcode(status) == 0
