//! The scale benchmark of `msm gateway` (docs/benchmarks.md, "Gateway"): N simulated
//! devices (msm slaves on loopback, one connection each) of 20 holding registers, read
//! every 100 ms, 2 of each device's 20 values (10 %) changed every 100 ms; a mosquitto
//! broker on a free loopback port; the `msm gateway` binary between them; and an MQTT
//! subscriber counting what arrives.
//!
//! Reported per N: the gateway's CPU (100 % = one core) and largest RSS, the p99 of its
//! masters' cycle times (from `PREFIX/gateway/stats`), the value messages per second
//! the subscriber got, the delay from a change on a device to its MQTT message (each
//! changed value is the time of the change in ms, mod 65536), and, as same-run peers,
//! the CPU of mosquitto (which handles every message once) and of this process (the
//! slaves, the changes and the subscriber).
//!
//! ```sh
//! cargo build --release -p msm-cli --bin msm --example gateway_scale
//! target/release/examples/gateway_scale --devices 10,100,1000 --seconds 10
//! ```

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use msm::{AsyncSlaveHandle, Memory, Slave};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::sync::Mutex;

const VARS: usize = 20;
const CHANGED: usize = 2;
const PERIOD: Duration = Duration::from_millis(100);

struct Args {
    devices: Vec<usize>,
    seconds: u64,
    warmup: u64,
    msm: PathBuf,
    mosquitto: PathBuf,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        devices: vec![10, 100, 1000],
        seconds: 10,
        warmup: 3,
        msm: PathBuf::from("target/release/msm"),
        mosquitto: ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .unwrap_or_else(|| PathBuf::from("mosquitto")),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--devices" => {
                a.devices = value
                    .split(',')
                    .map(|n| n.trim().parse().map_err(|e| format!("--devices {n}: {e}")))
                    .collect::<Result<_, _>>()?;
            }
            "--seconds" => a.seconds = value.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--warmup" => a.warmup = value.parse().map_err(|e| format!("--warmup: {e}"))?,
            "--msm" => a.msm = PathBuf::from(value),
            "--mosquitto" => a.mosquitto = PathBuf::from(value),
            other => {
                return Err(format!(
                    "unknown flag {other}: use --devices, --seconds, --warmup, --msm, --mosquitto"
                ));
            }
        }
    }
    if !a.msm.is_file() {
        return Err(format!(
            "{} not found: cargo build --release -p msm-cli --bin msm (or give --msm PATH)",
            a.msm.display()
        ));
    }
    // The gateway runs in a scratch folder.
    a.msm = a
        .msm
        .canonicalize()
        .map_err(|e| format!("{}: {e}", a.msm.display()))?;
    Ok(a)
}

