//! Property tests: every value type in every word order round-trips, and its register
//! image matches an independent reference model of the four orders.

use msm::{Byte, Memory, Order, Value, Var};
use proptest::prelude::*;

const ORDERS: [Order; 4] = [Order::ABCD, Order::CDAB, Order::BADC, Order::DCBA];

/// Reference model: split the big-endian bytes into words, then reverse the word list
/// (CDAB, DCBA) and swap the bytes of each word (BADC, DCBA).
fn reference_image(be: &[u8], order: Order) -> Vec<u16> {
    let mut words: Vec<u16> = be
        .chunks(2)
        .map(|p| u16::from_be_bytes([p[0], p[1]]))
        .collect();
    if matches!(order, Order::CDAB | Order::DCBA) {
        words.reverse();
    }
    if matches!(order, Order::BADC | Order::DCBA) {
        words = words.into_iter().map(u16::swap_bytes).collect();
    }
    words
}

fn image(mem: &Memory, address: u16, words: usize) -> Vec<u16> {
    mem.holding_raw(address, words).expect("declare raw").get()
}

fn check<T: Value + PartialEq>(value: T, be: &[u8], order: Order) -> Result<(), TestCaseError> {
    let mem = Memory::new(8);
    let var: Var<T> = mem.holding::<T>(2).expect("declare").order(order);
    var.set(value.clone()).expect("set");
    prop_assert_eq!(var.get(), value);
    prop_assert_eq!(image(&mem, 2, be.len() / 2), reference_image(be, order));
    Ok(())
}

fn check_float<T: Value>(
    value: T,
    bits_eq: impl Fn(&T, &T) -> bool,
    be: &[u8],
    order: Order,
) -> Result<(), TestCaseError> {
    let mem = Memory::new(8);
    let var: Var<T> = mem.holding::<T>(1).expect("declare").order(order);
    var.set(value.clone()).expect("set");
    prop_assert!(bits_eq(&var.get(), &value));
    prop_assert_eq!(image(&mem, 1, be.len() / 2), reference_image(be, order));
    Ok(())
}

