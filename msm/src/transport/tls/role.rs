//! The client's role (MODBUS/TCP Security R-21 … R-23, R-65): an X.509 extension with
//! OID 1.3.6.1.4.1.50316.802.1 holding one ASN.1 UTF8String, the whole string the role.

use x509_parser::der_parser::ber::BerObjectContent;
use x509_parser::der_parser::der::parse_der;

/// The role extension's OID, as the specification assigns it.
///
/// ```
/// assert_eq!(msm::transport::tls::ROLE_OID, "1.3.6.1.4.1.50316.802.1");
/// ```
pub const ROLE_OID: &str = "1.3.6.1.4.1.50316.802.1";

/// Why no role can be read from a certificate: the connection is refused.
///
/// ```
/// use msm::transport::tls::{RoleError, role_of};
/// assert!(matches!(role_of(b"not a certificate"), Err(RoleError::Certificate(_))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RoleError {
    /// The certificate does not parse as X.509.
    #[error("the client certificate is not valid X.509: {0}")]
    Certificate(String),
    /// More than one role extension (R-65: exactly one role per certificate).
    #[error(
        "the client certificate has {count} role extensions ({ROLE_OID}): a certificate carries \
         exactly one role; issue it again with one"
    )]
    TwoRoles {
        /// How many there are.
        count: usize,
    },
    /// The extension's value is not one DER UTF8String (R-22).
    #[error(
        "the client certificate's role extension ({ROLE_OID}) holds {found}, not an ASN.1 \
         UTF8String: issue it again with the role as UTF8String (openssl: ASN1:UTF8String:ROLE)"
    )]
    NotUtf8String {
        /// What it holds instead.
        found: String,
    },
}

/// The role of the certificate `der` (its end-entity, DER-encoded): `Ok(None)` when it
/// has no role extension (the NULL role of R-23).
///
/// ```
/// use msm::transport::tls::role_of;
/// let key = rcgen::KeyPair::generate()?;
/// let mut params = rcgen::CertificateParams::new(vec!["client".into()])?;
/// let role = rcgen::CustomExtension::from_oid_content(
///     &[1, 3, 6, 1, 4, 1, 50316, 802, 1],
///     [&[0x0C, 8][..], b"operator"].concat(), // UTF8String "operator"
/// );
/// params.custom_extensions.push(role);
/// let cert = params.self_signed(&key)?;
/// assert_eq!(role_of(cert.der())?, Some("operator".to_string()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn role_of(der: &[u8]) -> Result<Option<String>, RoleError> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| RoleError::Certificate(e.to_string()))?;
    let roles: Vec<&[u8]> = cert
        .extensions()
        .iter()
        .filter(|ext| ext.oid.to_id_string() == ROLE_OID)
        .map(|ext| ext.value)
        .collect();
    match roles.as_slice() {
        [] => Ok(None),
        [value] => utf8_string(value).map(Some),
        more => Err(RoleError::TwoRoles { count: more.len() }),
    }
}

fn utf8_string(value: &[u8]) -> Result<String, RoleError> {
    let not = |found: String| RoleError::NotUtf8String { found };
    let (rest, object) =
        parse_der(value).map_err(|e| not(format!("bytes that are not DER ({e})")))?;
    if !rest.is_empty() {
        return Err(not(format!("{} bytes after its value", rest.len())));
    }
    match object.content {
        BerObjectContent::UTF8String(role) => Ok(role.to_string()),
        _ => Err(not(format!("an ASN.1 {}", object.header.tag()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert_with(values: &[&[u8]]) -> Vec<u8> {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(vec!["c".into()]).expect("params");
        for v in values {
            params
                .custom_extensions
                .push(rcgen::CustomExtension::from_oid_content(
                    &[1, 3, 6, 1, 4, 1, 50316, 802, 1],
                    v.to_vec(),
                ));
        }
        params.self_signed(&key).expect("cert").der().to_vec()
    }

    #[test]
    fn one_utf8_string_is_the_role_anything_else_is_refused() {
        assert_eq!(role_of(&cert_with(&[])), Ok(None));
        assert_eq!(
            role_of(&cert_with(&[b"\x0c\x06viewer"])),
            Ok(Some("viewer".into()))
        );
        assert_eq!(
            role_of(&cert_with(&[b"\x0c\x06viewer", b"\x0c\x02op"])),
            Err(RoleError::TwoRoles { count: 2 })
        );
        // A PrintableString, a truncated value, trailing bytes.
        for bad in [&b"\x13\x06viewer"[..], b"\x0c\x09viewer", b"\x0c\x01v\x00"] {
            let err = role_of(&cert_with(&[bad])).expect_err("not a role");
            assert!(matches!(err, RoleError::NotUtf8String { .. }), "{err}");
        }
    }
}
