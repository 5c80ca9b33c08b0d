//! `Map::to_toml` writes a map file that reads back as the same map: for the shipped
//! maps, for maps built in code with every type, key and starting value (a property
//! test), with `[roles]`, with faults, behaviours and a seed, and with `[identity]`, `[[file]]` and `[[fifo]]`; a derived struct's map is checked with the plc_struct
//! example (examples.rs) and in msm-derive's tests.

use std::time::Duration;

use msm::map::{DynValue, VarDef, VarType};
use msm::protocol::ExceptionCode;
use msm::sim::Behaviour;
use msm::slave::{Fault, FaultAction, Hit};
use msm::{Area, AreaSpec, Byte, Map, Order};
use proptest::prelude::*;

/// `map` written and read back: equal, every float to the bit (but NaN's payload, which
/// a map file cannot spell), and written again the same.
fn round_trips(map: &Map) -> Result<(), TestCaseError> {
    let text = map.to_toml();
    let back =
        Map::from_toml_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\nin:\n{text}")))?;
    prop_assert!(back == *map, "read back differs:\n{text}");
    for (a, b) in map.vars().iter().zip(back.vars()) {
        let bits = |v: &Option<DynValue>| match v {
            Some(DynValue::F32(f)) if !f.is_nan() => Some(u64::from(f.to_bits())),
            Some(DynValue::F64(f)) if !f.is_nan() => Some(f.to_bits()),
            _ => None,
        };
        prop_assert_eq!(bits(&a.value), bits(&b.value), "{} in:\n{}", a.name, text);
    }
    prop_assert_eq!(back.to_toml(), text);
    Ok(())
}

fn every_shipped_map_reads_back_the_same() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/maps");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("examples/maps") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let map = Map::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
            round_trips(&map).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            count += 1;
        }
    }
    assert_eq!(count, 5);
}

fn roles_are_written_as_the_ranges_they_cover() {
    let map = Map::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/maps/secure.toml"
    ))
    .expect("secure.toml");
    let text = map.to_toml();
    assert!(
        text.ends_with(
            "\n[roles.operator]\nread = [\"*\"]\n\
             write = [\"holding 0..=0\", \"coil 0..=0\", \"holding 100..=199\"]\n\
             \n[roles.viewer]\nread = [\"*\"]\n"
        ),
        "{text}"
    );
    // No role at all still refuses everything: `[roles]` stays.
    for (roles, written) in [
        ("[roles]\n", "\n[roles]\n"),
        ("[roles.\"night shift\"]\n", "\n[roles.\"night shift\"]\n"),
    ] {
        let map = Map::from_toml_str(&format!("[memory]\ncoils = 1\n{roles}")).expect("valid");
        assert!(map.to_toml().ends_with(written), "{}", map.to_toml());
        round_trips(&map).unwrap_or_else(|e| panic!("{e}"));
    }
    let none = Map::from_toml_str("[memory]\ncoils = 1\n").expect("valid");
    assert!(!none.to_toml().contains("roles"));
    assert_ne!(
        none,
        Map::from_toml_str("[memory]\ncoils = 1\n[roles]\n").expect("valid"),
        "no [roles] allows everything, an empty one nothing"
    );
}

