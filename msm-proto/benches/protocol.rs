//! Codec speed on the server's hot path: decode an FC3 request, encode a 125-register
//! response (zero-copy through `read_response_body`, and through `Response::encode`),
//! and the same through MBAP framing; splitting a burst of pipelined requests.
//!
//! Run: `cargo bench -p msm-proto --bench protocol -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use std::time::{Duration, Instant};

use msm_proto::stream::{Delimiter, Framed, Framer, StreamFramer};
use msm_proto::{MAX_PDU_LEN, Registers, Request, Response, Timestamp, read_response_body, tcp};

fn fc3(c: &mut Criterion) {
    let request = [0x03, 0x00, 0x6B, 0x00, 0x7D];
    c.bench_function("decode FC3 request", |b| {
        b.iter(|| Request::decode(black_box(&request)))
    });

    // 125 registers as memory holds them: the wire image.
    let memory: Vec<u8> = (0..250u16).map(|i| i as u8).collect();
    let mut buf = [0u8; MAX_PDU_LEN];
    c.bench_function(
        "encode FC3 response 125 registers (read_response_body)",
        |b| {
            b.iter(|| {
                let body = read_response_body(black_box(&mut buf), 0x03, 250).expect("fits");
                body.copy_from_slice(black_box(&memory));
                body.len() + 2
            })
        },
    );

    let registers = Registers::new(&memory).expect("even");
    c.bench_function(
        "encode FC3 response 125 registers (Response::encode)",
        |b| {
            b.iter(|| {
                Response::ReadHoldingRegisters(black_box(registers))
                    .encode(black_box(&mut buf))
                    .expect("fits")
            })
        },
    );

    let mut frame = [0u8; tcp::MAX_FRAME_LEN];
    let mut stream = [0u8; 12];
    let fc3 = Request::ReadHoldingRegisters {
        address: 0x6B,
        quantity: 125,
    };
    let len = tcp::encode_request(&mut stream, 1, 1, &fc3).expect("fits");
    c.bench_function(
        "TCP: split + decode FC3 request, encode framed response",
        |b| {
            b.iter(|| {
                let (frame_in, _) = tcp::split_frame(black_box(&stream[..len]))
                    .expect("valid")
                    .expect("whole");
                let request = Request::decode(frame_in.pdu).expect("valid");
                let Request::ReadHoldingRegisters { quantity, .. } = request else {
                    unreachable!("FC3")
                };
                let byte_count = (quantity * 2) as u8;
                let body = read_response_body(&mut frame[tcp::HEADER_LEN..], 0x03, byte_count)
                    .expect("fits");
                body.copy_from_slice(&memory[..usize::from(byte_count)]);
                let pdu_len = 2 + usize::from(byte_count);
                tcp::encode_header(&mut frame, frame_in.header.transaction_id, 1, pdu_len)
                    .expect("fits")
                    + pdu_len
            })
        },
    );
}

/// Splitting 64 pipelined FC3 requests, as a slave reading a burst does: the stream
/// framer (buffer owned, read into in place) against a bare `split_frame` loop over a
/// caller's buffer (what the slave's session did before the framer).
fn stream(c: &mut Criterion) {
    let fc3 = Request::ReadHoldingRegisters {
        address: 0,
        quantity: 125,
    };
    let mut burst = Vec::new();
    for tid in 0..64u16 {
        let mut frame = [0u8; 12];
        tcp::encode_request(&mut frame, tid, 1, &fc3).expect("fits");
        burst.extend_from_slice(&frame);
    }
    let mut framer = StreamFramer::new(Delimiter::Mbap);
    let now = Instant::now();
    c.bench_function("stream: 64 pipelined MBAP requests (StreamFramer)", |b| {
        b.iter(|| split_burst(&mut framer, now, &burst))
    });
    // The same framer as a board without std has it: an array, instants since boot.
    let mut array = Framer::with_buffer(Delimiter::Mbap, [0u8; 8 * 1024]).expect("8 KiB");
    let since_boot = Duration::from_secs(1);
    c.bench_function(
        "stream: 64 pipelined MBAP requests (Framer on an array, Duration instants)",
        |b| b.iter(|| split_burst(&mut array, since_boot, &burst)),
    );
    let mut buf = vec![0u8; 8 * 1024];
    c.bench_function(
        "stream: 64 pipelined MBAP requests (split_frame loop)",
        |b| {
            b.iter(|| {
                buf[..burst.len()].copy_from_slice(&burst);
                let (mut start, end, mut sum) = (0, burst.len(), 0usize);
                while let Ok(Some((f, used))) = tcp::split_frame(black_box(&buf[start..end])) {
                    start += used;
                    sum += usize::from(f.header.unit_id) + f.pdu.len();
                }
                sum
            })
        },
    );
}

/// Reads `burst` into the framer's space as a socket would and takes every frame off it.
fn split_burst<B: AsRef<[u8]> + AsMut<[u8]>, T: Timestamp>(
    framer: &mut Framer<B, T>,
    now: T,
    burst: &[u8],
) -> usize {
    let space = framer.read_space();
    space[..burst.len()].copy_from_slice(burst);
    framer.filled(now, burst.len());
    let mut sum = 0usize;
    while let Ok(Some(Framed::Frame(f))) = framer.poll(black_box(now)) {
        sum += usize::from(f.unit) + f.pdu.len();
    }
    sum
}

criterion_group!(benches, fc3, stream);
criterion_main!(benches);
