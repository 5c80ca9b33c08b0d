//! Variables of any type: reading, writing, converting and parsing values, edge values
//! included.

use msm::map::{AnyVar, DynValue, MapErrorKind, MapMemory};
use msm::{Area, Error, Map, Var};

fn plant() -> MapMemory {
    Map::from_toml_str(
        r#"
        [memory]
        coils = 2
        discrete_inputs = 2
        input_registers = 8
        holding_registers = 64

        [vars]
        RUN  = { area = "coil",     address = 1,  type = "bool" }
        DI   = { area = "discrete", address = 0,  type = "bool" }
        BIT  = { area = "holding",  address = 0,  type = "bit", bit = 3 }
        U8   = { area = "holding",  address = 1,  type = "u8" }
        I8   = { area = "holding",  address = 1,  type = "i8", byte = "high" }
        U16  = { area = "holding",  address = 2,  type = "u16" }
        I16  = { area = "holding",  address = 3,  type = "i16" }
        U32  = { area = "holding",  address = 4,  type = "u32" }
        I32  = { area = "holding",  address = 6,  type = "i32" }
        U64  = { area = "holding",  address = 8,  type = "u64" }
        I64  = { area = "holding",  address = 12, type = "i64" }
        F32  = { area = "input",    address = 0,  type = "f32" }
        F64  = { area = "holding",  address = 16, type = "f64" }
        NAME = { area = "holding",  address = 20, type = "string", len = 4 }
        "#,
    )
    .and_then(|m| m.build())
    .expect("valid map")
}

fn var<'a>(mm: &'a MapMemory, name: &str) -> &'a AnyVar {
    mm.find(name).expect(name)
}

/// `text` parses as `want` and a write of it reads back the same.
#[track_caller]
fn round_trip(mm: &MapMemory, name: &str, text: &str, want: DynValue) {
    let v = var(mm, name);
    assert_eq!(v.parse_value(text).expect(text), want, "{name} = {text}");
    v.set_str(text).expect(text);
    assert_eq!(v.get(), want, "{name} = {text}");
}

/// `text` is refused for `name`, with a message naming the variable and holding `needle`.
#[track_caller]
fn refused(mm: &MapMemory, name: &str, text: &str, needle: &str) {
    let e = var(mm, name).parse_value(text).expect_err(text);
    assert_eq!(e.variable(), Some(name));
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("<string>: variable {name}: ")),
        "{msg}"
    );
    assert!(msg.contains(needle), "{msg:?} should contain {needle:?}");
    let e = var(mm, name).set_str(text).expect_err(text);
    assert!(matches!(e, Error::Map(_)), "{e}");
}

fn booleans_and_bits() {
    let mm = plant();
    for name in ["RUN", "DI", "BIT"] {
        for (text, want) in [
            ("true", true),
            ("false", false),
            ("1", true),
            ("0", false),
            ("on", true),
            ("OFF", false),
            (" True ", true),
        ] {
            round_trip(&mm, name, text, DynValue::Bool(want));
        }
        refused(&mm, name, "yes", "is not a ");
        refused(&mm, name, "2", "true, false, 1, 0, on or off");
    }
    var(&mm, "BIT").set(DynValue::Bool(true)).expect("set");
    let word: Var<u16> = mm.memory().holding(0).expect("declare");
    assert_eq!(word.get(), 0b1000, "bit 3");
}

