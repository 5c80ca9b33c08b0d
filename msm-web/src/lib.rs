//! A live web view of msm variables, for any memory or map: a page with a table, trends
//! and writes, a JSON API and a server-sent event stream. Everything the page needs is in
//! the crate (no CDN); it works on an isolated plant network. `docs/web.md` describes
//! the page, the API and the security model.
//!
//! Build a [`View`] of the variables ([`View::of_map`], [`View::of_memory`], or
//! [`View::new`] with [`WebVar`]s from several memories), set it up, then serve it from a
//! thread of its own ([`View::serve`]) or on a tokio runtime ([`View::serve_async`]).
//!
//! ```
//! use msm::{Memory, Slave};
//! let mm = msm::Map::from_toml_str(r#"
//!     [memory]
//!     holding_registers = 4
//!     [vars]
//!     SETPOINT = { area = "holding", address = 0, type = "u16", value = 500 }
//!     LEVEL    = { area = "holding", address = 2, type = "f32" }
//! "#)?
//! .build()?;
//! let slave = Slave::tcp("127.0.0.1:0").serve(mm.memory().clone())?; // any master writes...
//! let view = msm_web::View::of_map(&mm)                              // ...and a page shows it
//!     .writable(true)
//!     .serve("127.0.0.1:0")?;
//! println!("serving Modbus on {} and the view on {}", slave.local_addr(), view.url());
//! view.stop();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Nothing here ever makes a slave or a master wait: the view follows each memory through
//! a bounded subscription, at most [`DEFAULT_MAX_CLIENTS`] pages are served at once, and a
//! page that does not read its stream is dropped once its bounded queue is full.
#![forbid(unsafe_code)]

mod api;
mod app;
mod board;
mod error;
mod events;
mod gate;
mod handle;
mod hints;
mod json;
mod page;
mod server;
mod sse;
mod streams;
mod trend;
mod var;
mod view;
mod watch;
mod write;

pub use error::WebError;
pub use handle::{AsyncWebHandle, WebHandle};
pub use hints::Hints;
pub use var::{StatusSource, WebVar};
pub use view::{DEFAULT_MAX_CLIENTS, View};
