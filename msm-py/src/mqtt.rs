//! `msm.mqtt`: the MQTT bridge (msm-mqtt) for one built map from Python. Its variables
//! are published under `PREFIX/DEVICE/...` and written by `.../set`; a memory that a
//! master keeps is bridged with it (availability, writes confirmed by the device).

use std::sync::Mutex;
use std::time::Duration;

use msm_mqtt::{Bridge, BridgeHandle, Broker, Device, Protocol, Tls};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{MsmError, bad_value};
use crate::map::PyMapMemory;
use crate::runtime::seconds;

/// A running MQTT bridge, from `msm.mqtt.bridge(...)`: `stop()` it, or use it in a
/// `with` block. `status()` says whether it is connected and counts its sets.
#[pyclass(module = "msm.mqtt", name = "MqttBridge", frozen)]
pub(crate) struct PyBridge {
    handle: Mutex<Option<BridgeHandle>>,
    name: String,
}

fn py_error(e: msm_mqtt::Error) -> PyErr {
    match e {
        msm_mqtt::Error::Runtime(_) => MsmError::new_err(e.to_string()),
        other => bad_value(other.to_string()),
    }
}

/// Starts an MQTT bridge of `source`'s variables to the broker at `url`
/// (`mqtt://host:port` or `mqtts://...`), as device `device` under `prefix`. Called by
/// `msm.mqtt.bridge`, which gives `set_max_age` its default (60 s; `None` here: no limit).
#[pyfunction]
#[pyo3(signature = (source, url, *, device = "device".to_string(), prefix = "msm".to_string(),
    client_id = None, set_max_age = None, ha_discovery = false, protocol = "5".to_string(),
    username = None, password = None, ca = None))]
#[allow(clippy::too_many_arguments)] // Python keywords
pub(crate) fn mqtt_bridge(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    url: &str,
    device: String,
    prefix: String,
    client_id: Option<String>,
    set_max_age: Option<&Bound<'_, PyAny>>,
    ha_discovery: bool,
    protocol: String,
    username: Option<String>,
    password: Option<String>,
    ca: Option<std::path::PathBuf>,
) -> PyResult<PyBridge> {
    let Ok(map) = source.cast::<PyMapMemory>() else {
        return Err(bad_value(format!(
            "msm.mqtt.bridge() takes a built map (msm.Map.load(path).build(), or \
             msm.Map.from_toml(text).build()): its variable names are the topics; got {}",
            source.repr()?
        )));
    };
    let mm = map.get().built.clone();
    let client_id = client_id.unwrap_or_else(|| {
        format!(
            "msm-{device}@{}",
            gethostname::gethostname().to_string_lossy()
        )
    });
    let protocol: Protocol = protocol.parse().map_err(py_error)?;
    let mut broker = Broker::parse(url)
        .map_err(py_error)?
        .client_id(client_id)
        .protocol(protocol);
    if username.is_some() || password.is_some() {
        broker = broker.credentials(username.unwrap_or_default(), password.unwrap_or_default());
    }
    if let Some(path) = ca {
        let pem = std::fs::read(&path)
            .map_err(|e| bad_value(format!("ca = {:?} cannot be read: {e}", path.display())))?;
        broker = broker.tls(Tls::new(pem));
    }
    let max_age: Option<Duration> = seconds("set_max_age", set_max_age)?;
    let mut dev = Device::new(device.clone(), &mm);
    if let Some(master) = crate::running::master_of(mm.memory()) {
        dev = dev.master(master);
    }
    let bridge = Bridge::new(broker)
        .prefix(prefix.clone())
        .device(dev)
        .ha_discovery(ha_discovery)
        .set_max_age(max_age);
    let handle = py.detach(|| bridge.start()).map_err(py_error)?;
    Ok(PyBridge {
        handle: Mutex::new(Some(handle)),
        name: format!("{prefix}/{device} -> {url}"),
    })
}

#[pymethods]
impl PyBridge {
    /// Stops cleanly: queued sets answered, `offline` said for the device and the
    /// gateway, acknowledged by the broker (at most 2 s), then disconnected. Stopping
    /// twice does nothing.
    fn stop(&self, py: Python<'_>) {
        let taken = self.handle.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = taken {
            py.detach(|| handle.stop());
        }
    }

    /// The bridge's state: `connected`, `connections`, `published`, `sets_applied`,
    /// `sets_refused` (a dict; all zero once stopped).
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let guard = self.handle.lock().unwrap_or_else(|e| e.into_inner());
        let s = guard.as_ref().map(BridgeHandle::status).unwrap_or_default();
        let d = PyDict::new(py);
        d.set_item("connected", s.connected)?;
        d.set_item("connections", s.connections)?;
        d.set_item("published", s.published)?;
        d.set_item("sets_applied", s.sets_applied)?;
        d.set_item("sets_refused", s.sets_refused)?;
        Ok(d)
    }

    /// True until `stop()`.
    #[getter]
    fn running(&self) -> bool {
        self.handle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.stop(py);
        false
    }

    fn __repr__(&self) -> String {
        let state = if self.running() { "running" } else { "stopped" };
        format!("<msm.mqtt.Bridge {} {state}>", self.name)
    }
}