fn main() {
    // Errors are printed for a person (Display), not as a Debug dump.
    if let Err(e) = main_result() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn main_result() -> Result<(), Box<dyn std::error::Error>> {
    let a = args()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    println!(
        "| devices | reads/s | gateway CPU | gateway RSS | cycle p99 | published/s | values/s at subscriber | change→subscriber p50 / p99 | mosquitto CPU | load side CPU | gateway / mosquitto CPU |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &n in &a.devices {
        let row = runtime.block_on(run(&a, n))?;
        println!("{row}");
    }
    Ok(())
}

/// Milliseconds since the epoch, mod 65536: what a changed register holds.
fn now_ms16() -> u16 {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    (ms % 65_536) as u16
}

async fn run(a: &Args, n: usize) -> Result<String, Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("msm-gateway-scale-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    // The devices.
    let mut slaves: Vec<AsyncSlaveHandle> = Vec::with_capacity(n);
    let mut memories = Vec::with_capacity(n);
    for _ in 0..n {
        let mem = Memory::new(VARS as u32);
        slaves.push(Slave::tcp("127.0.0.1:0").serve_async(mem.clone()).await?);
        memories.push(mem);
    }
    let changing = Arc::new(AtomicBool::new(true));
    let changer = tokio::spawn(change(memories, changing.clone()));
    // The broker.
    let port = free_port()?;
    std::fs::write(
        dir.join("mosquitto.conf"),
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n"
        ),
    )?;
    let broker = Guard(
        Command::new(&a.mosquitto)
            .arg("-c")
            .arg(dir.join("mosquitto.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    wait_listening(port).await?;
    // The gateway.
    write_config(&dir, port, &slaves)?;
    let gateway = Guard(
        Command::new(&a.msm)
            .current_dir(&dir)
            .args(["gateway", "gw.toml"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    // The subscriber.
    let counts = Arc::new(Counts::default());
    let mut options = MqttOptions::new(format!("scale-sub-{port}"), "127.0.0.1", port);
    options.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut events) = AsyncClient::new(options, 100);
    client.subscribe("msm/+/+", QoS::AtMostOnce).await?;
    client
        .subscribe("msm/gateway/stats", QoS::AtMostOnce)
        .await?;
    let sub_counts = counts.clone();
    let subscriber = tokio::spawn(async move {
        while let Ok(event) = events.poll().await {
            if let Event::Incoming(Packet::Publish(p)) = event {
                sub_counts.take(&p.topic, &p.payload);
            }
        }
    });

    tokio::time::sleep(Duration::from_secs(a.warmup)).await;
    let tck = clock_ticks();
    let pids = [gateway.0.id(), broker.0.id(), std::process::id()];
    let cpu0 = pids.map(cpu_ticks);
    counts.reset();
    let began = Instant::now();
    let mut rss_max = 0u64;
    while began.elapsed() < Duration::from_secs(a.seconds) {
        rss_max = rss_max.max(rss_kib(gateway.0.id()));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let elapsed = began.elapsed().as_secs_f64();
    let cpu1 = pids.map(cpu_ticks);
    let pct = |i: usize| (cpu1[i] - cpu0[i]) as f64 / tck / elapsed * 100.0;
    let (values, mut delays, p99s, reads, published) = counts.snapshot();
    delays.sort_unstable();
    let q = |v: &[u16], q: f64| {
        v.get(((v.len() as f64 - 1.0) * q).round() as usize)
            .copied()
    };
    let worst_p99 = p99s.iter().copied().fold(f64::NAN, f64::max);

    changing.store(false, Ordering::Relaxed);
    let _ = changer.await;
    subscriber.abort();
    drop(gateway);
    drop(broker);
    for s in slaves {
        s.stop().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(format!(
        "| {n} | {} | {:.0} % | {:.1} MB | {:.1} ms | {} | {:.0} | {} / {} ms | {:.0} % | {:.0} % | {:.2} |",
        reads.map_or("-".into(), |r| format!("{r:.0}")),
        pct(0),
        rss_max as f64 / 1024.0,
        worst_p99,
        published.map_or("-".into(), |r| format!("{r:.0}")),
        values as f64 / elapsed,
        q(&delays, 0.5).map_or("-".into(), |d| d.to_string()),
        q(&delays, 0.99).map_or("-".into(), |d| d.to_string()),
        pct(1),
        pct(2),
        pct(0) / pct(1),
    ))
}

/// Every 100 ms, the next 2 registers of every device get the time in ms (mod 65536).
async fn change(memories: Vec<Memory>, changing: Arc<AtomicBool>) {
    let vars: Vec<Vec<msm::Var<u16>>> = memories
        .iter()
        .map(|m| (0..VARS as u16).filter_map(|i| m.holding(i).ok()).collect())
        .collect();
    let mut tick = tokio::time::interval(PERIOD);
    let mut round = 0usize;
    while changing.load(Ordering::Relaxed) {
        tick.tick().await;
        let now = now_ms16();
        for device in &vars {
            for k in 0..CHANGED {
                if let Some(v) = device.get((round * CHANGED + k) % VARS) {
                    let _ = v.set(now);
                }
            }
        }
        round += 1;
    }
}

/// What the subscriber saw.
#[derive(Default)]
struct Counts {
    values: AtomicU64,
    inner: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    /// Change-to-message delays, ms.
    delays: Vec<u16>,
    /// The cycle-time p99 of each stats message, ms.
    p99s: Vec<f64>,
    /// When each stats message came, and the cycles it counted so far.
    cycles: Vec<(Instant, u64)>,
    /// When each stats message came, and the messages published so far.
    published: Vec<(Instant, u64)>,
}

impl Counts {
    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn take(&self, topic: &str, payload: &[u8]) {
        let text = String::from_utf8_lossy(payload);
        if topic.ends_with("/stats") {
            let stats: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            let mut seen = self.lock();
            if let Some(p) = stats["cycle_ms"]["p99"].as_f64() {
                seen.p99s.push(p);
            }
            if let Some(c) = stats["cycles"].as_u64() {
                seen.cycles.push((Instant::now(), c));
            }
            if let Some(c) = stats["published"].as_u64() {
                seen.published.push((Instant::now(), c));
            }
            return;
        }
        if topic.ends_with("/available") {
            return;
        }
        self.values.fetch_add(1, Ordering::Relaxed);
        if let Ok(v) = text.parse::<u16>()
            && v != 0
        {
            self.lock().delays.push(now_ms16().wrapping_sub(v));
        }
    }

    fn reset(&self) {
        self.values.store(0, Ordering::Relaxed);
        *self.lock() = Seen::default();
    }

    /// Value messages, delays, cycle p99s, reads per second (one read a cycle) and
    /// messages per second the gateway published.
    fn snapshot(&self) -> (u64, Vec<u16>, Vec<f64>, Option<f64>, Option<f64>) {
        let seen = self.lock();
        let values = self.values.load(Ordering::Relaxed);
        let (reads, published) = (rate(&seen.cycles), rate(&seen.published));
        (
            values,
            seen.delays.clone(),
            seen.p99s.clone(),
            reads,
            published,
        )
    }
}

/// Growth per second between the first and the last of `(when, count)` samples.
fn rate(samples: &[(Instant, u64)]) -> Option<f64> {
    match (samples.first(), samples.last()) {
        (Some((t0, c0)), Some((t1, c1))) if t1 > t0 => {
            Some(c1.saturating_sub(*c0) as f64 / (*t1 - *t0).as_secs_f64())
        }
        _ => None,
    }
}

fn write_config(dir: &Path, port: u16, slaves: &[AsyncSlaveHandle]) -> std::io::Result<()> {
    let mut map = format!("[memory]\nholding_registers = {VARS}\n[vars]\n");
    for i in 0..VARS {
        map.push_str(&format!(
            "R{i} = {{ area = \"holding\", address = {i}, type = \"u16\" }}\n"
        ));
    }
    std::fs::write(dir.join("device.toml"), map)?;
    let mut config =
        format!("[mqtt]\nurl = \"mqtt://127.0.0.1:{port}\"\nclient_id = \"gw-scale\"\n");
    for (i, s) in slaves.iter().enumerate() {
        config.push_str(&format!(
            "[[device]]\nname = \"d{i}\"\nmap = \"device.toml\"\nconnect = \"{}\"\nperiod = \"100ms\"\n",
            s.local_addr()
        ));
    }
    std::fs::write(dir.join("gw.toml"), config)
}

/// Kills the child when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn wait_listening(port: u16) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if Instant::now() > deadline {
            return Err(format!("mosquitto is not listening on {port} after 10 s"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// User + system CPU of a process so far, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces) in parentheses.
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let at = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    at(11) + at(12) // utime, stime (fields 14 and 15 of stat)
}

/// Resident memory of a process now, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