fn every_key_and_value_is_written() {
    let map = Map::from_toml_str(
        r#"
        [memory]
        coils = 8
        discrete_inputs = { start = 10, size = 0 }
        input_registers = { start = 65530, size = 6 }
        holding_registers = 32
        order = "badc"
        [vars]
        RUN     = { area = "coil", address = 1, type = "bool", value = true }
        "a.b"   = { area = "holding", address = 0, type = "u64", order = "DCBA", value = 0xFFFF_FFFF_FFFF_FFFF }
        MIN     = { area = "holding", address = 4, type = "i64", value = -9223372036854775808 }
        READY   = { area = "holding", address = 8, type = "bit", bit = 15, value = false }
        STEP    = { area = "holding", address = 9, type = "i8", byte = "low", value = -1 }
        LOW     = { area = "holding", address = 9, type = "u8" }
        NAME    = { area = "holding", address = 10, type = "string", len = 3, order = "ABCD", value = "a\"\\\n" }
        TINY    = { area = "holding", address = 13, type = "f32", value = 1e-45 }
        BIG     = { area = "holding", address = 15, type = "f64", value = -1.7976931348623157e308 }
        NAN     = { area = "holding", address = 19, type = "f64", value = nan }
        INF     = { area = "input", address = 65530, type = "f32", value = -inf }
        ZERO    = { area = "input", address = 65532, type = "f32", value = -0.0 }
        "ÄΩ'"   = { area = "input", address = 65534, type = "i16", value = -32768 }
        "#,
    )
    .expect("valid");
    let text = map.to_toml();
    for line in [
        "[memory]\ncoils = 8\ndiscrete_inputs = { start = 10, size = 0 }\n\
         input_registers = { start = 65530, size = 6 }\nholding_registers = 32\norder = \"BADC\"\n",
        "RUN   = { area = \"coil\", address = 1, type = \"bool\", value = true }\n",
        "\"a.b\" = { area = \"holding\", address = 0, type = \"u64\", order = \"DCBA\", value = 18446744073709551615 }\n",
        "type = \"bit\", bit = 15, value = false }\n",
        "type = \"i8\", byte = \"low\", value = -1 }\n",
        "LOW   = { area = \"holding\", address = 9, type = \"u8\" }\n",
        "order = \"ABCD\", len = 3, value = \"a\\\"\\\\\\n\" }\n",
        "value = 1e-45 }\n",
        "value = -1.7976931348623157e308 }\n",
        "value = nan }\n",
        "value = -inf }\n",
        "value = -0.0 }\n",
        "\"ÄΩ'\" = { area = \"input\", address = 65534, type = \"i16\", value = -32768 }\n",
    ] {
        assert!(text.contains(line), "{line:?} not in\n{text}");
    }
    round_trips(&map).unwrap_or_else(|e| panic!("{e}"));
}

