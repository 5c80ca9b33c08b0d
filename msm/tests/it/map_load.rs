//! Loading map files: the DESIGN.md example, areas, order of declaration, starting
//! values, files on disk and the maps the project ships.

use std::time::Duration;

use msm::map::{DynValue, MapErrorKind, VarType};
use msm::{Area, AreaSpec, Byte, Map, Order, Var};

const DESIGN_EXAMPLE: &str = r#"
[memory]
coils = 16
discrete_inputs = 16
input_registers = 16
holding_registers = 32      # an area may also be { start = 1024, size = 1024 }
order = "ABCD"              # default word order for this map

[vars]
STATE   = { area = "holding", address = 0, type = "u16", value = 1 }
COUNTER = { area = "holding", address = 1, type = "u32", order = "CDAB" }
TEMP    = { area = "input",   address = 0, type = "f32" }
RUN     = { area = "coil",    address = 0, type = "bool" }
ALARM   = { area = "holding", address = 3, type = "bit", bit = 0 }
STEP    = { area = "holding", address = 4, type = "u8", byte = "high" }
NAME    = { area = "holding", address = 8, type = "string", len = 4 }
"#;

fn the_design_example_loads_in_declaration_order() {
    let map = Map::from_toml_str(DESIGN_EXAMPLE).expect("the example is valid");
    let names: Vec<&str> = map.vars().iter().map(|v| v.name.as_str()).collect();
    // Not alphabetical: the file's order, for display.
    assert_eq!(
        names,
        ["STATE", "COUNTER", "TEMP", "RUN", "ALARM", "STEP", "NAME"]
    );
    assert_eq!(map.order(), Order::ABCD);
    assert_eq!(
        map.areas(),
        [
            (Area::Coil, AreaSpec::new(0, 16)),
            (Area::Discrete, AreaSpec::new(0, 16)),
            (Area::Input, AreaSpec::new(0, 16)),
            (Area::Holding, AreaSpec::new(0, 32)),
        ]
    );

    let counter = map.var("COUNTER").expect("declared");
    assert_eq!(counter.ty, VarType::U32);
    assert_eq!(counter.order, Some(Order::CDAB));
    assert_eq!(counter.count(), 2);
    let alarm = map.var("ALARM").expect("declared");
    assert_eq!((alarm.ty, alarm.bit), (VarType::Bit, Some(0)));
    let step = map.var("STEP").expect("declared");
    assert_eq!(step.byte, Some(Byte::High));
    let name = map.var("NAME").expect("declared");
    assert_eq!((name.len, name.count()), (Some(4), 4));
    assert_eq!(
        map.var("STATE").and_then(|v| v.value.clone()),
        Some(DynValue::U16(1))
    );
    assert_eq!(map.var("TEMP").and_then(|v| v.value.clone()), None);
}

