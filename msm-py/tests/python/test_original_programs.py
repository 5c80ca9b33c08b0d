"""The original package's README snippet and its four example programs run unmodified,
and the client's writes land on the server."""

import subprocess

from conftest import HERE, ORIGINAL, free_port

RUN = HERE / "run_original.py"


def start(procs, port, program, **kw):
    return procs([RUN, port, ORIGINAL / program], cwd=ORIGINAL, **kw)


def test_mapper_examples(procs):
    port = free_port()
    server = start(procs, port, "ex_server_mapper.py")
    assert server.wait_for("ERROR_STATE"), server.err
    client = start(procs, port, "ex_client_mapper.py")
    assert client.finish(timeout=60) == 0, "".join(client.err)
    out = client.text()
    assert "WORK_MODE: 4" in out and "CURRENT_VALUE: 99999" in out
    # The server shows what the client wrote (it redraws every 0.5 s).
    assert server.wait_for("CURRENT_VALUE: 99999", timeout=10), server.text()[-2000:]
    last = server.text().rsplit("WORK_MODE", 1)[1]
    assert ": 4," in last and "PROCESS_STEP: 10," in last
    assert "CONTROL_WORD: 3276" in last  # 32768, or 32769 with the server's ERROR_STATE bit
    server.interrupt()  # Ctrl-C: the program's own handler kills the server
    assert server.finish(timeout=20) == 0, "".join(server.err)


def test_raw_access_examples(procs):
    port = free_port()
    server = start(procs, port, "ex_server_raw_access.py")
    assert server.wait_for("'00': 0"), server.err
    client = start(procs, port, "ex_client_raw_access.py", stdin=subprocess.PIPE)
    client.p.stdin.write("5\n1234\nR\n")
    client.p.stdin.flush()
    # The value typed at the client lands on the server, whose dump shows it.
    assert server.wait_for("'05': 01234", timeout=20), server.text()[-2000:]
    assert client.wait_for("'05': 01234", timeout=20), client.text()[-2000:]
    client.interrupt()
    assert client.finish(timeout=20) == 0, "".join(client.err)
    server.interrupt()
    assert server.finish(timeout=20) == 0, "".join(server.err)


def test_readme_snippet(procs):
    port = free_port()
    server = start(procs, port, "ex_server_raw_access.py")
    assert server.wait_for("'00': 0"), server.err
    client = start(procs, port, "readme_snippet.py")
    assert client.finish(timeout=30) == 0, "".join(client.err)
    assert client.text().strip().isdigit()  # print(mem.STATE)
    # mem.COUNTER = 10 (words 1 and 2), written just before kill(), reached the server.
    assert server.wait_for("'01': 00010", timeout=10), server.text()[-1000:]
    server.interrupt()
    assert server.finish(timeout=20) == 0
