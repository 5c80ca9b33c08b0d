//! Whether a fault's filters match a request: its function code, its unit id, and the
//! items it reads or writes (an address range they overlap, a quantity).

use crate::authz::AccessRequest;
use crate::protocol::Request;
use crate::types::Fault;

use super::super::service::Incoming;

/// The items a request reads and writes, as `(first address, quantity)`: none for a
/// request that does not decode (it is refused anyway) or that touches no address.
pub(super) struct Touched {
    spans: [Option<(u16, u16)>; 2],
}

impl Touched {
    pub(super) fn of(request: &Incoming<'_>) -> Touched {
        let spans = match Request::decode(request.pdu) {
            Ok(decoded) => {
                let access = AccessRequest::of(request.unit, &decoded);
                [access.reads, access.writes].map(|s| s.map(|s| (s.address, s.count)))
            }
            Err(_) => [None, None],
        };
        Touched { spans }
    }
}

/// True if every filter `fault` has matches `request` (`touched` is given whenever a
/// fault of the set filters by items).
pub(super) fn matches(fault: &Fault, request: &Incoming<'_>, touched: Option<&Touched>) -> bool {
    let function = request.pdu.first().copied();
    let codes = fault.function_codes();
    if !codes.is_empty() && !function.is_some_and(|f| codes.contains(&f)) {
        return false;
    }
    let units = fault.unit_ids();
    if !units.is_empty() && !units.contains(&request.unit) {
        return false;
    }
    let spans = || touched.iter().flat_map(|t| t.spans.iter().flatten());
    if let Some(range) = fault.address_range() {
        let (first, last) = (u32::from(*range.start()), u32::from(*range.end()));
        let overlaps = spans().any(|&(address, count)| {
            let (a, end) = (u32::from(address), u32::from(address) + u32::from(count));
            count > 0 && a <= last && end > first
        });
        if !overlaps {
            return false;
        }
    }
    if let Some(count) = fault.quantity()
        && !spans().any(|&(_, n)| n == count)
    {
        return false;
    }
    true
}