fn integers_in_every_base_and_at_the_edges() {
    let mm = plant();
    round_trip(&mm, "U8", "255", DynValue::U8(255));
    round_trip(&mm, "U8", "0xff", DynValue::U8(255));
    round_trip(&mm, "I8", "-128", DynValue::I8(-128));
    round_trip(&mm, "I8", "-0x80", DynValue::I8(-128));
    round_trip(&mm, "U16", "0xFFFF", DynValue::U16(u16::MAX));
    round_trip(&mm, "U16", "0b1010_1010", DynValue::U16(0xAA));
    round_trip(&mm, "U16", "0o17", DynValue::U16(15));
    round_trip(&mm, "U16", " 42 ", DynValue::U16(42));
    round_trip(&mm, "I16", "-32768", DynValue::I16(i16::MIN));
    round_trip(&mm, "U32", "4294967295", DynValue::U32(u32::MAX));
    round_trip(&mm, "U32", "1_000_000", DynValue::U32(1_000_000));
    round_trip(&mm, "I32", "-2147483648", DynValue::I32(i32::MIN));
    round_trip(&mm, "U64", "18446744073709551615", DynValue::U64(u64::MAX));
    round_trip(&mm, "U64", "0xFFFFFFFFFFFFFFFF", DynValue::U64(u64::MAX));
    round_trip(&mm, "I64", "-9223372036854775808", DynValue::I64(i64::MIN));
    round_trip(&mm, "I64", "9223372036854775807", DynValue::I64(i64::MAX));
    // The two bytes share register 1.
    let word: Var<u16> = mm.memory().holding(1).expect("declare");
    assert_eq!(word.get(), 0x80FF);

    for (name, text, needle) in [
        (
            "U8",
            "256",
            "256 does not fit a u8, which holds whole numbers 0..=255",
        ),
        ("U8", "-1", "does not fit a u8"),
        ("I8", "0x80", "does not fit an i8"),
        ("U16", "1.5", r#""1.5" is not a u16: write a whole number"#),
        ("U16", "twelve", "0x hex"),
        ("U16", "--5", "is not a u16"),
        ("U16", "", "is not a u16"),
        ("U64", "18446744073709551616", "does not fit a u64"),
        ("I64", "-9223372036854775809", "does not fit an i64"),
        (
            "U64",
            "999999999999999999999999999999999999999999",
            "does not fit a u64",
        ),
    ] {
        refused(&mm, name, text, needle);
    }
}

fn floats_with_nan_infinity_and_integers() {
    let mm = plant();
    let f32_var = var(&mm, "F32");
    for text in ["NaN", "nan"] {
        f32_var.set_str(text).expect(text);
        assert!(
            matches!(f32_var.get(), DynValue::F32(f) if f.is_nan()),
            "{text}"
        );
    }
    round_trip(&mm, "F32", "inf", DynValue::F32(f32::INFINITY));
    round_trip(&mm, "F32", "-inf", DynValue::F32(f32::NEG_INFINITY));
    round_trip(&mm, "F32", "-1.5", DynValue::F32(-1.5));
    round_trip(&mm, "F32", "0.1", DynValue::F32(0.1));
    round_trip(&mm, "F32", "3.4028235e38", DynValue::F32(f32::MAX));
    round_trip(&mm, "F32", "0x10", DynValue::F32(16.0));
    round_trip(&mm, "F64", "1e300", DynValue::F64(1e300));
    round_trip(&mm, "F64", "-infinity", DynValue::F64(f64::NEG_INFINITY));
    round_trip(&mm, "F64", "5", DynValue::F64(5.0));
    refused(&mm, "F32", "1e40", "1e40 does not fit an f32");
    refused(&mm, "F64", "1e400", "does not fit an f64");
    refused(&mm, "F32", "0x1000001", "does not fit an f32");
    refused(&mm, "F64", "1.2.3", "is not an f64: write a number");
}

fn strings_as_they_are_within_their_length() {
    let mm = plant();
    round_trip(&mm, "NAME", "PUMP 1", DynValue::String("PUMP 1".into()));
    round_trip(&mm, "NAME", " 8 chars", DynValue::String(" 8 chars".into()));
    round_trip(&mm, "NAME", "", DynValue::String(String::new()));
    refused(
        &mm,
        "NAME",
        "123456789",
        "a string of 9 bytes does not fit in 8 bytes",
    );
    refused(&mm, "NAME", "ÅBC", "not ASCII");
}

fn set_converts_numbers_when_nothing_is_lost() {
    let mm = plant();
    let ok = |name: &str, value: DynValue, want: DynValue| {
        var(&mm, name)
            .set(value.clone())
            .unwrap_or_else(|e| panic!("{name} = {value:?}: {e}"));
        assert_eq!(var(&mm, name).get(), want, "{name} = {value:?}");
    };
    ok("U32", DynValue::U8(7), DynValue::U32(7));
    ok("I16", DynValue::F64(-2.0), DynValue::I16(-2));
    ok("U64", DynValue::I64(5), DynValue::U64(5));
    ok(
        "F32",
        DynValue::U32(16_777_216),
        DynValue::F32(16_777_216.0),
    );
    ok("F32", DynValue::F64(0.1), DynValue::F32(0.1));
    ok("F64", DynValue::F32(0.5), DynValue::F64(0.5));
    ok(
        "F64",
        DynValue::U64(1 << 53),
        DynValue::F64(9_007_199_254_740_992.0),
    );
    ok("BIT", DynValue::Bool(true), DynValue::Bool(true));
    ok(
        "NAME",
        DynValue::String("AB".into()),
        DynValue::String("AB".into()),
    );

    let refused = |name: &str, value: DynValue, needle: &str| {
        let e = var(&mm, name).set(value.clone()).expect_err(needle);
        let msg = e.to_string();
        assert!(
            msg.starts_with(&format!("<string>: variable {name}: ")),
            "{msg}"
        );
        assert!(msg.contains(needle), "{msg:?} should contain {needle:?}");
    };
    refused("U16", DynValue::I64(-1), "-1 does not fit a u16");
    refused("U8", DynValue::U16(256), "256 does not fit a u8");
    refused("I16", DynValue::F64(2.5), "2.5 does not fit an i16");
    refused("U32", DynValue::F64(f64::NAN), "NaN does not fit a u32");
    refused(
        "F32",
        DynValue::U32(16_777_217),
        "16777217 does not fit an f32",
    );
    refused("F32", DynValue::F64(1e300), "1e300 does not fit an f32");
    refused("F64", DynValue::U64(u64::MAX), "does not fit an f64");
    refused(
        "U16",
        DynValue::Bool(true),
        "a u16 takes an integer, not a boolean",
    );
    refused(
        "U16",
        DynValue::String("5".into()),
        "a u16 takes an integer, not a string",
    );
    refused(
        "RUN",
        DynValue::U8(1),
        "a bool takes true or false, not an integer",
    );
    refused(
        "NAME",
        DynValue::U8(1),
        "a string takes a string, not an integer",
    );
    refused(
        "NAME",
        DynValue::String("too long!".into()),
        "does not fit in 8 bytes",
    );
    // A refused write leaves the value as it was.
    assert_eq!(var(&mm, "U16").get(), DynValue::U16(0));
}

fn dyn_values_display_plainly_and_serialize_untagged() {
    let cases = [
        (DynValue::Bool(true), "true"),
        (DynValue::I8(-5), "-5"),
        (DynValue::U64(u64::MAX), "18446744073709551615"),
        (DynValue::I64(i64::MIN), "-9223372036854775808"),
        (DynValue::F32(1.0), "1.0"),
        (DynValue::F32(0.1), "0.1"),
        (DynValue::F64(1e-7), "1e-7"),
        (DynValue::F32(f32::NAN), "NaN"),
        (DynValue::F64(f64::NEG_INFINITY), "-inf"),
        (DynValue::String("PUMP-1".into()), "PUMP-1"),
    ];
    for (value, text) in cases {
        assert_eq!(value.to_string(), text);
    }
    // Displayed floats read back exactly: what `msm read` prints, `msm write` takes.
    for f in [0.1f32, f32::MAX, f32::MIN_POSITIVE, 1.0 / 3.0] {
        assert_eq!(DynValue::F32(f).to_string().parse::<f32>().ok(), Some(f));
    }
    // Untagged: a number is a number, not `{ "U16": 5 }`.
    let as_toml = |v: DynValue| toml::Value::try_from(v).expect("serializable");
    assert_eq!(as_toml(DynValue::U16(5)), toml::Value::Integer(5));
    assert_eq!(as_toml(DynValue::Bool(true)), toml::Value::Boolean(true));
    assert_eq!(as_toml(DynValue::F64(0.5)), toml::Value::Float(0.5));
    assert_eq!(
        as_toml(DynValue::String("A".into())),
        toml::Value::String("A".into())
    );
}

fn any_var_describes_its_variable() {
    let mm = plant();
    let names: Vec<&str> = mm.vars().iter().map(AnyVar::name).collect();
    assert_eq!(names[..3], ["RUN", "DI", "BIT"], "declaration order");
    let u64_var = var(&mm, "U64");
    assert_eq!(
        (u64_var.area(), u64_var.address(), u64_var.count()),
        (Area::Holding, 8, 4)
    );
    assert_eq!(var(&mm, "NAME").count(), 4);
    assert_eq!(var(&mm, "RUN").area(), Area::Coil);
    assert_eq!(var(&mm, "I8").def().name, "I8");
}

fn typed_access_by_name() {
    let mm = plant();
    let u32_var: Var<u32> = mm.typed("U32").expect("a u32");
    u32_var.set(7).expect("set");
    assert_eq!(var(&mm, "U32").get(), DynValue::U32(7), "one memory");
    let bit: Var<bool> = mm.typed("BIT").expect("a bit is a Var<bool>");
    assert!(!bit.get());

    let e = mm.typed::<u16>("U32").expect_err("not a u16");
    assert!(matches!(e.kind(), MapErrorKind::NotOfType { .. }));
    assert_eq!(
        e.to_string(),
        "<string>: variable U32: it is a u32, not a u16: ask for the Rust type of its map type"
    );
}

fn unknown_names_suggest_the_closest() {
    let mm = plant();
    assert!(mm.get("u32").is_none(), "names are exact");
    let e = mm.find("u32").expect_err("unknown");
    assert_eq!(
        e.to_string(),
        r#"<string>: unknown variable "u32" (did you mean U32?)"#
    );
    let e = mm.find("NAEM").expect_err("unknown");
    assert!(e.to_string().contains("(did you mean NAME?)"), "{e}");
    let e = mm.find("SOMETHING_ELSE").expect_err("unknown");
    assert_eq!(
        e.to_string(),
        r#"<string>: unknown variable "SOMETHING_ELSE""#
    );
    assert!(
        matches!(e.kind(), MapErrorKind::UnknownVariable { suggestions, .. } if suggestions.is_empty())
    );
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "booleans_and_bits",
        run: booleans_and_bits,
        needs: &[],
    },
    crate::Test {
        name: "integers_in_every_base_and_at_the_edges",
        run: integers_in_every_base_and_at_the_edges,
        needs: &[],
    },
    crate::Test {
        name: "floats_with_nan_infinity_and_integers",
        run: floats_with_nan_infinity_and_integers,
        needs: &[],
    },
    crate::Test {
        name: "strings_as_they_are_within_their_length",
        run: strings_as_they_are_within_their_length,
        needs: &[],
    },
    crate::Test {
        name: "set_converts_numbers_when_nothing_is_lost",
        run: set_converts_numbers_when_nothing_is_lost,
        needs: &[],
    },
    crate::Test {
        name: "dyn_values_display_plainly_and_serialize_untagged",
        run: dyn_values_display_plainly_and_serialize_untagged,
        needs: &[],
    },
    crate::Test {
        name: "any_var_describes_its_variable",
        run: any_var_describes_its_variable,
        needs: &[],
    },
    crate::Test {
        name: "typed_access_by_name",
        run: typed_access_by_name,
        needs: &[],
    },
    crate::Test {
        name: "unknown_names_suggest_the_closest",
        run: unknown_names_suggest_the_closest,
        needs: &[],
    },
];
