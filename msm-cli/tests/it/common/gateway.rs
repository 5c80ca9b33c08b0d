//! The peers of the gateway tests: a mosquitto broker started per test on a free
//! loopback port, `mosquitto_sub`/`mosquitto_pub` as the other MQTT side, and mbpoll
//! for the Modbus side. Missing peers: a loud SKIP, or a failure under `CI=true`
//! (the pattern of `tests/common`).

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// How long any awaited condition may take.
pub const DEADLINE: Duration = Duration::from_secs(20);

const HOW: &str = "install it (apt-get install mosquitto mosquitto-clients mbpoll), or run .ci/run";

/// True under `CI=true`, where a missing peer is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A program on PATH or in /usr/sbin (where Debian puts mosquitto), or None after a
/// loud SKIP (a panic under CI).
pub fn program(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/sbin", "/usr/local/sbin"].map(PathBuf::from));
    if let Some(found) = dirs.iter().map(|d| d.join(name)).find(|p| p.is_file()) {
        return Some(found);
    }
    if in_ci() {
        panic!("{name} is required under CI=true but is not installed: {HOW}");
    }
    eprintln!("\n==================== SKIP ====================");
    eprintln!("SKIP: {name} is not installed, so this test did not run. {HOW}");
    eprintln!("==============================================\n");
    None
}

/// Every peer the gateway tests use, or None (after a SKIP) if one is missing.
pub fn peers() -> Option<Peers> {
    Some(Peers {
        mosquitto: program("mosquitto")?,
        sub: program("mosquitto_sub")?,
        publish: program("mosquitto_pub")?,
        mbpoll: program("mbpoll")?,
    })
}

pub struct Peers {
    pub mosquitto: PathBuf,
    pub sub: PathBuf,
    pub publish: PathBuf,
    pub mbpoll: PathBuf,
}

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Waits for `what` to become true, polling, within `DEADLINE`.
pub fn wait_for(what: &str, cond: impl FnMut() -> bool) {
    wait_within(what, DEADLINE, cond);
}