fn faults_sims_and_seed_are_written_and_read_back() {
    let map = Map::from_toml_str(
        r#"
        seed = 42
        [memory]
        coils = 2
        input_registers = 16
        holding_registers = 0x180
        [vars]
        LEVEL = { area = "input", address = 0, type = "f32", sim = { kind = "sine", min = 0.0, max = 100.5, period = "10s" } }
        COUNT = { area = "input", address = 2, type = "u16", sim = { kind = "counter", step = -3, every = "250ms" } }
        NOISE = { area = "input", address = 3, type = "i16", sim = { kind = "random", min = -50, max = 50, every = "1s" } }
        RAMP  = { area = "input", address = 4, type = "f64", sim = { kind = "ramp", min = -1.5, max = 10.0, period = "1m 30s" } }
        BLINK = { area = "coil", address = 0, type = "bool", sim = { kind = "toggle", every = "500ms", enable = "RUN" } }
        RUN   = { area = "coil", address = 1, type = "bool", value = true }
        UP    = { area = "input", address = 8, type = "u32", sim = { kind = "uptime" } }
        NOW   = { area = "input", address = 10, type = "u32", sim = { kind = "timestamp" } }
        PV    = { area = "input", address = 12, type = "f32", sim = { kind = "follow", source = "SP", tau = "2s", gain = 0.1 } }
        SP    = { area = "holding", address = 0, type = "f32", value = 50.0 }

        [[fault]]
        function = 3
        address = "0x170..=0x17F"
        count = 3
        unit = [1, 2]
        action = "exception"
        code = 6

        [[fault]]
        function = [5, 6, 15, 16]
        action = "delay"
        delay = "500ms"
        every = 3

        [[fault]]
        address = 0x172
        action = "trickle"
        delay = "5ms"
        probability = 0.25

        [[fault]]
        unit = 7
        action = "garbage"
        "#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let text = map.to_toml();
    for line in [
        "seed = 42\n\n[memory]\n",
        "sim = { kind = \"sine\", min = 0.0, max = 100.5, period = \"10s\" } }\n",
        "sim = { kind = \"counter\", step = -3, every = \"250ms\" } }\n",
        "sim = { kind = \"random\", min = -50, max = 50, every = \"1s\" } }\n",
        "sim = { kind = \"ramp\", min = -1.5, max = 10.0, period = \"90s\" } }\n",
        "sim = { kind = \"toggle\", every = \"500ms\", enable = \"RUN\" } }\n",
        "sim = { kind = \"uptime\" } }\n",
        "sim = { kind = \"follow\", source = \"SP\", tau = \"2s\", gain = 0.1 } }\n",
        "\n[[fault]]\nfunction = 3\naddress = \"368..=383\"\ncount = 3\nunit = [1, 2]\naction = \"exception\"\ncode = 6\n",
        "\n[[fault]]\nfunction = [5, 6, 15, 16]\naction = \"delay\"\ndelay = \"500ms\"\nevery = 3\n",
        "\n[[fault]]\naddress = 370\naction = \"trickle\"\ndelay = \"5ms\"\nprobability = 0.25\n",
        "\n[[fault]]\nunit = 7\naction = \"garbage\"\n",
    ] {
        assert!(text.contains(line), "{line:?} not in\n{text}");
    }
    round_trips(&map).unwrap_or_else(|e| panic!("{e}"));
    let no_seed = Map::from_toml_str("[memory]\ncoils = 1\n").expect("valid");
    assert!(!no_seed.to_toml().contains("seed"));
    assert_ne!(
        no_seed,
        Map::from_toml_str("seed = 1\n[memory]\ncoils = 1\n").expect("valid")
    );
}

// ---- maps built in code, at random -------------------------------------------------

/// A fault with random filters, action and frequency.
fn fault() -> impl Strategy<Value = Fault> {
    let ms = (0u64..100_000).prop_map(Duration::from_millis);
    let action = prop_oneof![
        (1u8..=255).prop_map(|c| FaultAction::Exception(ExceptionCode::from_u8(c))),
        ms.clone().prop_map(FaultAction::Delay),
        Just(FaultAction::Drop),
        Just(FaultAction::Close),
        Just(FaultAction::WrongTransaction),
        Just(FaultAction::WrongUnit),
        Just(FaultAction::Short),
        ms.prop_map(FaultAction::Trickle),
        Just(FaultAction::BadCrc),
        Just(FaultAction::Garbage),
    ];
    (
        action,
        prop::collection::vec(1u8..=127, 0..3),
        prop::option::of((any::<u16>(), any::<u16>())),
        prop::option::of(1u16..),
        prop::collection::vec(any::<u8>(), 0..3),
        prop_oneof![
            (1u32..).prop_map(Hit::Every),
            (0.0f64..=1.0).prop_map(Hit::Probability)
        ],
    )
        .prop_map(|(action, functions, range, count, units, hit)| {
            let mut f = Fault::new(action).functions(functions).units(units);
            if let Some((a, b)) = range {
                f = f.address(a.min(b)..=a.max(b));
            }
            if let Some(n) = count {
                f = f.count(n);
            }
            match hit {
                Hit::Every(n) => f.every(n),
                Hit::Probability(p) => f.probability(p),
            }
        })
}

/// A numeric variable with a random behaviour that fits it.
fn simulated(i: usize) -> impl Strategy<Value = VarDef> {
    let ms = (1u64..1_000_000).prop_map(Duration::from_millis);
    let ty = prop::sample::select(vec![VarType::U16, VarType::I32, VarType::F32, VarType::F64]);
    (
        ty,
        0u8..6,
        -1000i32..1000,
        1i32..1000,
        ms.clone(),
        prop::option::of(ms),
        any::<i16>(),
    )
        .prop_map(move |(ty, kind, a, span, period, every, step)| {
            let (min, max) = match ty {
                VarType::U16 => (
                    f64::from(a.unsigned_abs()),
                    f64::from(a.unsigned_abs()) + f64::from(span),
                ),
                _ => (f64::from(a), f64::from(a + span)),
            };
            let mut b = match kind {
                0 => Behaviour::sine(min, max, period),
                1 => Behaviour::ramp(min, max, period),
                2 => Behaviour::random(min, max),
                3 if step != 0 && ty != VarType::F32 && ty != VarType::F64 => {
                    Behaviour::counter(i64::from(step))
                }
                4 => Behaviour::uptime(),
                _ => Behaviour::follow("SP", period),
            };
            if let Some(every) = every {
                b = b.every(every);
            }
            VarDef::new(format!("S{i}"), Area::Holding, 4 * i as u16 + 4, ty).with_sim(b)
        })
}

/// A map with random faults, a seed, and simulated variables following SP.
fn simulated_map() -> impl Strategy<Value = Map> {
    (
        prop::collection::vec(fault(), 0..6),
        prop::option::of(0u64..=i64::MAX as u64),
        prop::collection::vec(0usize..1, 0..8).prop_flat_map(|v| {
            let vars: Vec<_> = (0..v.len()).map(simulated).collect();
            vars
        }),
    )
        .prop_map(|(faults, seed, vars)| {
            let mut builder = Map::builder()
                .area(Area::Holding, AreaSpec::new(0, 64))
                .var(VarDef::new("SP", Area::Holding, 0, VarType::F32));
            for v in vars {
                builder = builder.var(v);
            }
            for f in faults {
                builder = builder.fault(f);
            }
            if let Some(seed) = seed {
                builder = builder.seed(seed);
            }
            builder
                .build()
                .unwrap_or_else(|e| panic!("a valid map: {e}"))
        })
}

const ORDERS: [Order; 4] = [Order::ABCD, Order::CDAB, Order::BADC, Order::DCBA];

fn order() -> impl Strategy<Value = Order> {
    prop::sample::select(ORDERS.to_vec())
}

/// One variable before it is placed: a type with its keys and maybe a starting value.
fn var_def() -> impl Strategy<Value = VarDef> {
    let name = "[A-Za-z0-9_.\"'\\\\ÄΩ-]{1,6}";
    let number = |ty: VarType, value: BoxedStrategy<DynValue>| {
        (prop::option::of(order()), prop::option::of(value)).prop_map(move |(o, v)| {
            let mut d = VarDef::new("", Area::Holding, 0, ty);
            d.order = o;
            d.value = v;
            d
        })
    };
    let typed = prop_oneof![
        prop::option::of(any::<bool>()).prop_map(|v| {
            let mut d = VarDef::new("", Area::Coil, 0, VarType::Bool);
            d.value = v.map(DynValue::Bool);
            d
        }),
        (0u8..16, prop::option::of(any::<bool>())).prop_map(|(bit, v)| {
            let mut d = VarDef::new("", Area::Holding, 0, VarType::Bit).with_bit(bit);
            d.value = v.map(DynValue::Bool);
            d
        }),
        (
            any::<bool>(),
            prop::option::of(prop_oneof![Just(Byte::Low), Just(Byte::High)]),
            prop::option::of(any::<u8>())
        )
            .prop_map(|(signed, byte, v)| {
                let ty = if signed { VarType::I8 } else { VarType::U8 };
                let mut d = VarDef::new("", Area::Holding, 0, ty);
                d.byte = byte;
                d.value = v.map(|v| {
                    if signed {
                        DynValue::I8(v as i8)
                    } else {
                        DynValue::U8(v)
                    }
                });
                d
            }),
        number(VarType::U16, any::<u16>().prop_map(DynValue::U16).boxed()),
        number(VarType::I16, any::<i16>().prop_map(DynValue::I16).boxed()),
        number(VarType::U32, any::<u32>().prop_map(DynValue::U32).boxed()),
        number(VarType::I32, any::<i32>().prop_map(DynValue::I32).boxed()),
        number(VarType::U64, any::<u64>().prop_map(DynValue::U64).boxed()),
        number(VarType::I64, any::<i64>().prop_map(DynValue::I64).boxed()),
        number(
            VarType::F32,
            any::<u32>()
                .prop_map(|b| DynValue::F32(f32::from_bits(b)))
                .boxed()
        ),
        number(
            VarType::F64,
            any::<u64>()
                .prop_map(|b| DynValue::F64(f64::from_bits(b)))
                .boxed()
        ),
        (
            1usize..=123,
            prop::option::of(order()),
            prop::option::of("[\\x00-\\x7f]{0,12}")
        )
            .prop_map(|(len, o, v)| {
                let mut d = VarDef::new("", Area::Holding, 0, VarType::String).with_len(len);
                d.order = o;
                // A value fits its variable, as the builder checks.
                d.value = v.map(|s| DynValue::String(s.chars().take(2 * len).collect()));
                d
            }),
    ];
    (name, typed, any::<bool>(), any::<u16>()).prop_map(|(name, mut d, other_area, at)| {
        d.name = name;
        d.area = match (d.ty, other_area) {
            (VarType::Bool, false) => Area::Coil,
            (VarType::Bool, true) => Area::Discrete,
            (_, false) => Area::Holding,
            (_, true) => Area::Input,
        };
        // An offset into the area, made to fit once the areas are known.
        d.address = at;
        d
    })
}

/// A map of random areas (some starting above 0, some empty) and variables placed in them.
fn built_map() -> impl Strategy<Value = Map> {
    let area = (0u16..=65535, 0u32..=400)
        .prop_map(|(start, size)| AreaSpec::new(start, size.min(65536 - u32::from(start))));
    (
        [area.clone(), area.clone(), area.clone(), area],
        order(),
        prop::collection::vec(var_def(), 0..24),
    )
        .prop_map(|(areas, order, defs)| {
            let mut builder = Map::builder().order(order);
            for (area, spec) in Area::ALL.into_iter().zip(areas) {
                builder = builder.area(area, spec);
            }
            for (i, mut d) in defs.into_iter().enumerate() {
                let spec = areas[Area::ALL.iter().position(|a| *a == d.area).unwrap_or(0)];
                let count = d.count().max(1) as u32;
                if spec.size < count {
                    continue;
                }
                let room = spec.size - count + 1;
                d.address = (u32::from(spec.start) + u32::from(d.address) % room) as u16;
                d.name = format!("{}{i}", d.name); // unique
                builder = builder.var(d);
            }
            builder
                .build()
                .unwrap_or_else(|e| panic!("a valid map: {e}"))
        })
}

/// Role names and entries: `*`, a variable's name, a raw range.
fn roles_text(map: &Map) -> impl Strategy<Value = String> + use<> {
    let names: Vec<String> = map.vars().iter().map(|v| v.name.clone()).collect();
    let entry = prop_oneof![
        Just("*".to_string()),
        prop::sample::select(if names.is_empty() {
            vec!["*".to_string()]
        } else {
            names
        }),
        (
            prop::sample::select(vec!["coil", "discrete", "input", "holding"]),
            0u16..1000,
            0u16..1000
        )
            .prop_map(|(area, a, n)| format!("{area} {a}..={}", u32::from(a) + u32::from(n))),
    ];
    let rights = (
        prop::option::of(prop::collection::vec(entry.clone(), 0..4)),
        prop::option::of(prop::collection::vec(entry, 0..4)),
    );
    prop::collection::btree_map("[a-z \"]{1,8}", rights, 0..4).prop_map(|roles| {
        let quoted = |s: &str| toml::Value::from(s).to_string();
        let mut text = String::from("\n[roles]\n");
        for (role, (read, write)) in roles {
            text.push_str(&format!("[roles.{}]\n", quoted(&role)));
            for (key, list) in [("read", read), ("write", write)] {
                if let Some(list) = list {
                    let entries: Vec<String> = list.iter().map(|e| quoted(e)).collect();
                    text.push_str(&format!("{key} = [{}]\n", entries.join(", ")));
                }
            }
        }
        text
    })
}

fn device_sections_are_written_and_read_back() {
    let text = r#"
        [memory]
        coils = { start = 10, size = 8 }
        holding_registers = 40
        [identity]
        server_id = [0, 42, 255]
        run = false
        additional_data = "line \"A\"\nsecond"
        exception_status_coils = 10
        vendor = "ACME"
        product_code = "P-7"
        revision = "2.1"
        vendor_url = "https://example.com"
        product_name = "Pumpe für Öl"
        model_name = "MX"
        application_name = "plant"
        [[file]]
        number = 4
        records = 100
        [[file]]
        number = 65535
        records = 10000
        [[fifo]]
        address = 20
        [[fifo]]
        address = 0
    "#;
    let map = Map::from_toml_str(text).expect("valid");
    let written = map.to_toml();
    assert!(
        written.ends_with(
            "\n[identity]\nserver_id = [0, 42, 255]\nrun = false\nexception_status_coils = 10\n\
             additional_data = \"line \\\"A\\\"\\nsecond\"\nvendor = \"ACME\"\nproduct_code = \"P-7\"\n\
             revision = \"2.1\"\nvendor_url = \"https://example.com\"\n\
             product_name = \"Pumpe für Öl\"\nmodel_name = \"MX\"\napplication_name = \"plant\"\n\
             \n[[file]]\nnumber = 4\nrecords = 100\n\n[[file]]\nnumber = 65535\nrecords = 10000\n\
             \n[[fifo]]\naddress = 20\n\n[[fifo]]\naddress = 0\n"
        ),
        "{written}"
    );
    round_trips(&map).unwrap_or_else(|e| panic!("{e}"));
    // One byte of server id is written as an integer, and reads back the same.
    let one = Map::from_toml_str("[memory]\n[identity]\nserver_id = [7]\n").expect("valid");
    assert!(one.to_toml().contains("\nserver_id = 7\n"));
    round_trips(&one).unwrap_or_else(|e| panic!("{e}"));
    // Each section counts: a map without it is another map.
    for without in ["[identity]", "[[file]]", "[[fifo]]"] {
        let cut = text.replace(without, "[ignored]");
        let cut: String = cut
            .split("[ignored]")
            .next()
            .unwrap_or_default()
            .to_string();
        assert_ne!(
            Map::from_toml_str(&cut).expect("valid"),
            map,
            "without {without}"
        );
    }
}

/// `[identity]`, `[[file]]` and `[[fifo]]` tables for `map`'s areas.
fn device_text(map: &Map) -> impl Strategy<Value = String> + use<> {
    let [(_, coils), _, _, (_, holding)] = map.areas();
    let coil_start = (coils.size >= 8).then(|| (coils.start, coils.size - 8));
    let fifo_range = (holding.size > 0).then_some((holding.start, holding.size));
    let text = "[a-zA-Z0-9 \"\\\\äé\n]{0,30}";
    (
        proptest::option::of(proptest::collection::vec(any::<u8>(), 1..=4)),
        proptest::option::of(any::<bool>()),
        proptest::option::of(text),
        proptest::option::of(text),
        proptest::option::of(0u32..=coil_start.map_or(0, |(_, free)| free)),
        proptest::collection::btree_map(1u16..=u16::MAX, 1u16..=10_000, 0..3),
        proptest::collection::btree_set(0u32..fifo_range.map_or(1, |(_, size)| size), 0..3),
    )
        .prop_map(move |(id, run, data, vendor, coil, files, fifos)| {
            let mut t = String::from("\n[identity]\n");
            if let Some(id) = id {
                t += &format!("server_id = {id:?}\n");
            }
            if let Some(run) = run {
                t += &format!("run = {run}\n");
            }
            let quoted = |s: &str| toml::Value::String(s.to_string()).to_string();
            if let Some(data) = data {
                t += &format!("additional_data = {}\n", quoted(&data));
            }
            if let Some(vendor) = vendor {
                t += &format!("vendor = {}\n", quoted(&vendor));
            }
            if let (Some(offset), Some((start, _))) = (coil, coil_start) {
                t += &format!("exception_status_coils = {}\n", u32::from(start) + offset);
            }
            for (number, records) in files {
                t += &format!("[[file]]\nnumber = {number}\nrecords = {records}\n");
            }
            if let Some((start, _)) = fifo_range {
                for offset in fifos {
                    t += &format!("[[fifo]]\naddress = {}\n", u32::from(start) + offset);
                }
            }
            t
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    fn maps_with_device_sections_read_back_the_same(
        (map, device) in built_map().prop_flat_map(|m| { let d = device_text(&m); (Just(m), d) })
    ) {
        let text = format!("{}{device}", map.to_toml());
        let with_device = Map::from_toml_str(&text)
            .map_err(|e| TestCaseError::fail(format!("{e}\nin:\n{text}")))?;
        prop_assert!(with_device.identity().is_some());
        round_trips(&with_device)?;
    }

    fn built_maps_read_back_the_same(map in built_map()) {
        round_trips(&map)?;
    }

    fn faults_and_behaviours_read_back_the_same(map in simulated_map()) {
        round_trips(&map)?;
    }

    fn maps_with_roles_read_back_the_same(
        (map, roles) in built_map().prop_flat_map(|m| { let r = roles_text(&m); (Just(m), r) })
    ) {
        let text = format!("{}{roles}", map.to_toml());
        let with_roles = Map::from_toml_str(&text)
            .map_err(|e| TestCaseError::fail(format!("{e}\nin:\n{text}")))?;
        prop_assert!(with_roles.roles().is_some());
        round_trips(&with_roles)?;
    }
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "every_shipped_map_reads_back_the_same",
        run: every_shipped_map_reads_back_the_same,
        needs: &[],
    },
    crate::Test {
        name: "roles_are_written_as_the_ranges_they_cover",
        run: roles_are_written_as_the_ranges_they_cover,
        needs: &[],
    },
    crate::Test {
        name: "every_key_and_value_is_written",
        run: every_key_and_value_is_written,
        needs: &[],
    },
    crate::Test {
        name: "device_sections_are_written_and_read_back",
        run: device_sections_are_written_and_read_back,
        needs: &[],
    },
    crate::Test {
        name: "maps_with_device_sections_read_back_the_same",
        run: maps_with_device_sections_read_back_the_same,
        needs: &[],
    },
    crate::Test {
        name: "built_maps_read_back_the_same",
        run: built_maps_read_back_the_same,
        needs: &[],
    },
    crate::Test {
        name: "faults_sims_and_seed_are_written_and_read_back",
        run: faults_sims_and_seed_are_written_and_read_back,
        needs: &[],
    },
    crate::Test {
        name: "faults_and_behaviours_read_back_the_same",
        run: faults_and_behaviours_read_back_the_same,
        needs: &[],
    },
    crate::Test {
        name: "maps_with_roles_read_back_the_same",
        run: maps_with_roles_read_back_the_same,
        needs: &[],
    },
];
