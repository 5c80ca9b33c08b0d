//! The shape shared by [`FunctionCode`](super::FunctionCode) and
//! [`ExceptionCode`](super::ExceptionCode): a variant per code the spec defines, with its
//! wire code and its name, and one variant carrying any other code as is.

/// Writes such an enum from its table: the enum itself, `from_u8` and `value` (each the
/// other's inverse, for every `u8`), the private `name` (`None` for the catch-all, whose
/// `Display` each type words itself) and the `From` conversions both ways.
///
/// The catch-all comes first (the enum has it last; its field's type is the wire type,
/// `u8` or `u16`), then a row `Variant = code, "name";` per defined code after the
/// variant's doc, then the docs of the constructor from the wire type (`from_u8`,
/// `from_u16`) and of `value`.
macro_rules! code_enum {
    (
        $(#[$attr:meta])*
        pub enum $Enum:ident {
            $(#[$other_attr:meta])*
            $Other:ident($repr:ty),
            $(
                $(#[$variant_attr:meta])*
                $Variant:ident = $code:literal, $name:literal;
            )*
        }
        $(#[$from_attr:meta])*
        fn $from:ident;
        $(#[$value_attr:meta])*
        fn value;
    ) => {
        $(#[$attr])*
        pub enum $Enum {
            $(
                $(#[$variant_attr])*
                $Variant,
            )*
            $(#[$other_attr])*
            $Other($repr),
        }

        impl $Enum {
            $(#[$from_attr])*
            pub const fn $from(code: $repr) -> Self {
                match code {
                    $($code => Self::$Variant,)*
                    other => Self::$Other(other),
                }
            }

            $(#[$value_attr])*
            pub const fn value(self) -> $repr {
                match self {
                    $(Self::$Variant => $code,)*
                    Self::$Other(code) => code,
                }
            }

            /// The spec's name of the code, `None` for one it does not define.
            const fn name(self) -> Option<&'static str> {
                match self {
                    $(Self::$Variant => Some($name),)*
                    Self::$Other(_) => None,
                }
            }
        }

        impl From<$repr> for $Enum {
            fn from(code: $repr) -> Self {
                Self::$from(code)
            }
        }

        impl From<$Enum> for $repr {
            fn from(code: $Enum) -> Self {
                code.value()
            }
        }
    };
}

pub(super) use code_enum;

#[cfg(test)]
mod tests {
    use crate::{ExceptionCode, FunctionCode};

    #[test]
    fn every_code_round_trips() {
        for code in 0..=u8::MAX {
            assert_eq!(ExceptionCode::from_u8(code).value(), code);
            assert_eq!(FunctionCode::from_u8(code).value(), code);
        }
    }
}
