"""Helpers for the msm Python tests: peers, free loopback ports, waiting on conditions
with deadlines. All traffic stays on 127.0.0.1."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
PEERS = REPO / "msm" / "tests" / "peers"
ORIGINAL = HERE / "original"


def in_ci() -> bool:
    return os.environ.get("CI") in ("true", "1")


def missing(peer: str, how: str) -> None:
    """A loud SKIP, or a failure under CI=true."""
    if in_ci():
        pytest.fail(f"{peer} is required under CI=true but is not installed: {how}")
    print(
        f"\n==================== SKIP ====================\n"
        f"SKIP: {peer} is not installed, so this test did not run. {how}\n"
        f"==============================================",
        file=sys.stderr,
    )
    pytest.skip(f"{peer} is not installed: {how}")


def mbpoll() -> str:
    path = shutil.which("mbpoll")
    if path is None:
        missing("mbpoll", "install it with `apt-get install mbpoll` (bash .ci/run does)")
    return path


def free_port() -> int:
    """A loopback port nothing listens on (bound, read, released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(cond, timeout: float = 10.0, step: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if cond():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)


class Proc:
    """A Python child process whose output lines are collected as they come."""

    def __init__(self, args, stdin=subprocess.DEVNULL, cwd=None):
        env = dict(os.environ, PYTHONUNBUFFERED="1", TERM=os.environ.get("TERM", "dumb"))
        self.p = subprocess.Popen(
            [sys.executable, *map(str, args)],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd,
        )
        self.out: list = []
        self.err: list = []
        self._threads = [
            threading.Thread(target=self._drain, args=(self.p.stdout, self.out), daemon=True),
            threading.Thread(target=self._drain, args=(self.p.stderr, self.err), daemon=True),
        ]
        for t in self._threads:
            t.start()

    @staticmethod
    def _drain(stream, into):
        for line in stream:
            into.append(line)

    def text(self) -> str:
        return "".join(self.out)

    def wait_for(self, needle: str, timeout: float = 20.0) -> bool:
        return wait_until(lambda: needle in self.text(), timeout)

    def interrupt(self) -> None:
        self.p.send_signal(signal.SIGINT)

    def finish(self, timeout: float = 20.0) -> int:
        code = self.p.wait(timeout)
        for t in self._threads:
            t.join(5)
        return code

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(10)


@pytest.fixture
def procs():
    started = []

    def start(*args, **kw):
        p = Proc(*args, **kw)
        started.append(p)
        return p

    yield start
    for p in started:
        p.kill()


@pytest.fixture
def pty_pair(tmp_path):
    """Two linked virtual serial ports (a socat pty pair), as paths; socat is an
    external peer: SKIP without it, a failure under CI=true."""
    socat = shutil.which("socat")
    if socat is None:
        missing("socat", "install it with `apt-get install socat` (bash .ci/run does)")
    a, b = tmp_path / "a", tmp_path / "b"
    pair = subprocess.Popen(
        [socat, "-d", f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_until(lambda: a.exists() and b.exists(), timeout=10), "socat made no ptys"
        yield str(a), str(b)
    finally:
        pair.kill()
        pair.wait(10)


class ScriptedSlave:
    """A Modbus/TCP slave on 127.0.0.1 that answers as `script(unit, pdu)` says: it
    returns `(answer_unit, reply_pdu)`, or None to keep silent. `delay` seconds pass
    before each answer (a slow device). One connection at a time, in a thread of its
    own; `close()` stops it."""

    def __init__(self, script, delay: float = 0.0):
        self.script = script
        self.delay = delay
        self.requests = 0
        self._stop = threading.Event()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(4)
        self._listener.settimeout(0.05)
        self.addr = self._listener.getsockname()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(0.05)
                self._answer(conn)

    def _answer(self, conn):
        buf = b""
        while not self._stop.is_set():
            try:
                chunk = conn.recv(512)
            except socket.timeout:
                continue
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while len(buf) >= 7 and len(buf) >= 6 + int.from_bytes(buf[4:6], "big"):
                n = 6 + int.from_bytes(buf[4:6], "big")
                frame, buf = buf[:n], buf[n:]
                self.requests += 1
                answer = self.script(frame[6], frame[7:])
                if answer is None:
                    continue
                if self.delay and self._stop.wait(self.delay):
                    return
                unit, pdu = answer
                try:
                    conn.sendall(frame[:2] + b"\0\0" + (len(pdu) + 1).to_bytes(2, "big") + bytes([unit]) + pdu)
                except OSError:
                    return

    def close(self):
        self._stop.set()
        self._thread.join(5)
        self._listener.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_answer(pdu: bytes, value: int = 42) -> bytes:
    """A read's answer: every register `value` (coils and inputs: all off)."""
    fc, qty = pdu[0], int.from_bytes(pdu[3:5], "big")
    if fc in (1, 2):
        return bytes([fc, (qty + 7) // 8]) + bytes((qty + 7) // 8)
    return bytes([fc, 2 * qty]) + value.to_bytes(2, "big") * qty


def answering_writes(how):
    """A script that answers reads well and writes as `how(unit, pdu)` says."""

    def script(unit, pdu):
        if pdu[0] in (1, 2, 3, 4):
            return unit, read_answer(pdu)
        return how(unit, pdu)

    return script
