"""A pymodbus 3.16 Modbus/TCP server for msm's master tests.

usage: pymodbus_tcp_server.py N
Serves N coils, discrete inputs, holding and input registers at 0..N-1 on 127.0.0.1,
on a free port, for any unit id. Prints "PORT <n>" once listening, then serves until
killed or until stdin closes (so it never outlives the test that started it).
Initial values: coil i = (i % 3 == 0), discrete input i = i & 1,
holding register i = 1000 + i, input register i = 2000 + i.
"""

import asyncio
import logging
import sys

from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice


def device(n: int) -> SimDevice:
    return SimDevice(
        id=0,
        simdata=(
            [SimData(0, values=[i % 3 == 0 for i in range(n)], datatype=DataType.BITS)],
            [SimData(0, values=[bool(i & 1) for i in range(n)], datatype=DataType.BITS)],
            [SimData(0, values=[1000 + i for i in range(n)], datatype=DataType.REGISTERS)],
            [SimData(0, values=[2000 + i for i in range(n)], datatype=DataType.REGISTERS)],
        ),
    )


async def main(n: int) -> None:
    logging.basicConfig(level=logging.ERROR)
    server = ModbusTcpServer(device(n), address=("127.0.0.1", 0))
    await server.serve_forever(background=True)
    port = server.transport.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    # Stop when the test closes our stdin (or dies).
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await server.shutdown()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: pymodbus_tcp_server.py N")
    asyncio.run(main(int(sys.argv[1])))
