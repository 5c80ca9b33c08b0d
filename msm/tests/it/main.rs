//! msm's integration tests, one binary (libtest-mimic): every file beside this one is a
//! module with a `TESTS` list. A test that needs an external peer (mbpoll, socat,
//! pymodbus) that is not installed is reported as ignored, with the reason, never as
//! passed; under `CI=true` it runs anyway and fails.

use std::process::ExitCode;

mod architecture;
mod ascii_serial;
mod common;
#[cfg(all(feature = "derive", feature = "map"))]
mod derive_every_attribute;
mod examples;
mod harness;
mod harness_capture;
mod libmodbus;
mod map_errors;
mod map_load;
mod map_sim_errors;
mod map_to_toml;
mod map_values;
mod master_closes_on_write;
mod master_connect;
mod master_faults;
mod master_fc_pymodbus;
mod master_gave_up;
mod master_hostile;
mod master_pymodbus;
mod master_rtu_pymodbus;
mod master_slave;
mod memory_changes;
mod memory_notify;
mod memory_props;
mod memory_stress;
mod rtu_serial;
mod sim_serve;
mod slave_abuse;
mod slave_faults;
mod slave_frames;
mod slave_mbpoll;
mod slave_pymodbus;
mod slave_unit_memory;
#[cfg(feature = "tls")]
mod tls;
#[cfg(feature = "tls")]
#[path = "common/tls.rs"]
mod tls_common;
#[cfg(feature = "tls")]
mod tls_peers;
mod udp;

pub(crate) use harness::Test;

fn main() -> ExitCode {
    let modules: &[(&str, &[Test])] = &[
        ("architecture", architecture::TESTS),
        ("ascii_serial", ascii_serial::TESTS),
        #[cfg(all(feature = "derive", feature = "map"))]
        ("derive_every_attribute", derive_every_attribute::TESTS),
        ("examples", examples::TESTS),
        ("harness_capture", harness_capture::TESTS),
        ("libmodbus", libmodbus::TESTS),
        ("map_errors", map_errors::TESTS),
        ("map_load", map_load::TESTS),
        ("map_sim_errors", map_sim_errors::TESTS),
        ("map_to_toml", map_to_toml::TESTS),
        ("map_values", map_values::TESTS),
        ("master_closes_on_write", master_closes_on_write::TESTS),
        ("master_faults", master_faults::TESTS),
        ("master_fc_pymodbus", master_fc_pymodbus::TESTS),
        ("master_connect", master_connect::TESTS),
        ("master_gave_up", master_gave_up::TESTS),
        ("master_hostile", master_hostile::TESTS),
        ("master_pymodbus", master_pymodbus::TESTS),
        ("master_rtu_pymodbus", master_rtu_pymodbus::TESTS),
        ("master_slave", master_slave::TESTS),
        ("memory_changes", memory_changes::TESTS),
        ("memory_notify", memory_notify::TESTS),
        ("memory_props", memory_props::TESTS),
        ("memory_stress", memory_stress::TESTS),
        ("rtu_serial", rtu_serial::TESTS),
        ("sim_serve", sim_serve::TESTS),
        ("slave_abuse", slave_abuse::TESTS),
        ("slave_faults", slave_faults::TESTS),
        ("slave_frames", slave_frames::TESTS),
        ("slave_mbpoll", slave_mbpoll::TESTS),
        ("slave_pymodbus", slave_pymodbus::TESTS),
        ("slave_unit_memory", slave_unit_memory::TESTS),
        #[cfg(feature = "tls")]
        ("tls", tls::TESTS),
        #[cfg(feature = "tls")]
        ("tls_peers", tls_peers::TESTS),
        ("udp", udp::TESTS),
    ];
    harness::run(modules, common::in_ci(), common::peer_missing)
}
