//! The Modbus codec: sans-IO, zero-copy (placeholder, see issue 3).
