"""Every public function names the argument it refuses and says what it takes, in
Python terms (issue 26): a wrong Python type is an msm.BadArgument (a TypeError and an
msm.BadDeclaration), a value out of range an msm.BadDeclaration (or msm.BadValue for a
duration)."""

import pytest

import msm

MEM = msm.Memory(holding_registers=8, coils=8, discrete_inputs=8, input_registers=8)
MASTER = msm.Master.tcp("127.0.0.1:1")
SLAVE = msm.Slave.tcp("127.0.0.1:0")
MAP = msm.Map.from_toml('[memory]\nholding_registers = 2\n[vars]\nA = { area = "holding", address = 0, type = "u16" }\n')

WRONG_TYPE = [
    (lambda: MEM.holding(0, 16), 'type must be a str such as "u16", got int 16'),
    (lambda: MEM.holding("0"), "address must be an int in 0..=65535, got str '0'"),
    (lambda: MEM.holding(1.0), "address must be an int in 0..=65535, got float 1.0"),
    (lambda: MEM.input(0, order=1), 'order must be a str such as "CDAB", got int 1'),
    (lambda: MEM.coil(None), "address must be an int in 0..=65535, got NoneType None"),
    (lambda: MEM.discrete_input(True), "address must be an int in 0..=65535, got bool True"),
    (lambda: MEM.holding_bit(0, "1"), "bit must be an int in 0..=15, got str '1'"),
    (lambda: MEM.input_bit(0, 1.5), "bit must be an int in 0..=15, got float 1.5"),
    (lambda: MEM.holding_byte(0, 1), 'byte must be a str such as "high", got int 1'),
    (lambda: MEM.input_byte(0, "low", 8), 'type must be a str such as "u16", got int 8'),
    (lambda: MEM.holding_string(0, "4"), "registers must be an int in 0..=65536, got str '4'"),
    (lambda: MEM.input_string("x", 2), "address must be an int"),
    (lambda: MEM.var(0, 0, "u16"), 'area must be a str such as "holding", got int 0'),
    (lambda: MEM.var("holding", 0, "u16", len="2"), "len must be an int in 0..=65536, got str '2'"),
    (lambda: MEM.size(1), 'area must be a str such as "holding", got int 1'),
    (lambda: MEM.start(None), "area must be a str"),
    (lambda: msm.Memory(holding_registers="eight"), "holding_registers must be a size in 0..=65536 (8) or a (start, size) pair ((1000, 8)), got str 'eight'"),
    (lambda: msm.Memory(order=4), 'order must be a str such as "CDAB", got int 4'),
    (lambda: MEM.holding(0).wait_changed(timeout="1"), "timeout must be a number of seconds >= 0 (0.5 for 500 ms), got str '1'"),
    (lambda: msm.Master.tcp(5020), 'addr must be "host:port" text ("127.0.0.1:5020") or a (host, port) pair (port 0..=65535), got int 5020'),
    (lambda: msm.Master.tcp("127.0.0.1:1", unit="1"), "unit must be an int in 0..=255, got str '1'"),
    (lambda: MASTER.period("1"), "period must be a number of seconds >= 0 (0.5 for 500 ms), got str '1'"),
    (lambda: MASTER.response_timeout(None), "response_timeout must be a number of seconds"),
    (lambda: MASTER.connect_timeout([]), "connect_timeout must be a number of seconds"),
    (lambda: MASTER.pipelining("4"), "pipelining must be an int in 1..=64, got str '4'"),
    (lambda: MASTER.parity(1), 'parity must be a str such as "even", got int 1'),
    (lambda: MASTER.stop_bits("2"), "stop_bits must be an int in 1..=2, got str '2'"),
    (lambda: MASTER.with_unit("2", msm.Memory(1)), "with_unit's id must be an int in 0..=255, got str '2'"),
    (lambda: MASTER.start(42), "memory must be an msm.Memory or a built map (msm.Map.load(path).build()), got int 42"),
    (lambda: msm.Master.rtu(1, 9600), 'path must be a str such as "/dev/ttyUSB0", got int 1'),
    (lambda: msm.Master.rtu("/dev/ttyUSB0", "9600"), "baud must be an int in 1..=4294967295, got str '9600'"),
    (lambda: msm.Master.rtu_over_tcp(("127.0.0.1", "502")), "addr must be"),
    (lambda: msm.Slave.tcp(None), "addr must be"),
    (lambda: SLAVE.unit("1"), "unit must be an int in 0..=255, got str '1'"),
    (lambda: SLAVE.units(3), "ids must be a list of ints in 0..=255, got int 3"),
    (lambda: SLAVE.max_connections("4"), "max_connections must be an int"),
    (lambda: SLAVE.idle_timeout("1"), "idle_timeout must be a number of seconds"),
    (lambda: SLAVE.busy_poll(None), "busy_poll must be a number of seconds"),
    (lambda: SLAVE.serve("mem"), "memory must be an msm.Memory or a built map"),
    (lambda: msm.Slave.rtu("/dev/ttyUSB0", 9600, stop_bits="1"), "stop_bits must be an int in 1..=2"),
    (lambda: msm.Map.load(3), 'path must be a str or an os.PathLike such as "plant.toml", got int 3'),
    (lambda: msm.Map.from_toml(b"x"), "text must be a str"),
    (lambda: MAP.select("A"), 'names must be a list of str such as ["SPEED", "RUN"], got str \'A\''),
    (lambda: MAP.build()[0], 'name must be a str such as "SPEED", got int 0'),
]

