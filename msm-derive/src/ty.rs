//! What a field's type says, as far as tokens tell: `Var<T>` and, for the types msm knows
//! by name, which `T`. A type the macro cannot name (an alias, a path it does not know)
//! is left to the trait bounds of the generated code.

use syn::{Expr, GenericArgument, Lit, PathArguments, Type};

/// A value type recognised by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Known {
    /// `bool`.
    Bool,
    /// `u8` or `i8`.
    Byte(&'static str),
    /// A number of whole registers: `u16` ... `f64`.
    Number { name: &'static str, registers: u32 },
    /// `String`.
    Text,
    /// `Vec<u16>`.
    RawVec,
    /// `[u16; N]`, with `N` when it is a literal.
    RawArray(Option<u32>),
}

impl Known {
    /// The name as messages give it, in Rust terms.
    pub(crate) fn rust_name(self) -> String {
        match self {
            Known::Bool => "bool".into(),
            Known::Byte(name) | Known::Number { name, .. } => name.into(),
            Known::Text => "String".into(),
            Known::RawVec => "Vec<u16>".into(),
            Known::RawArray(Some(n)) => format!("[u16; {n}]"),
            Known::RawArray(None) => "[u16; N]".into(),
        }
    }

    /// True for the types a word order applies to (whole-register numbers and strings).
    pub(crate) fn takes_order(self) -> bool {
        matches!(self, Known::Number { .. } | Known::Text)
    }
}

/// `T` of `Var<T>` (written `Var<T>`, `msm::Var<T>` or `::msm::Var<T>`).
pub(crate) fn var_argument(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ungroup(ty) else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Var" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>()[..] {
        [GenericArgument::Type(t)] => Some(t),
        _ => None,
    }
}

/// The value type `ty` names, if it is one msm knows by name.
pub(crate) fn known(ty: &Type) -> Option<Known> {
    match ungroup(ty) {
        Type::Path(path) if path.qself.is_none() => {
            let last = path.path.segments.last()?;
            let name = last.ident.to_string();
            let bare = matches!(last.arguments, PathArguments::None);
            match (name.as_str(), bare) {
                ("bool", true) => Some(Known::Bool),
                ("u8", true) => Some(Known::Byte("u8")),
                ("i8", true) => Some(Known::Byte("i8")),
                ("String", true) => Some(Known::Text),
                ("Vec", false) => {
                    let PathArguments::AngleBracketed(args) = &last.arguments else {
                        return None;
                    };
                    match args.args.iter().collect::<Vec<_>>()[..] {
                        [GenericArgument::Type(t)] if is_u16(t) => Some(Known::RawVec),
                        _ => None,
                    }
                }
                (_, true) => number(&name),
                _ => None,
            }
        }
        Type::Array(array) if is_u16(&array.elem) => {
            let n = match &array.len {
                Expr::Lit(lit) => match &lit.lit {
                    Lit::Int(n) => n.base10_parse().ok(),
                    _ => None,
                },
                _ => None,
            };
            Some(Known::RawArray(n))
        }
        _ => None,
    }
}

fn number(name: &str) -> Option<Known> {
    let (name, registers) = match name {
        "u16" => ("u16", 1),
        "i16" => ("i16", 1),
        "u32" => ("u32", 2),
        "i32" => ("i32", 2),
        "f32" => ("f32", 2),
        "u64" => ("u64", 4),
        "i64" => ("i64", 4),
        "f64" => ("f64", 4),
        _ => return None,
    };
    Some(Known::Number { name, registers })
}

fn is_u16(ty: &Type) -> bool {
    matches!(ungroup(ty), Type::Path(p) if p.qself.is_none() && p.path.is_ident("u16"))
}

/// A type as written, without the invisible groups macros wrap around types.
fn ungroup(ty: &Type) -> &Type {
    match ty {
        Type::Group(g) => ungroup(&g.elem),
        Type::Paren(p) => ungroup(&p.elem),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> Type {
        syn::parse_str(text).expect("a type")
    }

    #[test]
    fn var_arguments_are_found_by_the_last_segment() {
        for text in ["Var<u16>", "msm::Var<u16>", "::msm::Var<u16>"] {
            let t = ty(text);
            assert_eq!(
                var_argument(&t).and_then(known),
                Some(number("u16").expect("u16"))
            );
        }
        assert!(var_argument(&ty("Vec<u16>")).is_none());
        assert!(var_argument(&ty("Var")).is_none());
        assert!(var_argument(&ty("Var<u16, u32>")).is_none());
    }

    #[test]
    fn the_value_types_are_known_by_name() {
        assert_eq!(known(&ty("bool")), Some(Known::Bool));
        assert_eq!(known(&ty("i8")), Some(Known::Byte("i8")));
        assert_eq!(
            known(&ty("f64")),
            Some(Known::Number {
                name: "f64",
                registers: 4
            })
        );
        assert_eq!(known(&ty("std::string::String")), Some(Known::Text));
        assert_eq!(known(&ty("Vec<u16>")), Some(Known::RawVec));
        assert_eq!(known(&ty("[u16; 4]")), Some(Known::RawArray(Some(4))));
        assert_eq!(known(&ty("[u16; N]")), Some(Known::RawArray(None)));
        // Left to the trait bounds: aliases, other element types.
        assert_eq!(known(&ty("Level")), None);
        assert_eq!(known(&ty("Vec<u8>")), None);
        assert_eq!(known(&ty("[u8; 4]")), None);
        assert_eq!(known(&ty("<X as Y>::u16")), None);
    }
}
