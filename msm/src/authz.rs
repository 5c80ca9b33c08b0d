//! Authorization (Modbus/TCP Security R-24 … R-31): a role and a request in, allowed or
//! not out, from a roles-to-rights database the user writes (no role is built in).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::protocol::{FunctionCode, Request};
use crate::types::Area;

/// Addresses a request touches in one area: `count` items from `address`.
///
/// ```
/// use msm::Area;
/// use msm::authz::Span;
/// let span = Span { area: Area::Holding, address: 100, count: 2 };
/// assert_eq!(span.to_string(), "holding registers 100..=101");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// The area.
    pub area: Area,
    /// The first address.
    pub address: u16,
    /// How many coils or registers.
    pub count: u16,
}

impl Span {
    fn last(&self) -> u32 {
        u32::from(self.address) + u32::from(self.count.max(1)) - 1
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}..={}", self.area, self.address, self.last())
    }
}

/// What a request asks, as authorization sees it: its function, its unit, and the
/// addresses it reads and writes (FC23 does both; FC24 reads its FIFO, at most 32
/// registers; FC7, FC8, FC11, FC12, FC17, FC20, FC21 and FC43 touch no address of the
/// four areas).
///
/// ```
/// use msm::Area;
/// use msm::protocol::{FunctionCode, Request};
/// use msm::authz::{AccessRequest, Span};
/// let req = AccessRequest::of(1, &Request::ReadHoldingRegisters { address: 10, quantity: 4 });
/// assert_eq!(req.function, FunctionCode::ReadHoldingRegisters);
/// assert_eq!(req.reads, Some(Span { area: Area::Holding, address: 10, count: 4 }));
/// assert_eq!(req.writes, None);
/// assert_eq!(req.to_string(), "unit 1 FC3 reads holding registers 10..=13");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessRequest {
    /// The function code.
    pub function: FunctionCode,
    /// The unit id addressed.
    pub unit: u8,
    /// What it reads, if anything.
    pub reads: Option<Span>,
    /// What it writes, if anything.
    pub writes: Option<Span>,
    /// FC08's sub-function (some change the device's state: restart, listen-only mode,
    /// the counters cleared, the ASCII delimiter).
    pub sub_function: Option<u16>,
}

impl AccessRequest {
    /// The access a decoded request asks for.
    ///
    /// ```
    /// use msm::protocol::Request;
    /// use msm::authz::AccessRequest;
    /// let req = AccessRequest::of(1, &Request::WriteSingleCoil { address: 3, value: true });
    /// assert_eq!(req.writes.map(|w| w.to_string()), Some("coils 3..=3".into()));
    /// ```
    pub fn of(unit: u8, request: &Request<'_>) -> AccessRequest {
        let span = |area, address, count| {
            Some(Span {
                area,
                address,
                count,
            })
        };
        let (reads, writes) = match *request {
            Request::ReadCoils { address, quantity } => (span(Area::Coil, address, quantity), None),
            Request::ReadDiscreteInputs { address, quantity } => {
                (span(Area::Discrete, address, quantity), None)
            }
            Request::ReadHoldingRegisters { address, quantity } => {
                (span(Area::Holding, address, quantity), None)
            }
            Request::ReadInputRegisters { address, quantity } => {
                (span(Area::Input, address, quantity), None)
            }
            Request::WriteSingleCoil { address, .. } => (None, span(Area::Coil, address, 1)),
            Request::WriteSingleRegister { address, .. }
            | Request::MaskWriteRegister { address, .. } => (None, span(Area::Holding, address, 1)),
            Request::WriteMultipleCoils { address, values } => {
                (None, span(Area::Coil, address, values.len() as u16))
            }
            Request::WriteMultipleRegisters { address, values } => {
                (None, span(Area::Holding, address, values.len() as u16))
            }
            Request::ReadWriteMultipleRegisters {
                read_address,
                read_quantity,
                write_address,
                values,
            } => (
                span(Area::Holding, read_address, read_quantity),
                span(Area::Holding, write_address, values.len() as u16),
            ),
            // The count register and up to 31 after it, within the address space.
            Request::ReadFifoQueue { address } => {
                let count = (65536 - u32::from(address)).min(32) as u16;
                (span(Area::Holding, address, count), None)
            }
            _ => (None, None),
        };
        let sub_function = match *request {
            Request::Diagnostics { sub_function, .. } => Some(sub_function),
            _ => None,
        };
        AccessRequest {
            function: request.function(),
            unit,
            reads,
            writes,
            sub_function,
        }
    }
}

