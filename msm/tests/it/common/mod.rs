//! Helpers shared by the integration tests: finding external peers, waiting on
//! conditions with deadlines; `slave` has a raw Modbus/TCP client, `python` the tests'
//! Python venv (pymodbus).

pub mod python;
pub mod raw_line;
pub mod slave;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// True under `CI=true`, where a missing peer is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Reports a missing peer: a loud SKIP line, or a panic under `CI=true`.
pub fn missing(peer: &str, how: &str) {
    if in_ci() {
        panic!("{peer} is required under CI=true but is not installed: {how}");
    }
    eprintln!("\n==================== SKIP ====================");
    eprintln!("SKIP: {peer} is not installed, so this test did not run. {how}");
    eprintln!("==============================================\n");
}

/// A command on PATH, if there is one.
pub fn find_program(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// A command on PATH, or None (after reporting it missing).
pub fn program(name: &str, how: &str) -> Option<PathBuf> {
    let found = find_program(name);
    if found.is_none() {
        missing(name, how);
    }
    found
}

/// `mbpoll`, the libmodbus-based command-line master.
pub fn mbpoll() -> Option<PathBuf> {
    program(
        "mbpoll",
        "install it with `apt-get install mbpoll` (bash .ci/run does)",
    )
}

/// `socat`, for virtual serial port pairs.
pub fn socat() -> Option<PathBuf> {
    program(
        "socat",
        "install it with `apt-get install socat` (bash .ci/run does)",
    )
}

/// A Python that can import pymodbus and pyserial: the tests' venv (`python`), made the
/// first time; or None (after reporting why and how to fix it).
pub fn pymodbus_python() -> Option<PathBuf> {
    python::venv_python()
        .map_err(|why| missing("pymodbus", &why.to_string()))
        .ok()
}

/// Why `peer` cannot be used here (not installed, and how to install it), or None.
pub fn peer_missing(peer: &str) -> Option<String> {
    let (present, how) = match peer {
        "mbpoll" => (find_program("mbpoll").is_some(), "apt-get install mbpoll"),
        "socat" => (find_program("socat").is_some(), "apt-get install socat"),
        "openssl" => (find_program("openssl").is_some(), "apt-get install openssl"),
        "mosquitto" => (
            find_program("mosquitto").is_some() || Path::new("/usr/sbin/mosquitto").is_file(),
            "apt-get install mosquitto mosquitto-clients",
        ),
        "chromium" => (
            find_program("chromium").is_some() || find_program("chromium-browser").is_some(),
            "apt-get install chromium",
        ),
        "chromedriver" => (
            find_program("chromedriver").is_some(),
            "apt-get install chromium-driver",
        ),
        "libmodbus" => (
            Path::new("/usr/include/modbus/modbus.h").is_file() && find_program("cc").is_some(),
            "apt-get install libmodbus-dev (and a C compiler)",
        ),
        "pymodbus" => return python::venv_python().err().map(|why| why.to_string()),
        "libmodbus-examples" => (
            libmodbus_examples_present(),
            "apt-get install libmodbus-dev pkg-config gcc: its examples are libmodbus's test programs",
        ),
        other => (find_program(other).is_some(), "see .ci/run"),
    };
    (!present).then(|| format!("{peer} is not installed ({how}; bash .ci/run does)"))
}

/// Checks that `mem` holds, at each address of `at`, what `pymodbus_link_server.py`
/// serves: holding i = 1000 + i, input i = 2000 + i, coil i = (i % 3 == 0), discrete
/// input i = i & 1.
pub fn assert_pymodbus_link_server_values(mem: &msm::Memory, at: &[u16]) {
    for &i in at {
        let got = (
            mem.holding::<u16>(i).expect("declare").get(),
            mem.input::<u16>(i).expect("declare").get(),
            mem.coil::<bool>(i).expect("declare").get(),
            mem.discrete_input::<bool>(i).expect("declare").get(),
        );
        assert_eq!(got, (1000 + i, 2000 + i, i % 3 == 0, i & 1 == 1), "at {i}");
    }
}

/// Where libmodbus-dev puts its example programs (libmodbus's unit-test client and
/// server, built by the test that runs them).
pub const LIBMODBUS_EXAMPLES: &str = "/usr/share/doc/libmodbus-dev/examples";

/// Are libmodbus's examples here, with a C compiler and pkg-config's libmodbus?
fn libmodbus_examples_present() -> bool {
    let source = |name: &str| {
        let p = Path::new(LIBMODBUS_EXAMPLES).join(name);
        p.is_file() || p.with_extension("c.gz").is_file()
    };
    source("unit-test-client.c")
        && source("unit-test-server.c")
        && Path::new(LIBMODBUS_EXAMPLES).join("unit-test.h").is_file()
        && find_program("cc").is_some()
        && Command::new("pkg-config")
            .args(["--exists", "libmodbus"])
            .status()
            .is_ok_and(|s| s.success())
}

/// Path of a helper script under `msm/tests/peers/`.
pub fn peer_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(name)
}

