//! A `flush` or `sync` that runs out of time says why: the slave's unusable answer
//! (exception 06 busy, a malformed echo, another unit's answer) as `Error::GaveUp`, and
//! `Error::Timeout` only when nothing answered.

use std::time::Duration;

use msm::master::{Fault, Operation};
use msm::protocol::ExceptionCode;
use msm::{Error, Master, Memory, Slave, Var};

use crate::master_hostile::{Hostile, Script};

const LIMIT: Duration = Duration::from_millis(1500);

/// Starts a master on the scripted slave, writes holding 0 and flushes with a deadline.
fn flush_against(script: Script) -> (Error, msm::Status, bool) {
    let slave = Hostile::start(script);
    let mem = Memory::new(4);
    let v: Var<u16> = mem.holding(0).expect("declare");
    let master = Master::tcp(slave.addr)
        .unit(1)
        .pipelining(1)
        .response_timeout(Duration::from_millis(300))
        .start(mem.clone())
        .expect("start");
    v.set(7).expect("set");
    let err = master.flush_timeout(LIMIT).expect_err("never confirmed");
    let status = master.status();
    let pending = v.pending();
    master.stop();
    (err, status, pending)
}

fn a_flush_held_up_by_a_busy_slave_says_exception_06_not_timeout() {
    let (err, status, pending) = flush_against(Script::BusyWrites);
    let Error::GaveUp { what, after, cause } = &err else {
        panic!("not GaveUp: {err:?}");
    };
    assert_eq!((*what, *after), ("flush", LIMIT));
    assert_eq!(
        cause.fault,
        Fault::Exception {
            code: ExceptionCode::ServerDeviceBusy
        }
    );
    assert_eq!((cause.operation, cause.address), (Operation::Write, 0));
    let text = err.to_string();
    assert!(text.contains("server device busy (06)"), "{text}");
    assert!(
        text.starts_with("flush did not complete within 1.5s"),
        "{text}"
    );
    assert!(pending, "a busy answer confirms nothing");
    assert!(status.writes_retried >= 1, "{status:?}");
    assert_eq!(status.last_fault.as_ref(), Some(cause), "{status:?}");
}

fn a_flush_held_up_by_a_malformed_echo_says_what_came_back() {
    let (err, _, pending) = flush_against(Script::BadWriteEcho);
    let Error::GaveUp { cause, .. } = &err else {
        panic!("not GaveUp: {err:?}");
    };
    let Fault::BadResponse(why) = &cause.fault else {
        panic!("{cause:?}");
    };
    // The slave echoed 0x1234 for the 7 written.
    assert!(
        why.contains("value is 4660") && why.contains("implies 7"),
        "{why}"
    );
    assert!(pending);
}

fn a_flush_held_up_by_another_units_answer_names_both_units() {
    let (err, _, pending) = flush_against(Script::OtherUnit);
    let Error::GaveUp { cause, .. } = &err else {
        panic!("not GaveUp: {err:?}");
    };
    assert_eq!(
        cause.fault,
        Fault::WrongUnit {
            expected: 1,
            found: 9
        }
    );
    assert!(
        err.to_string().contains("from unit 9, not from unit 1"),
        "{err}"
    );
    assert!(pending);
}

fn a_flush_nothing_answers_is_a_timeout() {
    let slave = Slave::tcp("127.0.0.1:0")
        .unit(1)
        .serve(Memory::new(4))
        .expect("serve");
    let mem = Memory::new(4);
    let master = Master::tcp(slave.local_addr())
        .unit(9) // the slave keeps silent for unit 9
        .response_timeout(Duration::from_millis(100))
        .start(mem.clone())
        .expect("start");
    mem.holding::<u16>(0).expect("declare").set(1).expect("set");
    let err = master
        .flush_timeout(Duration::from_millis(700))
        .expect_err("no answer");
    assert!(
        matches!(err, Error::Timeout { what: "flush", .. }),
        "{err:?}"
    );
    let fault = master.status().last_fault.map(|f| f.fault);
    assert!(matches!(fault, Some(Fault::Timeout(_))), "{fault:?}");
    master.stop();
    slave.stop();
}

fn the_async_handles_flush_timeout_gives_the_cause_too() {
    let slave = Hostile::start(Script::BusyWrites);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let err = rt.block_on(async {
        let mem = Memory::new(4);
        let master = Master::tcp(slave.addr)
            .pipelining(1)
            .start_async(mem.clone())
            .await
            .expect("start");
        mem.holding::<u16>(0).expect("declare").set(5).expect("set");
        let err = master.flush_timeout(LIMIT).await.expect_err("busy");
        master.stop().await;
        err
    });
    assert!(
        matches!(&err, Error::GaveUp { what: "flush", cause, .. }
            if cause.fault == Fault::Exception { code: ExceptionCode::ServerDeviceBusy }),
        "{err:?}"
    );
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "a_flush_held_up_by_a_busy_slave_says_exception_06_not_timeout",
        run: a_flush_held_up_by_a_busy_slave_says_exception_06_not_timeout,
        needs: &[],
    },
    crate::Test {
        name: "a_flush_held_up_by_a_malformed_echo_says_what_came_back",
        run: a_flush_held_up_by_a_malformed_echo_says_what_came_back,
        needs: &[],
    },
    crate::Test {
        name: "a_flush_held_up_by_another_units_answer_names_both_units",
        run: a_flush_held_up_by_another_units_answer_names_both_units,
        needs: &[],
    },
    crate::Test {
        name: "a_flush_nothing_answers_is_a_timeout",
        run: a_flush_nothing_answers_is_a_timeout,
        needs: &[],
    },
    crate::Test {
        name: "the_async_handles_flush_timeout_gives_the_cause_too",
        run: the_async_handles_flush_timeout_gives_the_cause_too,
        needs: &[],
    },
];