/// Waits for `what` to become true, polling, within `limit`.
pub fn wait_within(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A mosquitto broker on a loopback port, with its own config file; killed when dropped.
/// Its log (everything, on its stderr) goes to `log`.
pub struct Broker {
    pub port: u16,
    program: PathBuf,
    conf: PathBuf,
    pub log: PathBuf,
    child: Option<Child>,
}

impl Broker {
    pub fn start(peers: &Peers, dir: &std::path::Path) -> Broker {
        Broker::start_with(peers, dir, "")
    }

    /// A broker whose listener also has the settings in `extra` (one a line).
    pub fn start_with(peers: &Peers, dir: &std::path::Path, extra: &str) -> Broker {
        Broker::start_conf(peers, dir, extra, "persistence false\n")
    }

    /// A broker that keeps its sessions and queued messages across a restart (saved when
    /// it is stopped with [`terminate`](Self::terminate)).
    pub fn start_persistent(peers: &Peers, dir: &std::path::Path) -> Broker {
        // mosquitto started as root writes as the user mosquitto.
        let store = dir.join("mosquitto-db");
        std::fs::create_dir_all(&store).expect("db folder");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o777))
                .expect("chmod");
        }
        let persist = format!(
            "persistence true\npersistence_location {}/\n",
            store.display()
        );
        Broker::start_conf(peers, dir, "", &persist)
    }

    fn start_conf(peers: &Peers, dir: &std::path::Path, extra: &str, persist: &str) -> Broker {
        let port = free_port();
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\n{extra}allow_anonymous true\n{persist}\
                 log_dest stderr\nlog_type all\n"
            ),
        )
        .expect("write mosquitto.conf");
        let mut b = Broker {
            port,
            program: peers.mosquitto.clone(),
            conf,
            log: dir.join("mosquitto.log"),
            child: None,
        };
        b.restart();
        b
    }

    /// What the broker logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Starts it (again, on the same port) and waits until it accepts connections.
    pub fn restart(&mut self) {
        self.stop();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("the broker's log");
        let child = Command::new(&self.program)
            .arg("-c")
            .arg(&self.conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start mosquitto");
        self.child = Some(child);
        let port = self.port;
        wait_for("mosquitto listening", || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
    }

    /// Stops it with SIGTERM (a persistent broker saves its sessions) and waits for it.
    pub fn terminate(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let deadline = Instant::now() + DEADLINE;
            while c.try_wait().ok().flatten().is_none() {
                if Instant::now() > deadline {
                    let _ = c.kill();
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.wait();
        }
    }

    /// Kills it (retained messages go with it: persistence is off).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `mosquitto_sub -v -t TOPIC`: every `topic payload` line, on a channel. Expectations
/// match any line since the last [`mark`](Sub::mark), in any order.
pub struct Sub {
    child: Child,
    lines: Receiver<String>,
    pub seen: Vec<String>,
    from: usize,
}

impl Sub {
    pub fn start(peers: &Peers, port: u16, topic: &str) -> Sub {
        Sub::start_with(peers, port, topic, &[])
    }

    /// A subscriber with more mosquitto_sub arguments (`--cafile ...` for TLS).
    pub fn start_with(peers: &Peers, port: u16, topic: &str, extra: &[&str]) -> Sub {
        let port = port.to_string();
        let mut child = Command::new(&peers.sub)
            .args(["-h", "127.0.0.1", "-p", &port, "-v", "-t", topic])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mosquitto_sub");
        let out = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Sub {
            child,
            lines,
            seen: Vec::new(),
            from: 0,
        }
    }

    /// Waits for the message `topic payload` (exactly), within `DEADLINE`.
    pub fn expect(&mut self, topic: &str, payload: &str) {
        let want = format!("{topic} {payload}");
        self.expect_line(&want, |l| l == want);
    }

    /// The lines that arrived since the mark, in order.
    pub fn since_mark(&mut self) -> &[String] {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        &self.seen[self.from..]
    }

    /// Later expectations match only lines that arrive from now on.
    pub fn mark(&mut self) {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        self.from = self.seen.len();
    }

    /// Waits for a line matching `pred` (or finds one since the mark); the line.
    pub fn expect_line(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        if let Some(line) = self.seen[self.from..].iter().find(|l| pred(l)) {
            return line.clone();
        }
        let deadline = Instant::now() + DEADLINE;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if pred(&line) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!(
            "no MQTT message {what:?} within {DEADLINE:?}; saw:\n{}",
            self.seen.join("\n")
        );
    }
}

impl Drop for Sub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `mosquitto_pub -t TOPIC -m PAYLOAD`.
pub fn publish(peers: &Peers, port: u16, topic: &str, payload: &str) {
    let status = Command::new(&peers.publish)
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q", "1"])
        .args(["-t", topic, "-m", payload])
        .status()
        .expect("run mosquitto_pub");
    assert!(status.success(), "mosquitto_pub -t {topic} failed");
}

/// Holding registers `first..first+count` (0-based) of `unit` at `addr`, read by mbpoll.
pub fn mbpoll_read(peers: &Peers, addr: &str, unit: u8, first: u16, count: u16) -> Vec<u16> {
    let out = mbpoll(peers, addr, unit, first, &["-c", &count.to_string()]);
    out.lines()
        .filter_map(|l| l.trim().strip_prefix('['))
        .filter_map(|l| l.split_once("]:"))
        .filter_map(|(_, v)| v.trim().parse().ok())
        .collect()
}

/// Writes `value` to holding register `reg` (0-based) of `unit` at `addr` with mbpoll.
pub fn mbpoll_write(peers: &Peers, addr: &str, unit: u8, reg: u16, value: u16) {
    let out = mbpoll(peers, addr, unit, reg, &[&value.to_string()]);
    assert!(out.contains("Written 1 references"), "mbpoll write: {out}");
}

fn mbpoll(peers: &Peers, addr: &str, unit: u8, first: u16, extra: &[&str]) -> String {
    let (host, port) = addr.rsplit_once(':').expect("host:port");
    let out = Command::new(&peers.mbpoll)
        .args(["-m", "tcp", "-0", "-1", "-t", "4", "-o", "5"])
        .args(["-a", &unit.to_string(), "-r", &first.to_string()])
        .args(["-p", port])
        .arg(host)
        .args(extra)
        .output()
        .expect("run mbpoll");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A certificate authority and a certificate for 127.0.0.1 signed by it, made with
/// openssl in `dir`: `ca.pem`, `server.pem`, `server.key`. None (after a SKIP) without
/// openssl.
pub fn certificates(dir: &std::path::Path) -> Option<()> {
    let openssl = program("openssl")?;
    let run = |args: &[&str]| {
        let out = Command::new(&openssl)
            .current_dir(dir)
            .args(args)
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").expect("san.ext");
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let ca = [
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=msm-test-ca",
    ];
    run(&[&["req", "-x509"][..], &ec, &ca].concat());
    let csr = [
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ];
    run(&[&["req"][..], &ec, &csr].concat());
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ]);
    // mosquitto started as root reads its files as the user mosquitto: a throwaway
    // test key may be readable by all.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = dir.join("server.key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    Some(())
}
