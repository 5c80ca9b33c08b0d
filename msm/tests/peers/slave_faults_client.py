"""pymodbus as a master of an msm slave that makes faults on purpose.

usage: slave_faults_client.py HOST PORT FRAMER TIMEOUT ADDRESS...
FRAMER is "socket" (Modbus/TCP) or "rtu" (RTU frames over TCP). For each ADDRESS, a new
client reads 2 holding registers there, once, without retries, and one JSON object is
printed: ADDRESS -> {"registers": [...]} or {"exception": code} or {"error": class,
"message": text}, with "elapsed" (seconds). The Rust test (tests/it/slave_faults.rs)
puts a fault on each address and checks what pymodbus saw against it.
"""
import json
import sys
import time

from pymodbus import FramerType
from pymodbus.client import ModbusTcpClient


def read(host, port, framer, timeout, address):
    client = ModbusTcpClient(host, port=port, framer=framer, timeout=timeout, retries=0)
    if not client.connect():
        return {"error": "connect", "message": f"cannot connect to {host}:{port}", "elapsed": 0.0}
    began = time.monotonic()
    try:
        response = client.read_holding_registers(address, count=2, device_id=1)
        if response.isError():
            out = {"exception": getattr(response, "exception_code", -1)}
        else:
            out = {"registers": list(response.registers)}
    except Exception as e:  # every failure is what the test looks at
        out = {"error": type(e).__name__, "message": str(e)}
    out["elapsed"] = time.monotonic() - began
    client.close()
    return out


def main():
    host, port, framer, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    framer = FramerType.RTU if framer == "rtu" else FramerType.SOCKET
    out = {a: read(host, port, framer, timeout, int(a)) for a in sys.argv[5:]}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
