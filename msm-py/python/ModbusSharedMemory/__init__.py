"""The ModbusSharedMemory 0.1.1 API on msm's Rust core: `memory.MemoryStore`,
`memory.MemoryVariable`, `client_server.ModbusSlaveTCP` and
`client_server.ModbusMasterTCP`, with the same names and arguments, so that programs
written for the original run unchanged. See docs/python.md for what behaves better."""

name = "ModbusSharedMemory"
__all__ = ["client_server", "memory"]
