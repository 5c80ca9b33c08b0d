//! Change notification: subscriptions, `changed()` and `wait_changed()`.

use std::thread;
use std::time::{Duration, Instant};

use msm::{Area, Memory, Origin, Var};

const DEADLINE: Duration = Duration::from_secs(5);

fn a_change_on_overlapping_variables_notifies_both() {
    let mem = Memory::new(8);
    let wide: Var<u32> = mem.holding(2).expect("declare");
    let low: Var<u16> = mem.holding(3).expect("declare");
    let bit = mem.holding_bit(3, 0).expect("declare");
    let other: Var<u16> = mem.holding(5).expect("declare");

    let spawn_wait = |timeout: Duration| {
        let (low, bit, other) = (low.clone(), bit.clone(), other.clone());
        (
            thread::spawn(move || low.wait_changed(timeout)),
            thread::spawn(move || bit.wait_changed(timeout)),
            thread::spawn(move || other.wait_changed(Duration::from_millis(300))),
        )
    };
    let (low_w, bit_w, other_w) = spawn_wait(DEADLINE);
    let mut sub = mem.subscribe();
    // The waiters subscribe when their thread starts: keep writing (odd values, bounded
    // by the deadline) until both have seen a write.
    let start = Instant::now();
    let mut n = 1u32;
    while !(low_w.is_finished() && bit_w.is_finished()) && start.elapsed() < DEADLINE {
        wide.set(n).expect("set");
        n += 2;
        thread::yield_now();
    }
    // On a loaded machine the loop may outrun the subscription's queue: it then says
    // so (Lagged) and goes on with the latest changes.
    let c = loop {
        match sub.recv_timeout(DEADLINE) {
            Err(msm::RecvTimeoutError::Lagged(_)) => continue,
            other => break other.expect("change"),
        }
    };
    assert_eq!(
        (c.area, c.address, c.count, c.origin),
        (Area::Holding, 2, 2, Origin::Local)
    );
    let low_seen = low_w.join().expect("waiter");
    assert!(
        low_seen.as_ref().is_ok_and(|v| v & 1 == 1),
        "u16 overlapping the u32 was notified: {low_seen:?}"
    );
    assert_eq!(
        bit_w.join().expect("waiter").ok(),
        Some(true),
        "bit overlapping the u32 was notified"
    );
    assert!(
        matches!(
            other_w.join().expect("waiter"),
            Err(msm::Error::Timeout { .. })
        ),
        "a variable outside the writes is not notified"
    );
}

fn wait_with_a_deadline_times_out_cleanly() {
    let mem = Memory::new(2);
    let v: Var<u16> = mem.holding(0).expect("declare");
    let start = Instant::now();
    assert!(matches!(
        v.wait_changed(Duration::from_millis(50)),
        Err(msm::Error::Timeout { .. })
    ));
    assert!(start.elapsed() >= Duration::from_millis(50));
    // A write to another variable does not end the wait.
    let other: Var<u16> = mem.holding(1).expect("declare");
    other.set(1).expect("set");
    assert!(v.wait_changed(Duration::from_millis(20)).is_err());
    let mut sub = mem.subscribe();
    assert_eq!(
        sub.recv_timeout(Duration::from_millis(20)),
        Err(msm::RecvTimeoutError::Timeout)
    );
}

#[tokio::main(flavor = "current_thread")]
async fn changed_futures_resolve_for_overlapping_variables() {
    let mem = Memory::new(8);
    let wide: Var<u64> = mem.holding(0).expect("declare");
    let part: Var<u16> = mem.holding(3).expect("declare");
    let wide_next = wide.changed();
    let part_next = part.changed();
    let writer = {
        let wide = wide.clone();
        tokio::spawn(async move { wide.set(0x1111_2222_3333_4444).expect("set") })
    };
    let (w, p) = tokio::time::timeout(DEADLINE, async {
        (
            wide_next.await.expect("changed"),
            part_next.await.expect("changed"),
        )
    })
    .await
    .expect("both resolve before the deadline");
    writer.await.expect("writer");
    assert_eq!(w, 0x1111_2222_3333_4444);
    assert_eq!(p, 0x4444);
}

#[tokio::main(flavor = "current_thread")]
async fn changed_times_out_cleanly_under_tokio_timeout() {
    let mem = Memory::new(2);
    let v: Var<u16> = mem.holding(0).expect("declare");
    let r = tokio::time::timeout(Duration::from_millis(30), v.changed()).await;
    assert!(r.is_err(), "no write, no change");
}

#[tokio::main(flavor = "current_thread")]
async fn subscription_sees_every_change_in_order() {
    let mem = Memory::builder()
        .coils(8)
        .holding_registers(8)
        .build()
        .expect("build");
    let mut sub = mem.subscribe();
    let v: Var<u16> = mem.holding(0).expect("declare");
    let c: Var<bool> = mem.coil(5).expect("declare");
    for i in 0..100u16 {
        v.set(i).expect("set");
        c.set(i % 2 == 0).expect("set");
    }
    for _ in 0..100 {
        let a = sub.recv().await.expect("no lag");
        let b = sub.recv().await.expect("no lag");
        assert_eq!((a.area, a.address), (Area::Holding, 0));
        assert_eq!((b.area, b.address, b.count), (Area::Coil, 5, 1));
    }
    assert_eq!(sub.try_recv(), Ok(None));
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "a_change_on_overlapping_variables_notifies_both",
        run: a_change_on_overlapping_variables_notifies_both,
        needs: &[],
    },
    crate::Test {
        name: "wait_with_a_deadline_times_out_cleanly",
        run: wait_with_a_deadline_times_out_cleanly,
        needs: &[],
    },
    crate::Test {
        name: "changed_futures_resolve_for_overlapping_variables",
        run: changed_futures_resolve_for_overlapping_variables,
        needs: &[],
    },
    crate::Test {
        name: "changed_times_out_cleanly_under_tokio_timeout",
        run: changed_times_out_cleanly_under_tokio_timeout,
        needs: &[],
    },
    crate::Test {
        name: "subscription_sees_every_change_in_order",
        run: subscription_sees_every_change_in_order,
        needs: &[],
    },
];