fn order() -> impl Strategy<Value = Order> {
    prop::sample::select(ORDERS.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    fn u16_round_trips(v: u16, o in order()) { check(v, &v.to_be_bytes(), o)?; }
    fn i16_round_trips(v: i16, o in order()) { check(v, &v.to_be_bytes(), o)?; }
    fn u32_round_trips(v: u32, o in order()) { check(v, &v.to_be_bytes(), o)?; }
    fn i32_round_trips(v: i32, o in order()) { check(v, &v.to_be_bytes(), o)?; }
    fn u64_round_trips(v: u64, o in order()) { check(v, &v.to_be_bytes(), o)?; }
    fn i64_round_trips(v: i64, o in order()) { check(v, &v.to_be_bytes(), o)?; }
    fn f32_round_trips(bits: u32, o in order()) {
        let v = f32::from_bits(bits);
        check_float(v, |a, b| a.to_bits() == b.to_bits(), &v.to_be_bytes(), o)?;
    }
    fn f64_round_trips(bits: u64, o in order()) {
        let v = f64::from_bits(bits);
        check_float(v, |a, b| a.to_bits() == b.to_bits(), &v.to_be_bytes(), o)?;
    }

    fn bytes_round_trip(v: u8, s: i8, high: bool, o in order()) {
        let mem = Memory::new(2);
        let byte = if high { Byte::High } else { Byte::Low };
        let other = if high { Byte::Low } else { Byte::High };
        let a: Var<u8> = mem.holding_byte(0, byte).expect("declare").order(o);
        let b: Var<i8> = mem.holding_byte(0, other).expect("declare");
        a.set(v).expect("set");
        b.set(s).expect("set");
        prop_assert_eq!((a.get(), b.get()), (v, s));
        let word = mem.holding::<u16>(0).expect("declare").get();
        let (hi, lo) = if high { (v, s as u8) } else { (s as u8, v) };
        prop_assert_eq!(word, u16::from_be_bytes([hi, lo]));
    }

    fn bits_round_trip(word: u16, bit in 0u8..16, v: bool) {
        let mem = Memory::new(1);
        let w: Var<u16> = mem.holding(0).expect("declare");
        w.set(word).expect("set");
        let b = mem.holding_bit(0, bit).expect("declare");
        b.set(v).expect("set");
        prop_assert_eq!(b.get(), v);
        let want = if v { word | 1 << bit } else { word & !(1 << bit) };
        prop_assert_eq!(w.get(), want, "other bits untouched");
    }

    fn coils_round_trip(values in prop::collection::vec(any::<bool>(), 1..64)) {
        let mem = Memory::builder().coils(64).build().expect("build");
        let vars: Vec<Var<bool>> = (0..values.len()).map(|a| mem.coil(a as u16).expect("declare")).collect();
        for (var, v) in vars.iter().zip(&values) { var.set(*v).expect("set"); }
        for (var, v) in vars.iter().zip(&values) { prop_assert_eq!(var.get(), *v); }
    }

    fn strings_round_trip(s in "[ -~]{0,16}", o in order()) {
        let mem = Memory::new(8);
        let var = mem.holding_string(0, 8).expect("declare").order(o);
        var.set(s.clone()).expect("set");
        prop_assert_eq!(var.get(), s.clone());
        // Reference: ASCII bytes NUL-padded, first character in the high byte.
        let mut bytes = s.clone().into_bytes();
        bytes.resize(16, 0);
        let mut want: Vec<u16> = bytes.chunks(2).map(|p| u16::from_be_bytes([p[0], p[1]])).collect();
        if o.swaps_bytes() { want = want.into_iter().map(u16::swap_bytes).collect(); }
        prop_assert_eq!(image(&mem, 0, 8), want);
    }

    fn raw_registers_round_trip(words in prop::collection::vec(any::<u16>(), 1..=123), o in order()) {
        let mem = Memory::new(123);
        let var = mem.holding_raw(0, words.len()).expect("declare").order(o);
        var.set(words.clone()).expect("set");
        prop_assert_eq!(var.get(), words.clone(), "word order does not apply to raw registers");
        let arr: Var<[u16; 1]> = mem.holding(0).expect("declare");
        prop_assert_eq!(arr.get()[0], words[0]);
    }
}

fn fixed_images_of_known_values() {
    let cases: [(Order, [u16; 2], [u16; 4]); 4] = [
        (
            Order::ABCD,
            [0x1234, 0x5678],
            [0x0102, 0x0304, 0x0506, 0x0708],
        ),
        (
            Order::CDAB,
            [0x5678, 0x1234],
            [0x0708, 0x0506, 0x0304, 0x0102],
        ),
        (
            Order::BADC,
            [0x3412, 0x7856],
            [0x0201, 0x0403, 0x0605, 0x0807],
        ),
        (
            Order::DCBA,
            [0x7856, 0x3412],
            [0x0807, 0x0605, 0x0403, 0x0201],
        ),
    ];
    for (order, want32, want64) in cases {
        let mem = Memory::new(8);
        mem.holding::<u32>(0)
            .expect("declare")
            .order(order)
            .set(0x1234_5678)
            .expect("set");
        mem.holding::<u64>(2)
            .expect("declare")
            .order(order)
            .set(0x0102_0304_0506_0708)
            .expect("set");
        let raw: Var<[u16; 6]> = mem.holding(0).expect("declare");
        let got = raw.get();
        assert_eq!(got[..2], want32, "u32 0x12345678 in {order}");
        assert_eq!(got[2..], want64, "u64 0x0102030405060708 in {order}");
    }
    // f32 1.0 is 0x3F800000; the original's uint32 is CDAB (low word first).
    let mem = Memory::new(4);
    mem.holding::<f32>(0)
        .expect("declare")
        .set(1.0)
        .expect("set");
    mem.holding::<u32>(2)
        .expect("declare")
        .order(Order::CDAB)
        .set(99_999)
        .expect("set");
    assert_eq!(
        mem.holding_raw(0, 4).expect("declare").get(),
        vec![0x3F80, 0x0000, 0x869F, 0x0001]
    );
}

fn memory_default_order_applies_to_new_variables() {
    let mem = Memory::builder()
        .holding_registers(4)
        .order(Order::CDAB)
        .build()
        .expect("build");
    let v: Var<u32> = mem.holding(0).expect("declare");
    assert_eq!(v.word_order(), Order::CDAB);
    v.set(0x1234_5678).expect("set");
    assert_eq!(
        mem.holding_raw(0, 2).expect("declare").get(),
        vec![0x5678, 0x1234]
    );
    let abcd: Var<u32> = mem.holding::<u32>(0).expect("declare").order(Order::ABCD);
    assert_eq!(
        abcd.get(),
        0x5678_1234,
        "an explicit order overrides the default"
    );
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "u16_round_trips",
        run: u16_round_trips,
        needs: &[],
    },
    crate::Test {
        name: "i16_round_trips",
        run: i16_round_trips,
        needs: &[],
    },
    crate::Test {
        name: "u32_round_trips",
        run: u32_round_trips,
        needs: &[],
    },
    crate::Test {
        name: "i32_round_trips",
        run: i32_round_trips,
        needs: &[],
    },
    crate::Test {
        name: "u64_round_trips",
        run: u64_round_trips,
        needs: &[],
    },
    crate::Test {
        name: "i64_round_trips",
        run: i64_round_trips,
        needs: &[],
    },
    crate::Test {
        name: "f32_round_trips",
        run: f32_round_trips,
        needs: &[],
    },
    crate::Test {
        name: "f64_round_trips",
        run: f64_round_trips,
        needs: &[],
    },
    crate::Test {
        name: "bytes_round_trip",
        run: bytes_round_trip,
        needs: &[],
    },
    crate::Test {
        name: "bits_round_trip",
        run: bits_round_trip,
        needs: &[],
    },
    crate::Test {
        name: "coils_round_trip",
        run: coils_round_trip,
        needs: &[],
    },
    crate::Test {
        name: "strings_round_trip",
        run: strings_round_trip,
        needs: &[],
    },
    crate::Test {
        name: "raw_registers_round_trip",
        run: raw_registers_round_trip,
        needs: &[],
    },
    crate::Test {
        name: "fixed_images_of_known_values",
        run: fixed_images_of_known_values,
        needs: &[],
    },
    crate::Test {
        name: "memory_default_order_applies_to_new_variables",
        run: memory_default_order_applies_to_new_variables,
        needs: &[],
    },
];