impl AccessRequest {
    /// True for an FC08 sub-function that changes the device's state rather than
    /// reading it: 01 restart, 03 ASCII delimiter, 04 listen-only mode, 0A and 14 clears.
    ///
    /// ```
    /// use msm::protocol::Request;
    /// use msm::authz::AccessRequest;
    /// let restart = Request::Diagnostics { sub_function: 1, data: &[0, 0] };
    /// let count = Request::Diagnostics { sub_function: 0x0B, data: &[0, 0] };
    /// assert!(AccessRequest::of(1, &restart).changes_device());
    /// assert!(!AccessRequest::of(1, &count).changes_device());
    /// ```
    pub fn changes_device(&self) -> bool {
        self.function == FunctionCode::Diagnostics
            && matches!(self.sub_function, Some(0x01 | 0x03 | 0x04 | 0x0A | 0x14))
    }
}

impl fmt::Display for AccessRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unit {} FC{}", self.unit, self.function.value())?;
        if let Some(r) = self.reads {
            write!(f, " reads {r}")?;
        }
        if let Some(w) = self.writes {
            write!(f, " writes {w}")?;
        }
        Ok(())
    }
}

/// The authorization hook's type: `(role, request) -> allowed`. The role is `None` for
/// a client whose certificate has no role extension, and on links without TLS.
pub(crate) type Authorizer = Arc<dyn Fn(Option<&str>, &AccessRequest) -> bool + Send + Sync>;

/// What a right covers: every address, or a range of one area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `"*"`: every address of every area.
    All,
    /// Addresses `first..=last` of `area` (a variable's, or a raw range).
    Range {
        /// The area.
        area: Area,
        /// The first address.
        first: u16,
        /// The last address.
        last: u16,
    },
}

impl Scope {
    /// True if the scope covers all of `span`.
    fn covers(&self, span: &Span) -> bool {
        match *self {
            Scope::All => true,
            Scope::Range { area, first, last } => {
                area == span.area
                    && u32::from(first) <= u32::from(span.address)
                    && span.last() <= u32::from(last)
            }
        }
    }
}

/// What one role may do: the scopes it may read, and those it may write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rights {
    /// Scopes readable.
    pub read: Vec<Scope>,
    /// Scopes writable.
    pub write: Vec<Scope>,
}

/// A roles-to-rights database: whatever no rule allows is refused, the NULL role (a
/// certificate without a role) included. A map file's `[roles]` table makes one.
///
/// A request is allowed when what it reads lies inside one `read` or `write` scope (a
/// right to write includes reading) and what it writes inside one `write` scope; FC8 (diagnostics) and
/// FC43 (device identification), which touch no address, need some read right; any
/// other function is refused.
///
/// ```
/// use msm::{Area, protocol::Request};
/// use msm::authz::{AccessRequest, Rights, Roles, Scope};
/// let mut roles = Roles::new();
/// roles.insert("viewer", Rights { read: vec![Scope::All], write: vec![] });
/// let read = AccessRequest::of(1, &Request::ReadHoldingRegisters { address: 0, quantity: 10 });
/// let write = AccessRequest::of(1, &Request::WriteSingleRegister { address: 0, value: 1 });
/// assert!(roles.allows(Some("viewer"), &read));
/// assert!(!roles.allows(Some("viewer"), &write));
/// assert!(!roles.allows(None, &read));           // the NULL role has no rights
/// assert!(!roles.allows(Some("intruder"), &read));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roles {
    roles: BTreeMap<String, Rights>,
}

impl Roles {
    /// An empty database: every request refused.
    ///
    /// ```
    /// assert!(msm::authz::Roles::new().is_empty());
    /// ```
    pub fn new() -> Roles {
        Roles::default()
    }

    /// Gives `role` its rights (replacing any it had).
    ///
    /// ```
    /// use msm::authz::{Rights, Roles, Scope};
    /// let mut roles = Roles::new();
    /// roles.insert("operator", Rights { read: vec![Scope::All], write: vec![Scope::All] });
    /// assert_eq!(roles.names().collect::<Vec<_>>(), ["operator"]);
    /// ```
    pub fn insert(&mut self, role: impl Into<String>, rights: Rights) {
        self.roles.insert(role.into(), rights);
    }

    /// The rights of `role`, if it has any.
    ///
    /// ```
    /// assert!(msm::authz::Roles::new().get("viewer").is_none());
    /// ```
    pub fn get(&self, role: &str) -> Option<&Rights> {
        self.roles.get(role)
    }

