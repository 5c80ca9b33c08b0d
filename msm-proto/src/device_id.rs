//! Read Device Identification (FC43, MEI type 0x0E): codes, objects, and the response
//! encoder that splits a long object list over several transactions ("more follows").

use core::fmt;

use super::wire::Writer;
use super::{EncodeError, MAX_PDU_LEN, MEI_READ_DEVICE_ID, ResponseError};

/// What a Read Device Identification request asks for.
///
/// ```
/// use msm_proto::ReadDeviceIdCode;
///
/// assert_eq!(ReadDeviceIdCode::from_u8(1), Some(ReadDeviceIdCode::Basic));
/// assert_eq!(ReadDeviceIdCode::from_u8(5), None);
/// assert_eq!(ReadDeviceIdCode::Specific.value(), 4);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReadDeviceIdCode {
    /// 01: the basic objects (0x00..=0x02), as a stream.
    Basic = 1,
    /// 02: basic and regular objects (0x00..=0x7F), as a stream.
    Regular = 2,
    /// 03: basic, regular and extended objects (0x00..=0xFF), as a stream.
    Extended = 3,
    /// 04: one specific object.
    Specific = 4,
}

impl ReadDeviceIdCode {
    /// The code for a wire byte, `None` outside 1..=4.
    ///
    /// ```
    /// # use msm_proto::ReadDeviceIdCode;
    /// assert_eq!(ReadDeviceIdCode::from_u8(3), Some(ReadDeviceIdCode::Extended));
    /// ```
    pub const fn from_u8(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::Basic),
            2 => Some(Self::Regular),
            3 => Some(Self::Extended),
            4 => Some(Self::Specific),
            _ => None,
        }
    }

    /// The wire byte.
    ///
    /// ```
    /// # use msm_proto::ReadDeviceIdCode;
    /// assert_eq!(ReadDeviceIdCode::Regular.value(), 2);
    /// ```
    pub const fn value(self) -> u8 {
        self as u8
    }
}

/// The objects of a device identification response: `(object id, value)` pairs.
///
/// A decoded response holds them as the wire bytes it borrowed (already checked); a
/// server builds them from a list. Both compare equal when they list the same objects.
///
/// ```
/// use msm_proto::DeviceObjects;
///
/// let list: &[(u8, &[u8])] = &[(0x00, b"msm"), (0x02, b"0.1")];
/// let objects = DeviceObjects::from_list(list);
/// assert_eq!(objects.len(), 2);
/// assert_eq!(objects.iter().nth(1), Some((0x02, &b"0.1"[..])));
/// ```
#[derive(Clone, Copy)]
pub struct DeviceObjects<'a>(Repr<'a>);

#[derive(Clone, Copy)]
enum Repr<'a> {
    /// `count` objects laid out as id, length, value; checked to end exactly at the end.
    Wire {
        count: u8,
        bytes: &'a [u8],
    },
    List(&'a [(u8, &'a [u8])]),
}