OUT_OF_RANGE = [
    (lambda: MEM.holding(-1, "u16"), msm.BadDeclaration, "address must be an int in 0..=65535, got -1"),
    (lambda: MEM.coil(70000), msm.BadDeclaration, "address must be an int in 0..=65535, got 70000"),
    (lambda: MEM.holding(2**80), msm.BadDeclaration, "address must be an int in 0..=65535, got 1208925819614629174706176"),
    (lambda: msm.Master.tcp(("127.0.0.1", 70000)), msm.BadDeclaration, "addr must be"),
    (lambda: MEM.holding_bit(0, 16), msm.BadDeclaration, "bit must be an int in 0..=15, got 16"),
    (lambda: msm.Memory(holding_registers=-1), msm.BadDeclaration, "holding_registers must be a size in 0..=65536"),
    (lambda: msm.Memory(coils=(70000, 1)), msm.BadDeclaration, "coils must be a size"),
    (lambda: MEM.holding(0).wait_changed(timeout=-1), msm.BadValue, "timeout must be a number of seconds >= 0 (0.5 for 500 ms), got -1"),
    (lambda: msm.Master.tcp("127.0.0.1:1", unit=256), msm.BadDeclaration, "unit must be an int in 0..=255, got 256"),
    (lambda: MASTER.period(float("nan")), msm.BadValue, "period must be a number of seconds >= 0 (0.5 for 500 ms), got nan"),
    (lambda: MASTER.pipelining(65), msm.BadDeclaration, "pipelining must be an int in 1..=64, got 65"),
    (lambda: MASTER.stop_bits(3), msm.BadDeclaration, "stop_bits must be an int in 1..=2, got 3"),
    (lambda: SLAVE.units([1, 300]), msm.BadDeclaration, "each unit id must be an int in 0..=255, got 300"),
    (lambda: SLAVE.max_connections(0), msm.BadDeclaration, "max_connections must be an int in 1..="),
    (lambda: SLAVE.idle_timeout(0), msm.BadDeclaration, "idle_timeout must be a number of seconds > 0, got 0"),
    (lambda: SLAVE.busy_poll(0.002), msm.BadDeclaration, "busy_poll must be a number of seconds in 0..=0.001 (0 turns polling off), got 0.002"),
]


@pytest.mark.parametrize("call,text", WRONG_TYPE, ids=[t for _, t in WRONG_TYPE])
def test_a_wrong_type_names_the_argument(call, text):
    with pytest.raises(msm.BadArgument) as caught:
        call()
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, msm.BadDeclaration)
    assert str(caught.value).startswith(text), str(caught.value)


@pytest.mark.parametrize("call,cls,text", OUT_OF_RANGE, ids=[t for _, _, t in OUT_OF_RANGE])
def test_a_value_out_of_range_names_the_argument(call, cls, text):
    with pytest.raises(cls) as caught:
        call()
    assert not isinstance(caught.value, TypeError)
    assert str(caught.value).startswith(text), str(caught.value)


def test_messages_name_python_not_rust():
    mem = msm.Memory(holding_registers=8)
    with pytest.raises(msm.BadDeclaration) as caught:
        mem.holding(7, "u32")
    assert "declare a larger area (msm.Memory(holding_registers=9) or more)" in str(caught.value)
    with pytest.raises(msm.BadDeclaration, match=r"msm.Memory\(coils=\(2, 6\)\)"):
        msm.Memory(coils=(4, 4)).coil(2)
    with pytest.raises(msm.BadValue, match="a bit variable takes True or False, not int 1"):
        mem.holding_bit(0, 0).set(1)
    with pytest.raises(msm.BadDeclaration, match="input_bit"):
        mem.var("holding", 0, "bool")
    for call in (lambda: mem.holding(7, "u32"), lambda: mem.holding_bit(0, 0).set(1),
                 lambda: msm.Slave.tcp("127.0.0.1:0").idle_timeout(0)):
        with pytest.raises(msm.MsmError) as caught:
            call()
        text = str(caught.value)
        assert "::" not in text and "Some(" not in text and "Duration" not in text, text


def test_reprs_speak_python():
    assert repr(msm.Master.tcp("127.0.0.1:5020", unit=2).period(0.2)) == "<msm.Master tcp('127.0.0.1:5020') unit=2 period=0.2>"
    assert repr(msm.Slave.tcp(("127.0.0.1", 0)).units([1, 2]).busy_poll(0)) == "<msm.Slave tcp('127.0.0.1:0') units=[1, 2] busy_poll=0>"
    assert repr(msm.Master.rtu("/dev/ttyUSB0", 9600, parity="none")).startswith("<msm.Master rtu('/dev/ttyUSB0', 9600) parity=")
    assert repr(msm.Memory(4).holding_bit(0, 1).get()) == "False"
