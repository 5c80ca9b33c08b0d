//! Device identification (FC43 / MEI 14): the objects a slave reports, and choosing
//! which of them answer a request.

use crate::protocol::{ExceptionCode, MAX_PDU_LEN, ReadDeviceIdCode, encode_device_identification};
use crate::types::{DeviceIdentity, Error, ServerId};

/// The answer to Report Server ID (FC17), made once: the server id (or the unit id the
/// request is addressed to), then the run indicator and additional data.
#[derive(Debug)]
pub(crate) struct ServerIdAnswer {
    id: Option<Vec<u8>>,
    /// The run indicator and the additional data.
    tail: Vec<u8>,
}

impl ServerIdAnswer {
    pub(crate) fn new(server_id: &ServerId) -> Result<ServerIdAnswer, Error> {
        server_id.check()?;
        let mut tail = vec![if server_id.run { 0xFF } else { 0x00 }];
        tail.extend_from_slice(&server_id.additional_data);
        Ok(ServerIdAnswer {
            id: server_id.id.clone(),
            tail,
        })
    }

    /// Writes the response PDU for a request addressed to `unit`.
    pub(crate) fn respond(&self, unit: u8, out: &mut [u8]) -> Result<usize, ExceptionCode> {
        let unit = [unit];
        let id = self.id.as_deref().unwrap_or(&unit);
        let len = id.len() + self.tail.len();
        let byte_count = u8::try_from(len).map_err(|_| ExceptionCode::ServerDeviceFailure)?;
        let pdu = out
            .get_mut(..2 + len)
            .ok_or(ExceptionCode::ServerDeviceFailure)?;
        let (head, rest) = pdu.split_at_mut(2);
        head.copy_from_slice(&[0x11, byte_count]);
        let (id_part, tail_part) = rest.split_at_mut(id.len());
        id_part.copy_from_slice(id);
        tail_part.copy_from_slice(&self.tail);
        Ok(2 + len)
    }
}

/// Longest object value: a response with only that object fills a PDU.
const MAX_OBJECT_LEN: usize = MAX_PDU_LEN - 7 - 2;

/// The objects, checked and sorted by id, ready to answer requests.
#[derive(Debug)]
pub(crate) struct Objects {
    list: Vec<(u8, Vec<u8>)>,
    conformity: u8,
}