impl<'a> DeviceObjects<'a> {
    /// Objects from a list, for encoding.
    ///
    /// ```
    /// # use msm_proto::DeviceObjects;
    /// assert!(DeviceObjects::from_list(&[]).is_empty());
    /// ```
    pub const fn from_list(list: &'a [(u8, &'a [u8])]) -> Self {
        Self(Repr::List(list))
    }

    /// Objects from wire bytes (id, length, value, repeated `count` times), checked to
    /// hold exactly `count` objects. On failure, the error gives the index of the first
    /// object that runs past the end and its offset in `bytes` (for bytes left over after
    /// the last object: `count` and the offset where they start).
    ///
    /// ```
    /// use msm_proto::{DeviceObjects, ResponseError};
    ///
    /// let objects = DeviceObjects::from_wire(1, &[0x00, 0x03, b'm', b's', b'm'])?;
    /// assert_eq!(objects.iter().next(), Some((0x00, &b"msm"[..])));
    /// assert_eq!(
    ///     DeviceObjects::from_wire(1, &[0x00, 0x09, b'm']),
    ///     Err(ResponseError::DeviceObject { index: 0, offset: 0 })
    /// );
    /// # Ok::<(), ResponseError>(())
    /// ```
    pub fn from_wire(count: u8, bytes: &'a [u8]) -> Result<Self, ResponseError> {
        let broken = |index, offset| ResponseError::DeviceObject { index, offset };
        let mut offset = 0usize;
        for index in 0..usize::from(count) {
            let len = bytes
                .get(offset.saturating_add(1))
                .ok_or(broken(index, offset))?;
            let end = offset.saturating_add(2).saturating_add(usize::from(*len));
            if end > bytes.len() {
                return Err(broken(index, offset));
            }
            offset = end;
        }
        if offset != bytes.len() {
            return Err(broken(usize::from(count), offset));
        }
        Ok(Self(Repr::Wire { count, bytes }))
    }

    /// Number of objects.
    ///
    /// ```
    /// # use msm_proto::DeviceObjects;
    /// assert_eq!(DeviceObjects::from_list(&[(1, b"x")]).len(), 1);
    /// ```
    pub const fn len(&self) -> usize {
        match self.0 {
            Repr::Wire { count, .. } => count as usize,
            Repr::List(list) => list.len(),
        }
    }

    /// Whether there is no object.
    ///
    /// ```
    /// # use msm_proto::DeviceObjects;
    /// assert!(!DeviceObjects::from_list(&[(1, b"x")]).is_empty());
    /// ```
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `(object id, value)` pairs in order.
    ///
    /// ```
    /// # use msm_proto::DeviceObjects;
    /// let ids: Vec<u8> = DeviceObjects::from_list(&[(0, b"a"), (1, b"b")]).iter().map(|(id, _)| id).collect();
    /// assert_eq!(ids, [0, 1]);
    /// ```
    pub fn iter(&self) -> DeviceObjectIter<'a> {
        DeviceObjectIter(*self)
    }

    /// Bytes the objects take on the wire (2 + value length each).
    pub(crate) fn wire_len(&self) -> usize {
        match self.0 {
            Repr::Wire { bytes, .. } => bytes.len(),
            Repr::List(list) => list
                .iter()
                .map(|(_, value)| value.len().saturating_add(2))
                .fold(0, usize::saturating_add),
        }
    }
}

impl PartialEq for DeviceObjects<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for DeviceObjects<'_> {}

impl fmt::Debug for DeviceObjects<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for DeviceObjects<'a> {
    type Item = (u8, &'a [u8]);
    type IntoIter = DeviceObjectIter<'a>;
    fn into_iter(self) -> DeviceObjectIter<'a> {
        self.iter()
    }
}

/// Iterator over [`DeviceObjects`].
///
/// ```
/// # use msm_proto::DeviceObjects;
/// let mut it = DeviceObjects::from_list(&[(0, b"a")]).iter();
/// assert_eq!(it.next(), Some((0, &b"a"[..])));
/// assert_eq!(it.next(), None);
/// ```
#[derive(Clone, Debug)]
pub struct DeviceObjectIter<'a>(DeviceObjects<'a>);

impl<'a> Iterator for DeviceObjectIter<'a> {
    type Item = (u8, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        match &mut (self.0).0 {
            Repr::Wire { count, bytes } => {
                let (&id, rest) = bytes.split_first()?;
                let (&len, rest) = rest.split_first()?;
                let (value, rest) = rest.split_at_checked(usize::from(len))?;
                *bytes = rest;
                *count = count.saturating_sub(1);
                Some((id, value))
            }
            Repr::List(list) => {
                let (&first, rest) = list.split_first()?;
                *list = rest;
                Some(first)
            }
        }
    }
}

