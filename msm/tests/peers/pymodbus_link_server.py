"""A pymodbus 3.16 server on Modbus ASCII or Modbus/UDP, for msm's master tests.

usage: pymodbus_link_server.py ascii PORT BAUD N   (the serial line PORT, 8N1 at BAUD)
       pymodbus_link_server.py udp N                (UDP on 127.0.0.1, a port of its own)
Serves unit 1, N of each table at 0..N-1: coil i = (i % 3 == 0), discrete input
i = i & 1, holding i = 1000 + i, input i = 2000 + i. Prints "READY" (ascii) or
"PORT <n>" (udp) once serving; stops when stdin closes.
"""

import asyncio
import logging
import sys

from pymodbus import FramerType
from pymodbus.server import ModbusSerialServer, ModbusUdpServer
from pymodbus.simulator import DataType, SimData, SimDevice


def device(n: int) -> SimDevice:
    return SimDevice(
        id=1,
        simdata=(
            [SimData(0, values=[i % 3 == 0 for i in range(n)], datatype=DataType.BITS)],
            [SimData(0, values=[bool(i & 1) for i in range(n)], datatype=DataType.BITS)],
            [SimData(0, values=[1000 + i for i in range(n)], datatype=DataType.REGISTERS)],
            [SimData(0, values=[2000 + i for i in range(n)], datatype=DataType.REGISTERS)],
        ),
    )


async def main(args: list[str]) -> None:
    logging.basicConfig(level=logging.ERROR)
    if args[0] == "ascii" and len(args) == 4:
        server = ModbusSerialServer(
            [device(int(args[3]))],
            framer=FramerType.ASCII,
            port=args[1],
            baudrate=int(args[2]),
            parity="N",
            stopbits=1,
            bytesize=8,
        )
        await server.serve_forever(background=True)
        print("READY", flush=True)
    elif args[0] == "udp" and len(args) == 2:
        server = ModbusUdpServer([device(int(args[1]))], address=("127.0.0.1", 0))
        await server.serve_forever(background=True)
        print(f"PORT {server.transport.get_extra_info('sockname')[1]}", flush=True)
    else:
        sys.exit(__doc__)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await server.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