/// Polls `cond` until it holds or `timeout` passes; true if it held.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Captures the library's log lines: shown with the test's failure, or as they come
/// with `MSM_TEST_LOG=1` or `RUST_LOG` (the harness does it before any test runs).
pub fn init_logging() {
    crate::harness::logs::install();
}

/// Runs mbpoll once (`-1`, addresses from 0 with `-0`, 1 s timeout) against a TCP
/// server on 127.0.0.1:`port`; `args` are the table/address/count options, `values`
/// the values to write (none for a read). Returns the values it printed (`[addr]: value`
/// lines), or its error output.
pub fn mbpoll_tcp(
    mbpoll: &Path,
    port: u16,
    args: &[&str],
    values: &[&str],
) -> Result<Vec<String>, String> {
    let out = Command::new(mbpoll)
        .args(["-m", "tcp", "-p", &port.to_string(), "-0", "-1", "-o", "1"])
        .args(args)
        .arg("127.0.0.1")
        .args(values)
        .output()
        .map_err(|e| format!("cannot run mbpoll: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "mbpoll {args:?} failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(stdout
        .lines()
        .filter(|l| l.starts_with('['))
        .filter_map(|l| l.split_once(':'))
        // mbpoll adds the signed reading in parentheses for values above 32767.
        .filter_map(|(_, v)| v.split_whitespace().next().map(str::to_string))
        .collect())
}

/// A peer process started by a test, killed when dropped.
pub struct PeerProcess {
    pub child: std::process::Child,
    /// What the process announced on its first line (for example `PORT 40123`).
    pub announced: String,
}

impl PeerProcess {
    /// Starts `program args...` with piped stdin/stdout and waits (up to 20 s) for its
    /// first line.
    pub fn start(program: &Path, args: &[&str]) -> PeerProcess {
        use std::io::BufRead;
        let mut child = Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = std::io::BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            // Keep draining, so the peer never writes into a closed pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let announced = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("{} announced nothing within 20 s", program.display()));
        PeerProcess {
            child,
            announced: announced.trim().to_string(),
        }
    }

    /// The port from a `PORT <n>` announcement.
    pub fn port(&self) -> u16 {
        self.announced
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected announcement {:?}", self.announced))
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A pair of connected virtual serial ports made by socat; killed when dropped.
pub struct SerialPair {
    pub a: PathBuf,
    pub b: PathBuf,
    socat: std::process::Child,
    _dir: TempDir,
}

impl SerialPair {
    /// Two linked ptys, or None (after a SKIP or, under CI, a panic) without socat.
    pub fn new() -> Option<SerialPair> {
        let socat = socat()?;
        let dir = TempDir::new("serial");
        let (a, b) = (dir.path.join("a"), dir.path.join("b"));
        let child = Command::new(socat)
            .arg("-d")
            .arg(format!("pty,raw,echo=0,link={}", a.display()))
            .arg(format!("pty,raw,echo=0,link={}", b.display()))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start socat");
        let pair = SerialPair {
            a,
            b,
            socat: child,
            _dir: dir,
        };
        assert!(
            wait_until(Duration::from_secs(10), || pair.a.exists()
                && pair.b.exists()),
            "socat made no ptys within 10 s"
        );
        Some(pair)
    }

    pub fn a(&self) -> &str {
        self.a.to_str().expect("utf-8 path")
    }

    pub fn b(&self) -> &str {
        self.b.to_str().expect("utf-8 path")
    }
}

impl Drop for SerialPair {
    fn drop(&mut self) {
        let _ = self.socat.kill();
        let _ = self.socat.wait();
    }
}

/// A directory removed when dropped.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "msm-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A memory with `n` items in each of the four areas, from address 0.
pub fn four_areas(n: u32) -> msm::Memory {
    msm::Memory::builder()
        .coils(n)
        .discrete_inputs(n)
        .input_registers(n)
        .holding_registers(n)
        .build()
        .expect("valid areas")
}