/// A Read Device Identification response.
///
/// ```
/// use msm_proto::{DeviceIdentification, DeviceObjects, ReadDeviceIdCode};
///
/// let id = DeviceIdentification {
///     read_code: ReadDeviceIdCode::Basic,
///     conformity_level: 0x01,
///     more_follows: false,
///     next_object_id: 0,
///     objects: DeviceObjects::from_list(&[(0x00, b"msm developers")]),
/// };
/// assert_eq!(id.objects.iter().next().map(|(id, _)| id), Some(0x00));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceIdentification<'a> {
    /// The read device id code of the request, echoed.
    pub read_code: ReadDeviceIdCode,
    /// The server's conformity level (0x01..=0x03, 0x81..=0x83 with individual access).
    pub conformity_level: u8,
    /// More objects follow in a further transaction (0xFF on the wire).
    pub more_follows: bool,
    /// Where the next transaction should start when `more_follows`, else 0.
    pub next_object_id: u8,
    /// The objects.
    pub objects: DeviceObjects<'a>,
}

/// Bytes before the object list: function, MEI type, read code, conformity level,
/// more follows, next object id, number of objects.
pub(crate) const DEVICE_ID_HEADER_LEN: usize = 7;

impl DeviceIdentification<'_> {
    /// Length of the encoded PDU.
    pub(crate) fn encoded_len(&self) -> usize {
        DEVICE_ID_HEADER_LEN.saturating_add(self.objects.wire_len())
    }

    /// Encodes the whole PDU (the caller has checked its length against `MAX_PDU_LEN`).
    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let count = u8::try_from(self.objects.len()).map_err(|_| EncodeError::PduTooLong {
            function: 0x2B,
            len: self.encoded_len(),
        })?;
        write_header(w, self.read_code, self.conformity_level, self.more_follows)?;
        w.u8(self.next_object_id)?;
        w.u8(count)?;
        for (id, value) in self.objects.iter() {
            write_object(w, id, value)?;
        }
        Ok(())
    }
}

fn write_header(
    w: &mut Writer<'_>,
    read_code: ReadDeviceIdCode,
    conformity_level: u8,
    more_follows: bool,
) -> Result<(), EncodeError> {
    w.u8(0x2B)?;
    w.u8(MEI_READ_DEVICE_ID)?;
    w.u8(read_code.value())?;
    w.u8(conformity_level)?;
    w.u8(if more_follows { 0xFF } else { 0x00 })
}

fn write_object(w: &mut Writer<'_>, id: u8, value: &[u8]) -> Result<(), EncodeError> {
    let len = u8::try_from(value.len()).map_err(|_| EncodeError::ObjectTooLong {
        id,
        len: value.len(),
    })?;
    w.u8(id)?;
    w.u8(len)?;
    w.bytes(value)
}

