"""Every type and word order, through both APIs."""

import math

import pytest

import msm
from ModbusSharedMemory.memory import MemoryStore, MemoryVariable

ORDERS = ["ABCD", "CDAB", "BADC", "DCBA"]

# 0x11223344 as each order lays it out on two registers.
U32_WORDS = {
    "ABCD": [0x1122, 0x3344],
    "CDAB": [0x3344, 0x1122],
    "BADC": [0x2211, 0x4433],
    "DCBA": [0x4433, 0x2211],
}


def words(mem, address, n):
    return [mem.holding(address + i, order="ABCD").get() for i in range(n)]


@pytest.mark.parametrize("order", ORDERS)
def test_u32_words_in_each_order(order):
    mem = msm.Memory(4)
    mem.holding(0, "u32", order=order).set(0x11223344)
    assert words(mem, 0, 2) == U32_WORDS[order]


@pytest.mark.parametrize("order", ORDERS)
def test_memory_default_order_applies(order):
    mem = msm.Memory(holding_registers=4, order=order)
    v = mem.holding(0, "u32")
    assert v.order == order
    v.set(0x11223344)
    assert words(mem, 0, 2) == U32_WORDS[order]


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    "ty,values",
    [
        ("u16", [0, 1, 0x1234, 65535]),
        ("i16", [-32768, -1, 0, 32767]),
        ("u32", [0, 70000, 2**32 - 1]),
        ("i32", [-(2**31), -70000, 2**31 - 1]),
        ("u64", [0, 2**40 + 5, 2**64 - 1]),
        ("i64", [-(2**63), -(2**40), 2**63 - 1]),
        ("f32", [0.0, 2.5, -1.25e3, math.inf]),
        ("f64", [0.1, -1e300, 123456.789]),
    ],
)
def test_numbers_round_trip_on_holding_and_input(ty, values, order):
    mem = msm.Memory(holding_registers=8, input_registers=8)
    for var in (mem.holding(2, ty, order=order), mem.input(2, ty, order=order)):
        assert var.type == ty
        for v in values:
            var.set(v)
            assert var.get() == v
            var.value = v
            assert var.value == v


def test_f32_keeps_the_nearest_single():
    v = msm.Memory(2).holding(0, "f32")
    v.set(0.1)
    assert v.get() == pytest.approx(0.1, rel=1e-7)
    assert v.get() != 0.1  # a single, widened


def test_nan_round_trips():
    v = msm.Memory(4).holding(0, "f64")
    v.set(math.nan)
    assert math.isnan(v.get())


def test_bits_bytes_strings():
    mem = msm.Memory(holding_registers=8, coils=4, discrete_inputs=4, input_registers=4)
    run, di = mem.coil(0), mem.discrete_input(3)
    run.set(True)
    di.set(True)
    assert run.get() is True and di.get() is True and mem.coil(1).get() is False

    alarm = mem.holding_bit(3, 0)
    top = mem.holding_bit(3, 15)
    alarm.set(True)
    top.set(True)
    assert mem.holding(3).get() == 0x8001
    assert mem.input_bit(0, 2).get() is False

    step = mem.holding_byte(0, "high")
    low = mem.holding_byte(0, "low")
    signed = mem.holding_byte(1, "low", "i8")
    step.set(0xAB)
    low.set(0x01)
    signed.set(-2)
    assert mem.holding(0).get() == 0xAB01
    assert signed.get() == -2 and mem.holding(1).get() == 0x00FE

    name = mem.holding_string(4, 4)
    name.set("PUMP-7")
    assert name.get() == "PUMP-7"
    assert mem.holding(4).get() == (ord("P") << 8) | ord("U")
    swapped = mem.holding_string(4, 4, order="BADC")
    assert swapped.get().startswith("UP")
    assert mem.input_string(0, 2).get() == ""


def test_var_declares_any_map_type():
    mem = msm.Memory(holding_registers=8)
    step = mem.var("holding", 4, "u8", byte="high")
    step.set(3)
    assert mem.holding(4).get() == 0x0300
    assert mem.var("holding", 5, "bit", bit=1).area == "holding"
    assert mem.var("hr", 0, "string", len=2).count == 2


def test_var_metadata_and_repr():
    mem = msm.Memory(8)
    v = mem.holding(1, "u32", order="CDAB")
    assert (v.area, v.address, v.count, v.type, v.order, v.name) == ("holding", 1, 2, "u32", "CDAB", None)
    v.set(5)
    assert repr(v) == "<msm.Var u32 holding 1 CDAB = 5>"


def test_areas_with_a_start():
    mem = msm.Memory(holding_registers=(1000, 8), coils=16)
    assert mem.start("holding") == 1000 and mem.size("holding") == 8
    mem.holding(1007).set(9)
    with pytest.raises(msm.BadDeclaration, match="1008"):
        mem.holding(1008)


# ---- the compat API ----------------------------------------------------------------


