//! Modbus/TCP Security benchmark: requests per second over TLS against plain TCP in the
//! same run (FC3, 125 registers, 8 connections, once the handshakes are done), and full
//! handshakes per second against plain TCP connects.
//!
//! ```sh
//! cargo run --release -p msm --example bench_tls -- [SECONDS_PER_ROW] [ROUNDS]
//! ```
//! One msm slave per link runs in this process on loopback, with the same memory; the
//! load is raw Modbus frames from tokio tasks, one request in flight per connection.
//! Rows alternate TCP and TLS so that both see the same machine. Every loop is bounded
//! in time and in count. Output: markdown table rows.

use std::sync::Arc;
use std::time::{Duration, Instant};

use msm::transport::tls::{ClientConfig, Pki};
use msm::{Memory, Slave};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::client::Resumption;
use tokio_rustls::rustls::pki_types::ServerName;

const CONNECTIONS: usize = 8;
const MAX_REQUESTS: u64 = 50_000_000;
const MAX_HANDSHAKES: u64 = 1_000_000;
/// FC3, unit 1, holding registers 0..=124.
const REQUEST: [u8; 12] = [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 125];
const RESPONSE_LEN: usize = 9 + 250;

#[derive(Clone)]
struct Target {
    addr: std::net::SocketAddr,
    tls: Option<Arc<ClientConfig>>,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

async fn open(t: &Target) -> std::io::Result<Box<dyn Io>> {
    let tcp = TcpStream::connect(t.addr).await?;
    tcp.set_nodelay(true)?;
    Ok(match &t.tls {
        None => Box::new(tcp),
        Some(config) => {
            let name = ServerName::try_from("127.0.0.1").map_err(std::io::Error::other)?;
            Box::new(
                TlsConnector::from(config.clone())
                    .connect(name, tcp)
                    .await?,
            )
        }
    })
}

/// Requests per second over `CONNECTIONS` connections opened before the clock starts.
async fn throughput(t: &Target, time: Duration) -> std::io::Result<f64> {
    let mut streams = Vec::new();
    for _ in 0..CONNECTIONS {
        streams.push(open(t).await?);
    }
    let began = Instant::now();
    let mut tasks = Vec::new();
    for mut s in streams {
        tasks.push(tokio::spawn(async move {
            let mut buf = [0u8; RESPONSE_LEN];
            let mut n = 0u64;
            while began.elapsed() < time && n < MAX_REQUESTS {
                s.write_all(&REQUEST).await?;
                s.flush().await?;
                s.read_exact(&mut buf).await?;
                n += 1;
            }
            Ok::<u64, std::io::Error>(n)
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.map_err(std::io::Error::other)??;
    }
    Ok(total as f64 / began.elapsed().as_secs_f64())
}

/// Connections (over TLS, full handshakes: no resumption), each answering one request, per
/// second, one at a time.
async fn handshakes(t: &Target, time: Duration) -> std::io::Result<f64> {
    let began = Instant::now();
    let mut n = 0u64;
    // Without resumption every TLS connection makes a full handshake.
    let fresh = Target {
        addr: t.addr,
        tls: t.tls.as_ref().map(|c| {
            let mut c = ClientConfig::clone(c);
            c.resumption = Resumption::disabled();
            Arc::new(c)
        }),
    };
    while began.elapsed() < time && n < MAX_HANDSHAKES {
        let mut s = open(&fresh).await?;
        s.write_all(&REQUEST).await?;
        s.flush().await?;
        s.read_exact(&mut [0u8; RESPONSE_LEN]).await?;
        n += 1;
    }
    Ok(n as f64 / began.elapsed().as_secs_f64())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    // Errors are printed for a person (Display), not as a Debug dump.
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let seconds: f64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(3.0);
    let rounds: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(2);
    let time = Duration::from_secs_f64(seconds);

    let pki = Pki::new(&["viewer"], &[])?;
    let mem = Memory::new(125);
    let tcp = Slave::tcp("127.0.0.1:0").serve(mem.clone())?;
    let tls = Slave::tls("127.0.0.1:0", pki.server()).serve(mem)?;
    let plain = Target {
        addr: tcp.local_addr(),
        tls: None,
    };
    let secure = Target {
        addr: tls.local_addr(),
        tls: Some(pki.client("viewer")?.client_config()?),
    };

    println!("| measurement | round | TCP | TLS | TLS / TCP |");
    println!("|---|---:|---:|---:|---:|");
    for round in 1..=rounds {
        let a = throughput(&plain, time).await?;
        let b = throughput(&secure, time).await?;
        println!(
            "| FC3 125 registers, {CONNECTIONS} connections, requests/s | {round} | {a:.0} | {b:.0} | {:.2} |",
            b / a
        );
        let a = handshakes(&plain, time).await?;
        let b = handshakes(&secure, time).await?;
        println!(
            "| connections/s (TCP connect vs TLS full handshake), one at a time | {round} | {a:.0} | {b:.0} | {:.3} |",
            b / a
        );
    }
    Ok(())
}