/// Encodes a Read Device Identification response PDU carrying `objects[first..]`, as many
/// as fit in one PDU. When some do not fit, "more follows" is set and the next object id
/// is the id of the first one left out, so the client asks again from there.
///
/// With [`ReadDeviceIdCode::Specific`] only `objects[first]` is sent (individual access
/// never sets "more follows"). `first == objects.len()` sends an empty list. Errors:
/// `first` past the end, an object too long for any PDU (over 244 bytes), or a buffer too
/// small. Returns the PDU length.
///
/// ```
/// use msm_proto::{encode_device_identification, ReadDeviceIdCode};
///
/// let objects: &[(u8, &[u8])] = &[(0x00, b"Company identification"), (0x01, b"Product code XX"), (0x02, b"V2.11")];
/// let mut buf = [0u8; 253];
/// let len = encode_device_identification(&mut buf, ReadDeviceIdCode::Basic, 0x01, objects, 0)?;
/// assert_eq!(&buf[..7], [0x2B, 0x0E, 0x01, 0x01, 0x00, 0x00, 0x03]);
/// assert_eq!(len, 7 + 24 + 17 + 7);
/// # Ok::<(), msm_proto::EncodeError>(())
/// ```
pub fn encode_device_identification(
    buf: &mut [u8],
    read_code: ReadDeviceIdCode,
    conformity_level: u8,
    objects: &[(u8, &[u8])],
    first: usize,
) -> Result<usize, EncodeError> {
    let rest = objects.get(first..).ok_or(EncodeError::ObjectIndex {
        first,
        len: objects.len(),
    })?;
    let max_objects = if read_code == ReadDeviceIdCode::Specific {
        1
    } else {
        usize::MAX
    };
    let budget = MAX_PDU_LEN - DEVICE_ID_HEADER_LEN;
    let mut used = 0usize;
    let mut taken = 0usize;
    for (id, value) in rest.iter().take(max_objects) {
        let size = value.len().saturating_add(2);
        if size > budget {
            // Alone in a PDU it would still not fit: no split can send it.
            return Err(EncodeError::ObjectTooLong {
                id: *id,
                len: value.len(),
            });
        }
        if used + size > budget {
            break;
        }
        used += size;
        taken += 1;
    }
    let sent = rest.get(..taken).unwrap_or_default();
    let next = rest.get(taken).filter(|_| taken < max_objects);
    let response = DeviceIdentification {
        read_code,
        conformity_level,
        more_follows: next.is_some(),
        next_object_id: next.map_or(0, |(id, _)| *id),
        objects: DeviceObjects::from_list(sent),
    };
    let len = response.encoded_len();
    let mut w = Writer::new(buf, len)?;
    response.write(&mut w)?;
    Ok(w.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_split_with_more_follows() {
        let big = [b'x'; 100];
        let objects: &[(u8, &[u8])] = &[(0, &big), (1, &big), (2, &big), (3, b"tail")];
        let mut buf = [0u8; 253];
        let len = encode_device_identification(&mut buf, ReadDeviceIdCode::Regular, 2, objects, 0)
            .unwrap();
        // Two 102-byte objects fit in the 246 bytes left after the header; the third not.
        assert_eq!(len, 7 + 204);
        assert_eq!(&buf[4..7], [0xFF, 2, 2]);
        let len = encode_device_identification(&mut buf, ReadDeviceIdCode::Regular, 2, objects, 2)
            .unwrap();
        assert_eq!(len, 7 + 102 + 6);
        assert_eq!(&buf[4..7], [0x00, 0, 2]);
    }

    #[test]
    fn specific_sends_one_object_and_never_more_follows() {
        let objects: &[(u8, &[u8])] = &[(5, b"a"), (6, b"b")];
        let mut buf = [0u8; 16];
        let len =
            encode_device_identification(&mut buf, ReadDeviceIdCode::Specific, 0x81, objects, 1)
                .unwrap();
        assert_eq!(&buf[..len], [0x2B, 0x0E, 4, 0x81, 0, 0, 1, 6, 1, b'b']);
    }

    #[test]
    fn errors_name_the_problem() {
        let huge = [0u8; 245];
        let mut buf = [0u8; 253];
        assert_eq!(
            encode_device_identification(&mut buf, ReadDeviceIdCode::Basic, 1, &[(7, &huge)], 0),
            Err(EncodeError::ObjectTooLong { id: 7, len: 245 })
        );
        assert_eq!(
            encode_device_identification(&mut buf, ReadDeviceIdCode::Basic, 1, &[], 1),
            Err(EncodeError::ObjectIndex { first: 1, len: 0 })
        );
        assert_eq!(
            encode_device_identification(
                &mut buf[..8],
                ReadDeviceIdCode::Basic,
                1,
                &[(0, b"ab")],
                0
            ),
            Err(EncodeError::BufferTooSmall {
                needed: 11,
                available: 8
            })
        );
    }

    #[test]
    fn wire_objects_must_fill_their_bytes_exactly() {
        assert!(DeviceObjects::from_wire(0, &[]).is_ok());
        let broken = |index, offset| Err(ResponseError::DeviceObject { index, offset });
        assert_eq!(DeviceObjects::from_wire(0, &[1]), broken(0, 0));
        assert_eq!(DeviceObjects::from_wire(2, &[0, 0, 1]), broken(1, 2));
        let wire = DeviceObjects::from_wire(2, &[0, 1, b'a', 1, 0]).unwrap();
        let list = DeviceObjects::from_list(&[(0, b"a"), (1, b"")]);
        assert_eq!(wire, list);
        assert_eq!(format!("{wire:?}"), format!("{list:?}"));
    }
}
