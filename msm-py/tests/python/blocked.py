"""A program that blocks in a call, for the Ctrl-C tests.

usage: blocked.py wait_changed|sync|flush PORT

Prints "BLOCKED" and blocks: waiting for a change nobody makes, or in sync()/flush()
against the port given (a slave that never answers, or nothing listening).
"""

import sys

import msm

what, port = sys.argv[1], int(sys.argv[2])
mem = msm.Memory(4)
if what == "wait_changed":
    print("BLOCKED", flush=True)
    mem.holding(0).wait_changed()
else:
    master = msm.Master.tcp(("127.0.0.1", port), unit=9, response_timeout=60, connect_timeout=60).start(mem)
    mem.holding(0).set(1)
    print("BLOCKED", flush=True)
    getattr(master, what)()
print("RETURNED", flush=True)