impl Objects {
    pub(crate) fn new(id: &DeviceIdentity) -> Result<Objects, Error> {
        let mut list: Vec<(u8, Vec<u8>)> = vec![
            (0x00, id.vendor.clone().into_bytes()),
            (0x01, id.product_code.clone().into_bytes()),
            (0x02, id.revision.clone().into_bytes()),
        ];
        let regular = [
            (0x03, &id.vendor_url),
            (0x04, &id.product_name),
            (0x05, &id.model_name),
            (0x06, &id.user_application_name),
        ];
        list.extend(
            regular
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(i, v)| (*i, v.as_bytes().to_vec())),
        );
        for (i, value) in &id.extended {
            if *i < 0x80 {
                return Err(Error::Config(format!(
                    "device identification object {i:#04x} is not an extended object: \
                     use ids 0x80..=0xFF (0x00..=0x06 are the named fields of DeviceIdentity)"
                )));
            }
            if list.iter().any(|(j, _)| j == i) {
                return Err(Error::Config(format!(
                    "device identification object {i:#04x} is given twice: give each id once"
                )));
            }
            list.push((*i, value.clone()));
        }
        if let Some((i, v)) = list.iter().find(|(_, v)| v.len() > MAX_OBJECT_LEN) {
            return Err(Error::Config(format!(
                "device identification object {i:#04x} is {} bytes, over the {MAX_OBJECT_LEN} \
                 that fit in one response: shorten it",
                v.len()
            )));
        }
        list.sort_by_key(|(i, _)| *i);
        let conformity = match list.last().map_or(0, |(i, _)| *i) {
            0x80.. => 0x83,
            0x03.. => 0x82,
            _ => 0x81,
        };
        Ok(Objects { list, conformity })
    }

    /// Writes the response PDU into `out`: the request's category from `object_id` on
    /// (from the first object when `object_id` is not one of the category's), or the one
    /// object asked for (exception 02 if there is none).
    pub(crate) fn respond(
        &self,
        read_code: ReadDeviceIdCode,
        object_id: u8,
        out: &mut [u8],
    ) -> Result<usize, ExceptionCode> {
        let last = match read_code {
            ReadDeviceIdCode::Basic => 0x02,
            ReadDeviceIdCode::Regular => 0x7F,
            ReadDeviceIdCode::Extended | ReadDeviceIdCode::Specific => 0xFF,
        };
        // Borrowed views on the stack: the codec takes `(id, &[u8])` pairs, and building
        // them here keeps this path free of allocation.
        let mut views: [(u8, &[u8]); 256] = [(0, &[]); 256];
        let mut n = 0;
        for (slot, (i, value)) in views
            .iter_mut()
            .zip(self.list.iter().filter(|(i, _)| *i <= last))
        {
            *slot = (*i, value.as_slice());
            n += 1;
        }
        let views = views.get(..n).unwrap_or_default();
        let found = views.iter().position(|(i, _)| *i == object_id);
        let first = match (read_code, found) {
            (_, Some(first)) => first,
            (ReadDeviceIdCode::Specific, None) => return Err(ExceptionCode::IllegalDataAddress),
            (_, None) => 0,
        };
        encode_device_identification(out, read_code, self.conformity, views, first)
            .map_err(|_| ExceptionCode::ServerDeviceFailure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Response, Response::ReadDeviceIdentification as Rdi};

    fn ids(
        objects: &Objects,
        code: ReadDeviceIdCode,
        from: u8,
    ) -> Result<(Vec<u8>, bool, u8), ExceptionCode> {
        let mut out = [0u8; MAX_PDU_LEN];
        let n = objects.respond(code, from, &mut out)?;
        let Ok(Rdi(id)) = Response::decode(&out[..n]) else {
            panic!("not a device id response")
        };
        Ok((
            id.objects.iter().map(|(i, _)| i).collect(),
            id.more_follows,
            id.next_object_id,
        ))
    }

    #[test]
    fn categories_specific_objects_and_restart() {
        let objects = Objects::new(&DeviceIdentity {
            product_name: "P".into(),
            extended: vec![(0x90, b"x".to_vec())],
            ..DeviceIdentity::default()
        })
        .expect("valid");
        use ReadDeviceIdCode::*;
        assert_eq!(ids(&objects, Basic, 0), Ok((vec![0, 1, 2], false, 0)));
        assert_eq!(ids(&objects, Regular, 0), Ok((vec![0, 1, 2, 4], false, 0)));
        assert_eq!(
            ids(&objects, Extended, 0),
            Ok((vec![0, 1, 2, 4, 0x90], false, 0))
        );
        assert_eq!(ids(&objects, Basic, 1), Ok((vec![1, 2], false, 0)));
        // Not an object of the category: start again from the first.
        assert_eq!(ids(&objects, Basic, 4), Ok((vec![0, 1, 2], false, 0)));
        assert_eq!(ids(&objects, Specific, 0x90), Ok((vec![0x90], false, 0)));
        assert_eq!(
            ids(&objects, Specific, 3),
            Err(ExceptionCode::IllegalDataAddress)
        );
        assert_eq!(objects.conformity, 0x83);
    }

    #[test]
    fn long_lists_say_more_follows() {
        let big = vec![b'x'; 200];
        let objects = Objects::new(&DeviceIdentity {
            extended: vec![(0x80, big.clone()), (0x81, big)],
            ..DeviceIdentity::default()
        })
        .expect("valid");
        let (first, more, next) = ids(&objects, ReadDeviceIdCode::Extended, 0).expect("ok");
        assert_eq!((first, more, next), (vec![0, 1, 2, 0x80], true, 0x81));
        assert_eq!(
            ids(&objects, ReadDeviceIdCode::Extended, 0x81),
            Ok((vec![0x81], false, 0))
        );
    }

    #[test]
    fn bad_identities_are_explained() {
        for bad in [
            DeviceIdentity {
                extended: vec![(0x10, vec![])],
                ..DeviceIdentity::default()
            },
            DeviceIdentity {
                extended: vec![(0x80, vec![]), (0x80, vec![])],
                ..DeviceIdentity::default()
            },
            DeviceIdentity {
                vendor: "v".repeat(245),
                ..DeviceIdentity::default()
            },
        ] {
            let err = Objects::new(&bad).expect_err("refused").to_string();
            assert!(err.contains("device identification object"), "{err}");
        }
    }
}
