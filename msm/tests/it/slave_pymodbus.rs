//! Interoperability with pymodbus as the master: every function pymodbus has that msm
//! serves (1, 2, 3, 4, 5, 6, 8/0, 15, 16, 22, 23, 43/14), exceptions, unit ids 0 and
//! 255. The script `tests/peers/slave_client.py` prints what it got as JSON.

use crate::common;

use std::process::Command;

use msm::slave::DeviceIdentity;
use msm::{Memory, Slave, Var};
use serde_json::{Value, json};

fn pymodbus_uses_every_function_we_serve() {
    let Some(python) = common::pymodbus_python() else {
        return;
    };
    common::init_logging();
    let mem = Memory::builder()
        .coils(16)
        .discrete_inputs(16)
        .input_registers(16)
        .holding_registers(16)
        .build()
        .expect("memory");
    let inputs: Var<[u16; 4]> = mem.input(0).expect("declare");
    inputs.set([100, 101, 102, 65535]).expect("set");
    let holding: Var<[u16; 4]> = mem.holding(0).expect("declare");
    holding.set([1, 2, 3, 4]).expect("set");
    for i in [0u16, 2, 7] {
        mem.discrete_input::<bool>(i)
            .expect("declare")
            .set(true)
            .expect("set");
    }
    mem.coil::<bool>(9)
        .expect("declare")
        .set(true)
        .expect("set");
    let identity = DeviceIdentity {
        vendor: "ACME".into(),
        product_code: "PUMP-7".into(),
        revision: "2.1".into(),
        product_name: "Pump".into(),
        extended: vec![(0x80, b"serial 42".to_vec())],
        ..DeviceIdentity::default()
    };
    let slave = Slave::tcp("127.0.0.1:0")
        .identity(identity)
        .serve(mem.clone())
        .expect("serve");

    let output = Command::new(python)
        .arg(common::peer_script("slave_client.py"))
        .arg("127.0.0.1")
        .arg(slave.local_addr().port().to_string())
        .output()
        .expect("run the pymodbus client");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "pymodbus client failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let got: Value = serde_json::from_str(stdout.trim()).expect("JSON from the client");
    let (t, f) = (true, false);

    assert_eq!(got["fc1"], json!([f, f, f, f, f, f, f, f, f, t]));
    assert_eq!(got["fc2"], json!([t, f, t, f, f, f, f, t]));
    assert_eq!(got["fc3"], json!([1, 2, 3, 4]));
    assert_eq!(got["fc4"], json!([100, 101, 102, 65535]));
    assert_eq!(got["fc5"], json!([t]));
    assert_eq!(got["fc6"], json!([0x12]));
    assert_eq!(got["fc8"], json!("a537"));
    assert_eq!(got["fc15"], json!(4));
    assert_eq!(got["fc16"], json!(3));
    assert_eq!(got["fc22"], json!(0xF2));
    // FC23 wrote 6..=7 before reading 0..8; FC16 wrote 1..=3; FC22 made 5 = 0x17.
    assert_eq!(got["fc23"], json!([1, 10, 20, 30, 0, 0x17, 0xBEEF, 7]));
    assert_eq!(
        got["fc43_basic"],
        json!({"0": "ACME", "1": "PUMP-7", "2": "2.1"})
    );
    assert_eq!(
        got["fc43_regular"],
        json!({"0": "ACME", "1": "PUMP-7", "2": "2.1", "4": "Pump"})
    );
    assert_eq!(
        got["fc43_extended"],
        json!({"0": "ACME", "1": "PUMP-7", "2": "2.1", "4": "Pump", "128": "serial 42"})
    );
    assert_eq!(got["fc43_specific"], json!({"1": "PUMP-7"}));
    assert_eq!(got["fc43_missing"], json!({"exception": 2}));
    assert_eq!(
        got["fc1_after"],
        json!([f, f, f, t, f, f, f, f, f, t, t, f, t, t, f, f])
    );
    assert_eq!(got["fc3_past_end"], json!({"exception": 2}));
    assert_eq!(got["fc6_unit_0"], json!([99]));
    assert_eq!(got["fc3_unit_255"], json!([99]));

    // And the memory holds what pymodbus wrote.
    let all: Var<[u16; 8]> = mem.holding(0).expect("declare");
    assert_eq!(all.get(), [1, 10, 20, 30, 0, 0x17, 0xBEEF, 7]);
    slave.stop();
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[crate::Test {
    name: "pymodbus_uses_every_function_we_serve",
    run: pymodbus_uses_every_function_we_serve,
    needs: &["pymodbus"],
}];
