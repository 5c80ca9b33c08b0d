//! Serving a request allocates nothing in steady state.
//!
//! A counting global allocator counts every allocation in the process. The client
//! below allocates nothing while it measures (fixed buffers, prebuilt frames, std
//! sockets), so what the counter shows is the slave's: its worker thread, tokio's
//! runtime and the memory. The test warms the connection up, then serves N requests
//! and then 10 × N, and requires that the count did not grow with N.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use msm::{Memory, Slave};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the counter is
// an atomic that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on to System.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// One request of each kind the slave serves, as MBAP frames (unit 1, transaction id 0):
/// reads of every area, every write, FC8, FC23, FC43 and an exception.
const REQUESTS: &[&[u8]] = &[
    &[0, 0, 0, 0, 0, 6, 1, 3, 0, 0, 0, 125],
    &[0, 0, 0, 0, 0, 6, 1, 4, 0, 0, 0, 100],
    &[0, 0, 0, 0, 0, 6, 1, 1, 0, 0, 0x07, 0xD0],
    &[0, 0, 0, 0, 0, 6, 1, 2, 0, 3, 0, 77],
    &[0, 0, 0, 0, 0, 6, 1, 5, 0, 9, 0xFF, 0],
    &[0, 0, 0, 0, 0, 6, 1, 6, 0, 9, 0x12, 0x34],
    &[0, 0, 0, 0, 0, 11, 1, 0x10, 0, 20, 0, 2, 4, 1, 2, 3, 4],
    &[0, 0, 0, 0, 0, 9, 1, 0x0F, 0, 20, 0, 10, 2, 0xFF, 0x03],
    &[0, 0, 0, 0, 0, 8, 1, 0x16, 0, 9, 0, 0xF2, 0, 0x25],
    &[
        0, 0, 0, 0, 0, 13, 1, 0x17, 0, 0, 0, 10, 0, 30, 0, 1, 2, 0xAB, 0xCD,
    ],
    &[0, 0, 0, 0, 0, 6, 1, 8, 0, 0, 0xA5, 0x37],
    &[0, 0, 0, 0, 0, 5, 1, 0x2B, 0x0E, 1, 0],
    &[0, 0, 0, 0, 0, 6, 1, 3, 0xFF, 0, 0, 1],
];

/// Sends `rounds` rounds of every request, one at a time, then the same pipelined in
/// one write; reads every response. Allocates nothing.
fn exchange(stream: &mut TcpStream, rounds: usize, burst: &[u8], buf: &mut [u8]) {
    for _ in 0..rounds {
        for request in REQUESTS {
            stream.write_all(request).expect("send");
            read_response(stream, buf);
        }
        stream.write_all(burst).expect("send the burst");
        for _ in REQUESTS {
            read_response(stream, buf);
        }
    }
}

fn read_response(stream: &mut TcpStream, buf: &mut [u8]) {
    stream.read_exact(&mut buf[..7]).expect("header");
    let len = usize::from(u16::from_be_bytes([buf[4], buf[5]])) - 1;
    stream.read_exact(&mut buf[..len]).expect("pdu");
}

#[test]
fn serving_requests_does_not_allocate_in_steady_state() {
    // The counter sees allocations (of any thread).
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let probe = std::thread::spawn(|| std::hint::black_box(vec![1u8; 64]));
    drop(probe.join().expect("probe"));
    assert!(
        ALLOCATIONS.load(Ordering::Relaxed) > before,
        "the counter counts"
    );

    // Both runtime flavours: current-thread (1) and multi-thread (2, the default).
    for threads in [1, 2] {
        measure(threads);
    }
}

fn measure(threads: usize) {
    let mem = Memory::builder()
        .coils(10_000)
        .discrete_inputs(10_000)
        .input_registers(10_000)
        .holding_registers(10_000)
        .build()
        .expect("memory");
    let slave = Slave::tcp("127.0.0.1:0")
        .worker_threads(threads)
        .serve(mem.clone())
        .expect("serve");
    let mut stream = TcpStream::connect(slave.local_addr()).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let burst: Vec<u8> = REQUESTS.concat();
    let mut buf = vec![0u8; 512];

    exchange(&mut stream, 200, &burst, &mut buf);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    exchange(&mut stream, 100, &burst, &mut buf);
    let small = ALLOCATIONS.load(Ordering::Relaxed) - before;
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    exchange(&mut stream, 1_000, &burst, &mut buf);
    let large = ALLOCATIONS.load(Ordering::Relaxed) - before;

    let served = 1_000 * 2 * REQUESTS.len();
    eprintln!(
        "{threads} thread(s): {small} allocations for {} requests, {large} for {served}",
        served / 10
    );
    assert!(
        large <= small + 2 && large < 16,
        "{threads} thread(s): allocations grew with the number of requests: \
         {small} for {} requests, {large} for {served}",
        served / 10
    );
    drop(stream);
    slave.stop();
}
