"""Memory declarations, as in ModbusSharedMemory 0.1.1: `MemoryStore(size)` is `size`
words of holding registers; `MemoryVariable` places a named variable on them.

>>> from ModbusSharedMemory.memory import MemoryStore, MemoryVariable
>>> mem = MemoryStore(8)
>>> mem.STATE = MemoryVariable.word(address=0)
>>> mem.COUNTER = MemoryVariable.uint32(address=1)
>>> mem.COUNTER = 10
>>> mem.COUNTER, mem.STATE
(10, 0)
"""

from msm._msm import MemoryStore, MemoryVariable

__all__ = ["MemoryStore", "MemoryVariable"]