fn the_design_example_builds_and_reads_its_starting_values() {
    let mm = Map::from_toml_str(DESIGN_EXAMPLE)
        .and_then(|m| m.build())
        .expect("builds");
    let values: Vec<(String, String)> = mm
        .vars()
        .iter()
        .map(|v| (v.name().to_string(), v.get().to_string()))
        .collect();
    let expected = [
        ("STATE", "1"),
        ("COUNTER", "0"),
        ("TEMP", "0.0"),
        ("RUN", "false"),
        ("ALARM", "false"),
        ("STEP", "0"),
        ("NAME", ""),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    assert_eq!(values, expected);

    // The variables are views of one memory, with the file's word order.
    let counter = mm.find("COUNTER").expect("declared");
    counter.set(DynValue::U32(0x1234_5678)).expect("set");
    let raw: Var<[u16; 2]> = mm.memory().holding(1).expect("declare");
    assert_eq!(raw.get(), [0x5678, 0x1234], "CDAB: low word first");
    let step = mm.find("STEP").expect("declared");
    step.set(DynValue::U8(0xAB)).expect("set");
    let word: Var<u16> = mm.memory().holding(4).expect("declare");
    assert_eq!(word.get(), 0xAB00, "the high byte");
    assert_eq!(mm.memory().spec(Area::Holding), AreaSpec::new(0, 32));
}

fn every_type_reads_its_starting_value() {
    let mm = Map::from_toml_str(
        r#"
        [memory]
        coils = 1
        discrete_inputs = 1
        input_registers = 4
        holding_registers = 64

        [vars]
        B   = { area = "coil",     address = 0,  type = "bool",   value = true }
        D   = { area = "discrete", address = 0,  type = "bool",   value = true }
        BIT = { area = "holding",  address = 0,  type = "bit",    bit = 15, value = true }
        U8  = { area = "holding",  address = 1,  type = "u8",     value = 255 }
        I8  = { area = "holding",  address = 1,  type = "i8",     byte = "high", value = -128 }
        U16 = { area = "holding",  address = 2,  type = "u16",    value = 0xFFFF }
        I16 = { area = "holding",  address = 3,  type = "i16",    value = -32768 }
        U32 = { area = "holding",  address = 4,  type = "u32",    value = 4294967295 }
        I32 = { area = "holding",  address = 6,  type = "i32",    value = -2147483648 }
        U64 = { area = "holding",  address = 8,  type = "u64",    value = 18446744073709551615 }
        I64 = { area = "holding",  address = 12, type = "i64",    value = -9223372036854775808 }
        F32 = { area = "input",    address = 0,  type = "f32",    value = -1.5 }
        F64 = { area = "holding",  address = 16, type = "f64",    value = 1e300 }
        INF = { area = "holding",  address = 20, type = "f64",    value = -inf }
        S   = { area = "holding",  address = 24, type = "string", len = 3, value = "PUMP-1" }
        WHOLE = { area = "input",  address = 2,  type = "f32",    value = 7 }
        "#,
    )
    .and_then(|m| m.build())
    .expect("valid");
    let get = |name: &str| mm.get(name).expect(name).get();
    assert_eq!(get("B"), DynValue::Bool(true));
    assert_eq!(get("D"), DynValue::Bool(true));
    assert_eq!(get("BIT"), DynValue::Bool(true));
    assert_eq!(get("U8"), DynValue::U8(255));
    assert_eq!(get("I8"), DynValue::I8(-128));
    assert_eq!(get("U16"), DynValue::U16(u16::MAX));
    assert_eq!(get("I16"), DynValue::I16(i16::MIN));
    assert_eq!(get("U32"), DynValue::U32(u32::MAX));
    assert_eq!(get("I32"), DynValue::I32(i32::MIN));
    assert_eq!(get("U64"), DynValue::U64(u64::MAX));
    assert_eq!(get("I64"), DynValue::I64(i64::MIN));
    assert_eq!(get("F32"), DynValue::F32(-1.5));
    assert_eq!(get("F64"), DynValue::F64(1e300));
    assert_eq!(get("INF"), DynValue::F64(f64::NEG_INFINITY));
    assert_eq!(get("S"), DynValue::String("PUMP-1".into()));
    assert_eq!(get("WHOLE"), DynValue::F32(7.0));
    // BIT is the top bit of register 0, and the two bytes share register 1.
    let words: Var<[u16; 2]> = mm.memory().holding(0).expect("declare");
    assert_eq!(words.get(), [0x8000, 0x80FF]);
}

fn areas_with_a_start_address() {
    let map = Map::from_toml_str(
        r#"
        [memory]
        holding_registers = { start = 1024, size = 1024 }
        coils = { size = 8 }
        input_registers = { start = 100, size = 0 }

        [vars]
        FIRST = { area = "holding", address = 1024, type = "u16", value = 7 }
        LAST  = { area = "holding", address = 2046, type = "u32" }
        "#,
    )
    .expect("valid");
    assert_eq!(map.areas()[3], (Area::Holding, AreaSpec::new(1024, 1024)));
    assert_eq!(map.areas()[0], (Area::Coil, AreaSpec::new(0, 8)));
    assert_eq!(map.areas()[2], (Area::Input, AreaSpec::new(100, 0)));
    let mm = map.build().expect("builds");
    assert_eq!(mm.memory().spec(Area::Holding).start, 1024);
    let first: Var<u16> = mm.memory().holding(1024).expect("declare");
    assert_eq!(first.get(), 7);

    let below = r#"
        [memory]
        holding_registers = { start = 1024, size = 1024 }
        [vars]
        LOW = { area = "holding", address = 1023, type = "u16" }
    "#;
    let err = Map::from_toml_str(below).expect_err("below the area");
    let msg = err.to_string();
    assert!(msg.contains("1024..=2047"), "{msg}");
    assert!(msg.contains("variable LOW"), "{msg}");
}

fn a_map_without_variables_is_a_memory_exchanged_whole() {
    for text in [
        "[memory]\nholding_registers = 8\n",
        "[memory]\nholding_registers = 8\n[vars]\n",
    ] {
        let mm = Map::from_toml_str(text)
            .and_then(|m| m.build())
            .expect("valid");
        assert!(mm.vars().is_empty());
        assert_eq!(mm.memory().spec(Area::Holding).size, 8);
    }
}

fn variables_may_be_written_as_tables_and_long_area_names() {
    let map = Map::from_toml_str(
        r#"
        [memory]
        holding_registers = 4

        [vars.SPEED]
        area = "holding_registers"
        address = 2
        type = "F32"
        order = "dcba"
        "#,
    )
    .expect("valid");
    let speed = &map.vars()[0];
    assert_eq!(
        (speed.area, speed.ty, speed.order),
        (Area::Holding, VarType::F32, Some(Order::DCBA))
    );
}

fn the_map_order_applies_to_variables_without_their_own() {
    let mm = Map::from_toml_str(
        r#"
        [memory]
        holding_registers = 4
        order = "CDAB"
        [vars]
        A = { area = "holding", address = 0, type = "u32", value = 0x12345678 }
        B = { area = "holding", address = 2, type = "u32", value = 0x12345678, order = "ABCD" }
        "#,
    )
    .and_then(|m| m.build())
    .expect("valid");
    let raw: Var<[u16; 4]> = mm.memory().holding(0).expect("declare");
    assert_eq!(raw.get(), [0x5678, 0x1234, 0x1234, 0x5678]);
}

fn starting_values_are_neither_changes_nor_pending_writes() {
    let mm = Map::from_toml_str(DESIGN_EXAMPLE)
        .and_then(|m| m.build())
        .expect("builds");
    let mut changes = mm.memory().subscribe();
    // A local write is reported; it is the first and only change: building left none.
    mm.find("COUNTER")
        .expect("declared")
        .set_str("5")
        .expect("set");
    let first = changes
        .recv_timeout(Duration::from_secs(1))
        .expect("the write");
    assert_eq!(
        (first.area, first.address, first.count),
        (Area::Holding, 1, 2)
    );
    assert!(mm.find("COUNTER").expect("declared").touched_by(&first));
    assert!(!mm.find("STATE").expect("declared").touched_by(&first));
    assert_eq!(changes.try_recv(), Ok(None));
    // Starting values stay: STATE was set by the file, not by a write.
    assert_eq!(mm.find("STATE").expect("declared").get(), DynValue::U16(1));
}

fn from_path_reads_a_file_and_names_it_in_errors() {
    let dir = std::env::temp_dir().join(format!("msm-map-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let good = dir.join("good.toml");
    std::fs::write(&good, DESIGN_EXAMPLE).expect("write");
    let map = Map::from_path(&good).expect("loads");
    assert_eq!(map.file(), good.display().to_string());
    assert_eq!(map.vars().len(), 7);

    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[memory]\nholding_registers = 4\n[vars]\nX = { area = \"holding\", address = 4, type = \"u16\" }\n")
        .expect("write");
    let err = Map::from_path(&bad).expect_err("address 4 is outside");
    assert_eq!(err.file(), bad.display().to_string());
    assert!(
        err.to_string()
            .starts_with(&format!("{}:4:35: variable X: ", bad.display())),
        "{err}"
    );

    let missing = dir.join("missing.toml");
    let err = Map::from_path(&missing).expect_err("no such file");
    assert!(matches!(err.kind(), MapErrorKind::Io(_)));
    assert!(
        err.to_string().starts_with(&missing.display().to_string()),
        "{err}"
    );
    assert!(
        err.to_string().contains("cannot read the map file"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}

fn every_shipped_map_loads_and_builds() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/maps");
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(dir).expect("examples/maps") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let map = Map::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
            map.build().unwrap_or_else(|e| panic!("{e}"));
            assert!(!map.vars().is_empty(), "{}", path.display());
            seen.push(
                path.file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "client_mapper.toml",
            "demo.toml",
            "libmodbus-unit-test.toml",
            "secure.toml",
            "server_mapper.toml"
        ]
    );
}

fn the_mapper_maps_lay_out_the_original_example() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/maps");
    for file in ["server_mapper.toml", "client_mapper.toml"] {
        let mm = Map::from_path(format!("{dir}/{file}"))
            .and_then(|m| m.build())
            .expect("loads");
        assert_eq!(mm.memory().spec(Area::Holding), AreaSpec::new(0, 8));
        let set = |name: &str, text: &str| mm.find(name).expect(name).set_str(text).expect(text);
        set("WORK_MODE", "2");
        set("PROCESS_STEP", "3");
        set("CURRENT_VALUE", "0x00010002");
        set("CONTROL_WORD", "0x0100");
        set("ERROR_STATE", "on");
        let raw: Var<[u16; 4]> = mm.memory().holding(0).expect("declare");
        assert_eq!(raw.get(), [0x0302, 0x0002, 0x0001, 0x0101], "{file}");
        assert_eq!(
            mm.find("CONTROL_WORD").expect("declared").get(),
            DynValue::U16(0x0101)
        );
    }
}

fn maps_and_their_variables_cross_threads() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<Map>();
    send_sync::<msm::MapMemory>();
    send_sync::<msm::AnyVar>();
    send_sync::<msm::MapError>();
}

fn a_map_built_in_code_equals_the_same_map_read_from_a_file_and_gets_the_same_checks() {
    use msm::map::{DynValue, MapErrorKind, VarDef, VarType};
    use msm::{Area, AreaSpec, Byte, Map, Order};
    let file = Map::from_toml_str(
        r#"
        [memory]
        coils = 8
        holding_registers = { start = 100, size = 16 }
        order = "CDAB"
        [vars]
        RUN   = { area = "coil", address = 1, type = "bool", value = true }
        TOTAL = { area = "holding", address = 100, type = "u32", order = "ABCD", value = 7 }
        READY = { area = "holding", address = 102, type = "bit", bit = 3 }
        STEP  = { area = "holding", address = 103, type = "u8", byte = "high" }
        NAME  = { area = "holding", address = 104, type = "string", len = 4, value = "AB" }
        "#,
    )
    .expect("valid");
    let code = Map::builder()
        .area(Area::Coil, AreaSpec::new(0, 8))
        .area(Area::Holding, AreaSpec::new(100, 16))
        .order(Order::CDAB)
        .var(VarDef::new("RUN", Area::Coil, 1, VarType::Bool).with_value(DynValue::Bool(true)))
        .var(
            VarDef::new("TOTAL", Area::Holding, 100, VarType::U32)
                .with_order(Order::ABCD)
                .with_value(DynValue::I64(7)),
        )
        .var(VarDef::new("READY", Area::Holding, 102, VarType::Bit).with_bit(3))
        .var(VarDef::new("STEP", Area::Holding, 103, VarType::U8).with_byte(Byte::High))
        .var(
            VarDef::new("NAME", Area::Holding, 104, VarType::String)
                .with_len(4)
                .with_value(DynValue::String("AB".into())),
        )
        .build()
        .expect("valid");
    assert_eq!(
        file.vars(),
        code.vars(),
        "values converted to their types alike"
    );
    assert_eq!(file.areas(), code.areas());
    assert_eq!(file.order(), code.order());

    let kind = |b: msm::MapBuilder| b.build().expect_err("refused").kind().to_string();
    let regs = || Map::builder().area(Area::Holding, AreaSpec::new(0, 4));
    for (builder, needle) in [
        (
            regs().var(VarDef::new("B", Area::Holding, 0, VarType::Bit)),
            "bit",
        ),
        (
            regs().var(VarDef::new("B", Area::Holding, 0, VarType::Bit).with_bit(16)),
            "bit 16",
        ),
        (
            regs().var(VarDef::new("S", Area::Holding, 0, VarType::String)),
            "len",
        ),
        (
            regs().var(VarDef::new("U", Area::Holding, 0, VarType::U16).with_bit(1)),
            "bit",
        ),
        (
            regs().var(VarDef::new("C", Area::Coil, 0, VarType::Bool)),
            "coils area holds no addresses",
        ),
        (
            regs().var(VarDef::new("W", Area::Holding, 3, VarType::U32)),
            "holds addresses 0..=3",
        ),
        (
            regs().var(VarDef::new("bad name", Area::Holding, 0, VarType::U16)),
            "spaces",
        ),
        (
            regs().var(
                VarDef::new("V", Area::Holding, 0, VarType::U8).with_value(DynValue::I64(300)),
            ),
            "300",
        ),
    ] {
        let text = kind(builder);
        assert!(text.contains(needle), "{needle:?} not in {text:?}");
    }
    let e = regs()
        .var(VarDef::new("T", Area::Holding, 0, VarType::Bool))
        .build()
        .expect_err("a bool in a register");
    assert!(matches!(e.kind(), MapErrorKind::TypeNotInArea { .. }));
    assert_eq!(e.variable(), Some("T"));
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "the_design_example_loads_in_declaration_order",
        run: the_design_example_loads_in_declaration_order,
        needs: &[],
    },
    crate::Test {
        name: "the_design_example_builds_and_reads_its_starting_values",
        run: the_design_example_builds_and_reads_its_starting_values,
        needs: &[],
    },
    crate::Test {
        name: "every_type_reads_its_starting_value",
        run: every_type_reads_its_starting_value,
        needs: &[],
    },
    crate::Test {
        name: "areas_with_a_start_address",
        run: areas_with_a_start_address,
        needs: &[],
    },
    crate::Test {
        name: "a_map_without_variables_is_a_memory_exchanged_whole",
        run: a_map_without_variables_is_a_memory_exchanged_whole,
        needs: &[],
    },
    crate::Test {
        name: "variables_may_be_written_as_tables_and_long_area_names",
        run: variables_may_be_written_as_tables_and_long_area_names,
        needs: &[],
    },
    crate::Test {
        name: "the_map_order_applies_to_variables_without_their_own",
        run: the_map_order_applies_to_variables_without_their_own,
        needs: &[],
    },
    crate::Test {
        name: "starting_values_are_neither_changes_nor_pending_writes",
        run: starting_values_are_neither_changes_nor_pending_writes,
        needs: &[],
    },
    crate::Test {
        name: "from_path_reads_a_file_and_names_it_in_errors",
        run: from_path_reads_a_file_and_names_it_in_errors,
        needs: &[],
    },
    crate::Test {
        name: "every_shipped_map_loads_and_builds",
        run: every_shipped_map_loads_and_builds,
        needs: &[],
    },
    crate::Test {
        name: "the_mapper_maps_lay_out_the_original_example",
        run: the_mapper_maps_lay_out_the_original_example,
        needs: &[],
    },
    crate::Test {
        name: "maps_and_their_variables_cross_threads",
        run: maps_and_their_variables_cross_threads,
        needs: &[],
    },
    crate::Test {
        name: "a_map_built_in_code_equals_the_same_map_read_from_a_file_and_gets_the_same_checks",
        run: a_map_built_in_code_equals_the_same_map_read_from_a_file_and_gets_the_same_checks,
        needs: &[],
    },
];