def test_compat_uint32_low_word_first():
    mem = MemoryStore(8)
    mem.CURRENT_VALUE = MemoryVariable.uint32(address=1)
    mem.CURRENT_VALUE = 70000
    assert (mem.get_value(1), mem.get_value(2)) == (4464, 1)
    assert mem.CURRENT_VALUE == 70000


def test_compat_every_type():
    mem = MemoryStore(16)
    mem.WORK_MODE = MemoryVariable.byte(address=0, byte_number=0)
    mem.PROCESS_STEP = MemoryVariable.byte(address=0, byte_number=1)
    mem.CONTROL_WORD = MemoryVariable.word(address=3)
    mem.ERROR_STATE = MemoryVariable.bool(address=3, bit_number=0)
    mem.TOP = MemoryVariable.bool(3, 15)
    mem.S16 = MemoryVariable.int16(4)
    mem.S32 = MemoryVariable.int32(5)
    mem.F32 = MemoryVariable.float32(7)
    mem.TEXT = MemoryVariable.string(9, 3)

    mem.WORK_MODE = 4
    mem.PROCESS_STEP = 10
    assert mem.get_value(0) == (10 << 8) | 4
    mem.CONTROL_WORD = 0b1000000000000000
    assert mem.TOP is True and mem.ERROR_STATE is False
    mem.ERROR_STATE = True
    assert mem.CONTROL_WORD == 0x8001
    mem.S16 = -2
    assert mem.get_value(4) == 0xFFFE and mem.S16 == -2
    mem.S32 = -70000
    lo, hi = mem.get_value(5), mem.get_value(6)
    assert (hi << 16 | lo) == (-70000) & 0xFFFFFFFF and mem.S32 == -70000
    mem.F32 = 2.5
    assert (mem.get_value(8), mem.get_value(7)) == (0x4020, 0x0000) and mem.F32 == 2.5
    mem.TEXT = "ABCDE"
    assert mem.TEXT == "ABCDE" and mem.get_value(9) == (ord("A") << 8) | ord("B")


def test_compat_memory_variable_matches_the_original():
    v = MemoryVariable(address=2, var_type="byte", byte_number=1)
    assert (v.address, v.type, v.byte_number, v.bit_number) == (2, "byte", 1, None)
    assert MemoryVariable(5).type == "word"
    assert {"bool", "byte", "word", "uint32"} <= MemoryVariable.allowed_types
    assert MemoryVariable.type_sizes["uint32"] == 32
    assert repr(MemoryVariable.bool(3, 0)) == "MemoryVariable(address=3, bit_number=0, var_type='bool')"


def test_compat_variables_overlap_and_ordinary_attributes_stay_ordinary():
    mem = MemoryStore(4)
    mem.note = "hello"
    mem.W = MemoryVariable.word(0)
    mem.LOW = MemoryVariable.byte(0, 0)
    mem.W = 0x1234
    assert mem.LOW == 0x34 and mem.note == "hello"
    mem.note = MemoryVariable.word(1)  # an attribute becomes a variable
    mem.note = 7
    assert mem.get_value(1) == 7
    del mem.note
    mem.note = "again"
    assert mem.note == "again"
    assert "W" in dir(mem)
    mem.dump = MemoryVariable.word(2)  # as the original: the variable hides the method
    mem.dump = 3
    assert mem.dump == 3 and mem.get_value(2) == 3


def test_compat_dump_as_the_original_prints_it():
    mem = MemoryStore(8)
    mem.set_value(1, 4464)
    mem.set_value(2, 1)
    assert mem.dump() == (
        "'0': 00000 | '1': 04464 | '2': 00001 | '3': 00000 | '4': 00000 | \n"
        "'5': 00000 | '6': 00000 | '7': 00000 | \n"
    )
    assert MemoryStore(20).dump(cols=10).startswith("'00': 00000 | '01': 00000")
    assert mem.get_size() == 8


def test_compat_subclass():
    class Plc(MemoryStore):
        def __init__(self, size):
            super().__init__(size)
            self.RUN = MemoryVariable.bool(0, 0)

    plc = Plc(2)
    plc.RUN = True
    assert plc.get_value(0) == 1 and isinstance(plc, MemoryStore)


def test_compat_value_stacks_as_the_original_builds_them():
    mem = MemoryStore(8)
    mem.set_value(3, 0x8000)
    assert MemoryVariable.uint32(1).build_value_stack(70000, mem) == (4464, 1)
    assert MemoryVariable.bool(3, 0).build_value_stack(True, mem) == (0x8001,)
    assert MemoryVariable.byte(3, 0).build_value_stack(5, mem) == (0x8005,)
    assert MemoryVariable.byte(3, 1).build_value_stack(1, mem) == (0x0100,)
    assert mem.get_value(3) == 0x8000  # nothing written
    assert MemoryVariable.word(3).get_memory_value(mem) == 0x8000
    assert MemoryVariable.bool(3, 15).get_memory_value(mem) is True
    with pytest.raises(ValueError, match="memory_instance should be instance of MemoryStore"):
        MemoryVariable.word(0).get_memory_value(object())
    with pytest.raises(ValueError):
        MemoryVariable.word(0).build_value_stack(70000, mem)
