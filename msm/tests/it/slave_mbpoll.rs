//! Interoperability with mbpoll (a libmodbus-based master): reads and writes of all
//! four areas, 32-bit integers and floats in both word orders, and an exception.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use msm::{Memory, Order, Slave, SlaveHandle, Var};

struct Run {
    ok: bool,
    out: String,
    err: String,
}

fn mbpoll(exe: &Path, slave: &SlaveHandle, args: &[&str]) -> Run {
    let port = slave.local_addr().port().to_string();
    let mut cmd = Command::new(exe);
    cmd.args(["-m", "tcp", "-p", &port, "-a", "1", "-0", "-1", "-o", "3"]);
    cmd.args(args);
    let output = cmd.output().expect("run mbpoll");
    Run {
        ok: output.status.success(),
        out: String::from_utf8_lossy(&output.stdout).into_owned(),
        err: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The `[address]: value` lines mbpoll prints for a read.
fn values(run: &Run) -> Vec<(u32, String)> {
    assert!(run.ok, "mbpoll failed: {}{}", run.out, run.err);
    run.out
        .lines()
        .filter_map(|line| {
            let (addr, value) = line.trim().strip_prefix('[')?.split_once("]:")?;
            Some((addr.parse().ok()?, value.trim().to_string()))
        })
        .collect()
}

fn read(exe: &Path, slave: &SlaveHandle, args: &[&str]) -> Vec<String> {
    let mut all = args.to_vec();
    all.push("127.0.0.1");
    values(&mbpoll(exe, slave, &all))
        .into_iter()
        .map(|(_, v)| v)
        .collect()
}

fn write(exe: &Path, slave: &SlaveHandle, args: &[&str], data: &[&str]) {
    let mut all = args.to_vec();
    all.extend(["127.0.0.1", "--"]);
    all.extend(data);
    let run = mbpoll(exe, slave, &all);
    assert!(
        run.ok && run.out.contains("Written"),
        "mbpoll {all:?}: {}{}",
        run.out,
        run.err
    );
}

fn setup() -> Option<(PathBuf, Memory, SlaveHandle)> {
    let exe = common::mbpoll()?;
    common::init_logging();
    let mem = Memory::builder()
        .coils(20)
        .discrete_inputs(20)
        .input_registers(20)
        .holding_registers(20)
        .build()
        .expect("memory");
    let slave = Slave::tcp("127.0.0.1:0").serve(mem.clone()).expect("serve");
    Some((exe, mem, slave))
}

fn mbpoll_reads_what_the_program_set() {
    let Some((exe, mem, slave)) = setup() else {
        return;
    };
    let inputs: Var<[u16; 3]> = mem.input(0).expect("declare");
    inputs.set([7, 65535, 300]).expect("set");
    let big: Var<i32> = mem.input(10).expect("declare");
    big.set(-123_456_789).expect("set");
    let temp: Var<f32> = mem.input(12).expect("declare");
    temp.set(21.5).expect("set");
    let swapped: Var<u32> = mem.holding(14).expect("declare").order(Order::CDAB);
    swapped.set(3_000_000_000).expect("set");
    let holding: Var<[u16; 2]> = mem.holding(0).expect("declare");
    holding.set([1, 2]).expect("set");
    for i in [1u16, 3, 19] {
        mem.discrete_input::<bool>(i)
            .expect("declare")
            .set(true)
            .expect("set");
    }
    mem.coil::<bool>(2)
        .expect("declare")
        .set(true)
        .expect("set");

    // mbpoll shows a register above 32767 with its signed value too.
    assert_eq!(
        read(&exe, &slave, &["-t", "3", "-r", "0", "-c", "3"]),
        ["7", "65535 (-1)", "300"]
    );
    assert_eq!(
        read(&exe, &slave, &["-t", "4", "-r", "0", "-c", "2"]),
        ["1", "2"]
    );
    assert_eq!(
        read(&exe, &slave, &["-t", "1", "-r", "0", "-c", "4"]),
        ["0", "1", "0", "1"]
    );
    assert_eq!(
        read(&exe, &slave, &["-t", "1", "-r", "19", "-c", "1"]),
        ["1"]
    );
    assert_eq!(
        read(&exe, &slave, &["-t", "0", "-r", "0", "-c", "3"]),
        ["0", "0", "1"]
    );
    // 32-bit values: -B reads ABCD (msm's default); without it mbpoll reads CDAB.
    assert_eq!(
        read(&exe, &slave, &["-t", "3:int", "-B", "-r", "10"]),
        ["-123456789"]
    );
    assert_eq!(
        read(&exe, &slave, &["-t", "3:float", "-B", "-r", "12"]),
        ["21.5"]
    );
    // mbpoll prints 32-bit integers signed.
    let as_signed = (3_000_000_000u32 as i32).to_string();
    assert_eq!(
        read(&exe, &slave, &["-t", "4:int", "-r", "14"]),
        [as_signed]
    );
}

fn what_mbpoll_writes_lands_in_the_memory() {
    let Some((exe, mem, slave)) = setup() else {
        return;
    };
    let mut changes = mem.subscribe();
    write(&exe, &slave, &["-t", "0", "-r", "4"], &["1", "0", "1", "1"]);
    write(&exe, &slave, &["-t", "0", "-r", "9"], &["1"]);
    write(&exe, &slave, &["-t", "4", "-r", "0"], &["7", "8", "9"]);
    write(&exe, &slave, &["-t", "4", "-r", "3"], &["65535"]);
    write(&exe, &slave, &["-t", "4:int", "-B", "-r", "4"], &["-5"]);
    write(&exe, &slave, &["-t", "4:float", "-r", "6"], &["2.5"]);
    write(
        &exe,
        &slave,
        &["-t", "4:float", "-B", "-r", "8"],
        &["-1.25", "1e6"],
    );

    let coils: Vec<bool> = (4..10)
        .map(|i| mem.coil::<bool>(i).expect("coil").get())
        .collect();
    assert_eq!(coils, [true, false, true, true, false, true]);
    let regs: Var<[u16; 4]> = mem.holding(0).expect("declare");
    assert_eq!(regs.get(), [7, 8, 9, 65535]);
    let int: Var<i32> = mem.holding(4).expect("declare");
    assert_eq!(int.get(), -5);
    let cdab: Var<f32> = mem.holding(6).expect("declare").order(Order::CDAB);
    assert_eq!(cdab.get(), 2.5);
    let floats: Var<[u16; 4]> = mem.holding(8).expect("declare");
    let f = floats.get();
    let pair = |a: u16, b: u16| f32::from_bits(u32::from(a) << 16 | u32::from(b));
    assert_eq!((pair(f[0], f[1]), pair(f[2], f[3])), (-1.25, 1e6));
    // And they read back the same way.
    assert_eq!(
        read(&exe, &slave, &["-t", "4:float", "-B", "-r", "8", "-c", "2"]),
        ["-1.25", "1e+06"]
    );
    // Every write was reported as remote.
    let mut remote = 0;
    while let Ok(Some(change)) = changes.try_recv() {
        assert!(change.origin.is_remote(), "{change:?}");
        remote += 1;
    }
    assert_eq!(remote, 7);
}

fn mbpoll_reports_the_slaves_exception() {
    let Some((exe, _mem, slave)) = setup() else {
        return;
    };
    let run = mbpoll(
        &exe,
        &slave,
        &["-t", "4", "-r", "19", "-c", "2", "127.0.0.1"],
    );
    assert!(!run.ok);
    assert!(
        run.err.contains("Illegal data address"),
        "{}{}",
        run.out,
        run.err
    );
    let run = mbpoll(&exe, &slave, &["-t", "3", "-r", "20", "127.0.0.1"]);
    assert!(
        run.err.contains("Illegal data address"),
        "{}{}",
        run.out,
        run.err
    );
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "mbpoll_reads_what_the_program_set",
        run: mbpoll_reads_what_the_program_set,
        needs: &["mbpoll"],
    },
    crate::Test {
        name: "what_mbpoll_writes_lands_in_the_memory",
        run: what_mbpoll_writes_lands_in_the_memory,
        needs: &["mbpoll"],
    },
    crate::Test {
        name: "mbpoll_reports_the_slaves_exception",
        run: mbpoll_reports_the_slaves_exception,
        needs: &["mbpoll"],
    },
];
