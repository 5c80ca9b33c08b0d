"""Bad input raises the documented exceptions, with clear text."""

import pytest

import msm
from ModbusSharedMemory.memory import MemoryStore, MemoryVariable


def test_hierarchy():
    assert issubclass(msm.BadValue, ValueError) and issubclass(msm.BadValue, msm.MsmError)
    assert issubclass(msm.BadDeclaration, ValueError)
    assert issubclass(msm.MapError, ValueError)
    assert issubclass(msm.Timeout, TimeoutError)
    assert issubclass(msm.ConnectionFailed, ConnectionError)
    assert issubclass(msm.UnknownName, KeyError)


@pytest.mark.parametrize(
    "ty,value,text",
    [
        ("u16", 70000, "70000 does not fit a u16, which holds whole numbers 0..=65535"),
        ("u16", -1, "does not fit a u16"),
        ("i16", 40000, "does not fit an i16"),
        ("u32", 2**32, "does not fit a u32"),
        ("u64", 2**64, "past the 64-bit range"),
        ("u16", 1.5, "does not fit a u16"),
        ("u16", "7", "takes"),
        ("u16", True, "takes"),
        ("f32", "x", "takes"),
        ("u16", None, "a u16 variable takes an int, not NoneType None"),
        ("bit", 1, "a bit variable takes True or False, not int 1"),
        ("f32", 1e300, "does not fit an f32"),
    ],
)
def test_bad_values(ty, value, text):
    mem = msm.Memory(4)
    v = mem.holding_bit(0, 0) if ty == "bit" else mem.holding(0, ty)
    with pytest.raises(msm.BadValue, match=text.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.").replace("+", r"\+")):
        v.set(value)
    with pytest.raises(ValueError):
        v.value = value


def test_bad_strings_and_bits():
    mem = msm.Memory(holding_registers=4, coils=1)
    with pytest.raises(msm.BadValue, match="does not fit in 4 bytes"):
        mem.holding_string(0, 2).set("ABCDE")
    with pytest.raises(msm.BadValue, match="not ASCII"):
        mem.holding_string(0, 2).set("é")
    with pytest.raises(msm.BadValue, match="takes"):
        mem.coil(0).set(1)


def test_bad_declarations():
    mem = msm.Memory(holding_registers=8, input_registers=2)
    with pytest.raises(msm.BadDeclaration, match="holding registers address 7 needs 2 item"):
        mem.holding(7, "u32")
    with pytest.raises(msm.BadDeclaration, match="unknown word order"):
        mem.holding(0, "u32", order="XYZW")
    with pytest.raises(msm.BadDeclaration, match="unknown type \"u17\""):
        mem.holding(0, "u17")
    with pytest.raises(msm.BadDeclaration, match="holding_string"):
        mem.holding(0, "string")
    with pytest.raises(msm.BadDeclaration, match=r"bit must be an int in 0\.\.=15, got 16"):
        mem.holding_bit(0, 16)
    with pytest.raises(msm.BadDeclaration, match="unknown byte"):
        mem.holding_byte(0, "middle")
    with pytest.raises(msm.BadDeclaration, match="coils"):
        mem.coil(0)
    with pytest.raises(msm.BadDeclaration, match="holding_registers must be a size"):
        msm.Memory(holding_registers="eight")
    with pytest.raises(msm.BadDeclaration, match="addr must be \"host:port\" text"):
        msm.Master.tcp(5020)
    with pytest.raises(msm.BadValue, match="period must be a number of seconds >= 0"):
        msm.Master.tcp("127.0.0.1:1", period=-1)
    with pytest.raises(msm.BadDeclaration, match="unknown parity"):
        msm.Master.rtu("/dev/null", 9600, parity="mark")
    with pytest.raises(msm.BadDeclaration, match="no port"):
        msm.Master.tcp("127.0.0.1").start(msm.Memory(1))
    with pytest.raises(msm.BadDeclaration, match="memory must be an msm.Memory or a built map"):
        msm.Master.tcp("127.0.0.1:1").start(42)


def test_map_errors_name_the_place():
    with pytest.raises(msm.MapError, match="<string>:4:35: variable A"):
        msm.Map.from_toml("[memory]\nholding_registers = 2\n[vars]\nA = { area = \"holding\", address = 5, type = \"u16\" }\n").build()
    with pytest.raises(msm.MapError, match="unknown key `adress`"):
        msm.Map.from_toml("[memory]\nholding_registers = 2\n[vars]\nA = { area = \"holding\", adress = 0, type = \"u16\" }\n")
    with pytest.raises(msm.MapError, match="cannot read"):
        msm.Map.load("/nonexistent/plant.toml")
    plant = msm.Map.from_toml("[memory]\nholding_registers = 2\n[vars]\nSPEED = { area = \"holding\", address = 0, type = \"u16\" }\n").build()
    with pytest.raises(msm.UnknownName, match="SPEED") as e:
        plant["SPEDE"]
    assert str(e.value).startswith("unknown variable \"SPEDE\"") or "SPEDE" in str(e.value)
    with pytest.raises(KeyError):
        plant["NOPE"]
    with pytest.raises(msm.BadValue, match="SPEED: 70000 does not fit a u16"):
        plant["SPEED"].set(70000)


def test_compat_checks_as_the_original():
    mem = MemoryStore(8)
    mem.B = MemoryVariable.bool(0, 0)
    mem.Y = MemoryVariable.byte(1, 0)
    mem.W = MemoryVariable.word(2)
    mem.D = MemoryVariable.uint32(3)
    for name, bad in [("B", 1), ("B", "yes"), ("Y", 256), ("Y", -1), ("W", 65536), ("D", 2**32), ("D", -1)]:
        with pytest.raises(ValueError):
            setattr(mem, name, bad)
    mem.B, mem.Y, mem.W, mem.D = True, 255, 65535, 2**32 - 1
    assert (mem.B, mem.Y, mem.W, mem.D) == (True, 255, 65535, 2**32 - 1)
    with pytest.raises(ValueError, match=r"a u32 \(2 registers\) at holding registers address 7 needs 2"):
        mem.X = MemoryVariable.uint32(7)
    with pytest.raises(ValueError, match="var_type should be one of"):
        MemoryVariable(0, var_type="dword")
    with pytest.raises(ValueError, match=r"bit_number should be in range of \(0..15\)"):
        MemoryVariable.bool(0, 16)
    with pytest.raises(ValueError, match=r"byte_number should be in \(0, 1\)"):
        MemoryVariable.byte(0, 2)
    with pytest.raises(ValueError, match="bit_number should be None"):
        MemoryVariable(0, bit_number=1)
    with pytest.raises(ValueError, match="outside the memory"):
        mem.get_value(8)
    with pytest.raises(ValueError, match=r"in range of \(0, 65535\)"):
        mem.set_value(0, 70000)
    with pytest.raises(AttributeError, match="NOPE"):
        mem.NOPE
    with pytest.raises(ValueError, match="memory_store should be instance of MemoryStore"):
        from ModbusSharedMemory.client_server import ModbusMasterTCP

        ModbusMasterTCP(object())
