//! The master on a serial line (Modbus RTU over a socat pty pair) against pymodbus's RTU
//! server: two units polled on one line, all four areas read, coils and registers
//! written, and a broadcast write applied by every unit.

use crate::common;

use std::time::Duration;

use msm::{Master, Memory, Parity};

const N: u32 = 40;

fn memory() -> Memory {
    common::four_areas(N)
}

fn master_polls_two_pymodbus_rtu_units_on_one_line() {
    common::init_logging();
    let Some(python) = common::pymodbus_python() else {
        return;
    };
    let Some(line) = common::SerialPair::new() else {
        return;
    };
    let script = common::peer_script("pymodbus_rtu_server.py");
    let server = common::PeerProcess::start(
        &python,
        &[
            script.to_str().expect("utf-8"),
            line.b(),
            "19200",
            &N.to_string(),
        ],
    );
    assert_eq!(server.announced, "READY");

    let (unit1, unit2, everyone) = (memory(), memory(), Memory::new(N));
    // Virtual ptys refuse parity settings: the line runs 8N1.
    let master = Master::rtu(line.a(), 19_200)
        .parity(Parity::None)
        .unit(1)
        .with_unit(2, unit2.clone())
        .with_unit(0, everyone.clone())
        .period(Duration::from_millis(50))
        // pymodbus answers from Python: on a machine busy with the other tests an answer
        // took over 500 ms once (and then arrived during the next request).
        .response_timeout(Duration::from_secs(2))
        .start(unit1.clone())
        .expect("start");
    master
        .sync_timeout(Duration::from_secs(10))
        .expect("first cycle");
    for i in [0u16, 1, 2, 39] {
        assert_eq!(unit1.holding::<u16>(i).expect("declare").get(), 1000 + i);
        assert_eq!(
            unit2.holding::<u16>(i).expect("declare").get(),
            3000 + i,
            "the second unit has its own data"
        );
        assert_eq!(unit1.input::<u16>(i).expect("declare").get(), 2000 + i);
        assert_eq!(unit1.coil::<bool>(i).expect("declare").get(), i % 3 == 0);
        assert_eq!(
            unit2.discrete_input::<bool>(i).expect("declare").get(),
            i & 1 == 1
        );
    }

    // Writes to each unit, then read back by the next cycles.
    unit1
        .holding::<u32>(10)
        .expect("declare")
        .set(0xDEAD_BEEF)
        .expect("set");
    unit2
        .coil::<bool>(1)
        .expect("declare")
        .set(true)
        .expect("set");
    unit2
        .holding::<u16>(5)
        .expect("declare")
        .set(55)
        .expect("set");
    master
        .flush_timeout(Duration::from_secs(10))
        .expect("flush");
    // A broadcast write: every unit applies it, none answers.
    everyone
        .holding::<u16>(20)
        .expect("declare")
        .set(4242)
        .expect("set");
    master
        .flush_timeout(Duration::from_secs(10))
        .expect("broadcast sent");
    // Check through the slave's own answers: wipe the local copies' view by waiting for
    // cycles that read the values back.
    assert!(
        common::wait_until(Duration::from_secs(10), || {
            unit1.holding::<u16>(20).expect("declare").get() == 4242
                && unit2.holding::<u16>(20).expect("declare").get() == 4242
        }),
        "both units applied the broadcast: {:?}",
        master.status()
    );
    master.sync_timeout(Duration::from_secs(10)).expect("sync");
    assert_eq!(
        unit1.holding::<u32>(10).expect("declare").get(),
        0xDEAD_BEEF
    );
    assert!(unit2.coil::<bool>(1).expect("declare").get());
    assert_eq!(unit2.holding::<u16>(5).expect("declare").get(), 55);
    assert_eq!(
        unit1.holding::<u16>(5).expect("declare").get(),
        1005,
        "unit 1 untouched"
    );
    let s = master.status();
    assert!(s.connected && s.block_errors.is_empty(), "{s:?}");
    master.stop();
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[crate::Test {
    name: "master_polls_two_pymodbus_rtu_units_on_one_line",
    run: master_polls_two_pymodbus_rtu_units_on_one_line,
    needs: &["pymodbus", "socat"],
}];
