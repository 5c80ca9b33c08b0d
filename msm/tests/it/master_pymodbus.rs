//! The master against a real third-party slave: pymodbus 3.16's TCP server. All four
//! areas are read; coils and holding registers are written and checked on the pymodbus
//! side with mbpoll (an independent client); changes made on the slave side are picked up.

use crate::common;

use std::time::Duration;

use msm::{Master, Memory, Order, Var};

const N: u32 = 300; // several blocks per area

fn memory() -> Memory {
    common::four_areas(N)
}

fn master_reads_and_writes_a_pymodbus_slave() {
    common::init_logging();
    let (Some(python), Some(mbpoll)) = (common::pymodbus_python(), common::mbpoll()) else {
        return;
    };
    let server = common::PeerProcess::start(
        &python,
        &[
            common::peer_script("pymodbus_tcp_server.py")
                .to_str()
                .expect("utf-8 path"),
            &N.to_string(),
        ],
    );
    let port = server.port();
    let mem = memory();
    let master = Master::tcp(format!("127.0.0.1:{port}"))
        .unit(1)
        .period(Duration::from_millis(50))
        .response_timeout(Duration::from_millis(500))
        .start(mem.clone())
        .expect("start");

    // pymodbus 3.16 drops pipelined requests: first contact is one request at a time,
    // so the very first sync succeeds, with no reconnection.
    let began = std::time::Instant::now();
    master
        .sync_timeout(Duration::from_secs(5))
        .expect("the first sync succeeds");
    eprintln!("first sync against pymodbus: {:?}", began.elapsed());
    let st = master.status();
    assert_eq!(st.reconnects, 0, "{st:?}");
    assert!(st.block_errors.is_empty(), "{st:?}");
    // Later cycles try to widen, find the slave takes one request at a time, and still
    // succeed: the unanswered reads go again inside the same cycle.
    for _ in 0..3 {
        master
            .sync_timeout(Duration::from_secs(5))
            .expect("later syncs succeed too");
    }
    let st = master.status();
    assert_eq!(st.reconnects, 0, "{st:?}");
    assert_eq!(st.depth, 1, "{st:?}");

    for i in [0u16, 1, 3, 299] {
        assert_eq!(
            mem.coil::<bool>(i).expect("declare").get(),
            i % 3 == 0,
            "coil {i}"
        );
        assert_eq!(
            mem.discrete_input::<bool>(i).expect("declare").get(),
            i & 1 == 1,
            "discrete {i}"
        );
        assert_eq!(
            mem.holding::<u16>(i).expect("declare").get(),
            1000 + i,
            "holding {i}"
        );
        assert_eq!(
            mem.input::<u16>(i).expect("declare").get(),
            2000 + i,
            "input {i}"
        );
    }
    assert!(!mem.is_stale());

    // Writes: a single register (FC6), a 32-bit value (FC16), a coil (FC5), a run of
    // coils (FC15), and a 64-bit float across the 125-register block boundary's reach.
    mem.holding::<u16>(5)
        .expect("declare")
        .set(555)
        .expect("set");
    mem.holding::<u32>(10)
        .expect("declare")
        .order(Order::CDAB)
        .set(99_999)
        .expect("set");
    mem.holding::<f64>(200)
        .expect("declare")
        .set(-1.25)
        .expect("set");
    mem.coil::<bool>(7)
        .expect("declare")
        .set(true)
        .expect("set");
    for c in 20..30 {
        mem.coil::<bool>(c)
            .expect("declare")
            .set(c % 2 == 0)
            .expect("set");
    }
    master
        .flush_timeout(Duration::from_secs(10))
        .expect("flush");

    let holding = |addr: &str, count: &str| {
        common::mbpoll_tcp(&mbpoll, port, &["-t", "4", "-r", addr, "-c", count], &[])
            .expect("mbpoll read")
    };
    assert_eq!(holding("5", "1"), ["555"]);
    assert_eq!(
        holding("10", "2"),
        ["34463", "1"],
        "99999 = 0x0001_869F, low word first"
    );
    let f = holding("200", "4");
    assert_eq!(f, ["49140", "0", "0", "0"], "-1.25 = 0xBFF4_0000_0000_0000");
    let coils =
        common::mbpoll_tcp(&mbpoll, port, &["-t", "0", "-r", "6", "-c", "2"], &[]).expect("mbpoll");
    assert_eq!(
        coils,
        ["1", "1"],
        "coil 6 was already on (6 % 3 == 0), 7 written"
    );
    let run = common::mbpoll_tcp(&mbpoll, port, &["-t", "0", "-r", "20", "-c", "10"], &[])
        .expect("mbpoll");
    assert_eq!(run, ["1", "0", "1", "0", "1", "0", "1", "0", "1", "0"]);

    // A change made on the slave side reaches the memory at the next cycle.
    common::mbpoll_tcp(&mbpoll, port, &["-t", "4", "-r", "100"], &["4242"]).expect("mbpoll write");
    common::mbpoll_tcp(&mbpoll, port, &["-t", "0", "-r", "299"], &["1"]).expect("mbpoll write");
    master.sync_timeout(Duration::from_secs(5)).expect("sync");
    assert_eq!(mem.holding::<u16>(100).expect("declare").get(), 4242);
    assert!(mem.coil::<bool>(299).expect("declare").get());
    let status = master.status();
    assert!(
        status.connected && status.cycles >= 2 && status.block_errors.is_empty(),
        "{status:?}"
    );
    let _: Var<u16> = mem.holding(5).expect("declare");
    master.stop();
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[crate::Test {
    name: "master_reads_and_writes_a_pymodbus_slave",
    run: master_reads_and_writes_a_pymodbus_slave,
    needs: &["mbpoll", "pymodbus"],
}];