    /// The roles named, in order.
    ///
    /// ```
    /// assert_eq!(msm::authz::Roles::new().names().count(), 0);
    /// ```
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.roles.keys().map(String::as_str)
    }

    /// True if no role is named.
    ///
    /// ```
    /// assert!(msm::authz::Roles::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.roles.is_empty()
    }

    /// True if `role` may do what `request` asks (see [`Roles`]).
    ///
    /// ```
    /// use msm::{Area, protocol::Request};
    /// use msm::authz::{AccessRequest, Rights, Roles, Scope};
    /// let mut roles = Roles::new();
    /// let setpoints = Scope::Range { area: Area::Holding, first: 100, last: 199 };
    /// roles.insert("operator", Rights { read: vec![Scope::All], write: vec![setpoints] });
    /// let ok = AccessRequest::of(1, &Request::WriteSingleRegister { address: 150, value: 1 });
    /// let no = AccessRequest::of(1, &Request::WriteSingleRegister { address: 200, value: 1 });
    /// assert!(roles.allows(Some("operator"), &ok));
    /// assert!(!roles.allows(Some("operator"), &no));
    /// ```
    pub fn allows(&self, role: Option<&str>, request: &AccessRequest) -> bool {
        let Some(rights) = role.and_then(|r| self.roles.get(r)) else {
            return false;
        };
        let within = |scopes: &[Scope], span: &Span| scopes.iter().any(|s| s.covers(span));
        let everything = |scopes: &[Scope]| scopes.contains(&Scope::All);
        match (request.reads, request.writes) {
            // Files are no area a range can name: only a right to everything covers them.
            (None, None) if request.function == FunctionCode::WriteFileRecord => {
                everything(&rights.write)
            }
            (None, None) if request.function == FunctionCode::ReadFileRecord => {
                everything(&rights.read) || everything(&rights.write)
            }
            // Restart, listen-only mode, clearing, the delimiter: a writer's right.
            (None, None) if request.changes_device() => !rights.write.is_empty(),
            (None, None) => {
                matches!(
                    request.function,
                    FunctionCode::Diagnostics
                        | FunctionCode::EncapsulatedInterface
                        | FunctionCode::ReadExceptionStatus
                        | FunctionCode::GetCommEventCounter
                        | FunctionCode::GetCommEventLog
                        | FunctionCode::ReportServerId
                ) && !rights.read.is_empty()
            }
            (reads, writes) => {
                reads.is_none_or(|r| within(&rights.read, &r) || within(&rights.write, &r))
                    && writes.is_none_or(|w| within(&rights.write, &w))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{FileReads, FileWrites};

    #[test]
    fn device_functions_need_the_rights_they_use() {
        let mut roles = Roles::new();
        let holding = Scope::Range {
            area: Area::Holding,
            first: 0,
            last: 99,
        };
        roles.insert(
            "viewer",
            Rights {
                read: vec![holding],
                write: vec![],
            },
        );
        roles.insert(
            "operator",
            Rights {
                read: vec![Scope::All],
                write: vec![holding],
            },
        );
        roles.insert(
            "admin",
            Rights {
                read: vec![],
                write: vec![Scope::All],
            },
        );
        let allows =
            |role, request: Request<'_>| roles.allows(Some(role), &AccessRequest::of(1, &request));
        let counter = Request::Diagnostics {
            sub_function: 0x0B,
            data: &[0, 0],
        };
        let listen_only = Request::Diagnostics {
            sub_function: 4,
            data: &[0, 0],
        };
        let reads = FileReads::new(&[6, 0, 1, 0, 0, 0, 1]).expect("valid");
        let writes = FileWrites::new(&[6, 0, 1, 0, 0, 0, 1, 0, 0]).expect("valid");
        for request in [Request::ReportServerId, Request::GetCommEventLog, counter] {
            assert!(allows("viewer", request), "{request:?}");
        }
        assert!(!allows("viewer", listen_only));
        assert!(allows("operator", listen_only));
        assert!(!allows("viewer", Request::ReadFileRecord(reads)));
        assert!(allows("operator", Request::ReadFileRecord(reads)));
        assert!(!allows("operator", Request::WriteFileRecord(writes)));
        assert!(allows("admin", Request::WriteFileRecord(writes)));
        // A FIFO reads its count and up to 31 registers after it.
        assert!(allows("viewer", Request::ReadFifoQueue { address: 68 }));
        assert!(!allows("viewer", Request::ReadFifoQueue { address: 69 }));
        assert_eq!(
            AccessRequest::of(1, &Request::ReadFifoQueue { address: 65530 }).reads,
            Some(Span {
                area: Area::Holding,
                address: 65530,
                count: 6
            })
        );
    }
}
