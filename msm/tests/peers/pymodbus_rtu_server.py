"""A pymodbus 3.16 Modbus RTU server for msm's master tests.

usage: pymodbus_rtu_server.py PORT BAUD N
Serves units 1 and 2 on the serial line PORT (8N1 at BAUD: ptys reject parity settings), N of each table at 0..N-1.
Unit 1: coil i = (i % 3 == 0), discrete input i = i & 1, holding i = 1000 + i,
input i = 2000 + i. Unit 2: the same with holding i = 3000 + i. Broadcasts (unit 0)
are applied to both. Prints "READY" once the port is open; stops when stdin closes.
"""

import asyncio
import logging
import sys

from pymodbus.server import ModbusSerialServer
from pymodbus.simulator import DataType, SimData, SimDevice


def device(dev_id: int, n: int, holding_base: int) -> SimDevice:
    return SimDevice(
        id=dev_id,
        simdata=(
            [SimData(0, values=[i % 3 == 0 for i in range(n)], datatype=DataType.BITS)],
            [SimData(0, values=[bool(i & 1) for i in range(n)], datatype=DataType.BITS)],
            [SimData(0, values=[holding_base + i for i in range(n)], datatype=DataType.REGISTERS)],
            [SimData(0, values=[2000 + i for i in range(n)], datatype=DataType.REGISTERS)],
        ),
    )


async def main(port: str, baud: int, n: int) -> None:
    logging.basicConfig(level=logging.ERROR)
    server = ModbusSerialServer(
        [device(1, n, 1000), device(2, n, 3000)],
        port=port,
        baudrate=baud,
        parity="N",
        stopbits=1,
        bytesize=8,
        broadcast_enable=True,
    )
    await server.serve_forever(background=True)
    print("READY", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await server.shutdown()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: pymodbus_rtu_server.py PORT BAUD N")
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
