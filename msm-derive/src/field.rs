//! One field: its keys checked against each other and against its type, as far as the
//! tokens tell, into what the generated code declares.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::{Field, Ident, Type};

use crate::Errors;
use crate::attr::{self, Area, FieldAttrs, Given};
use crate::ty::{self, Known};

/// How a field is declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A coil or discrete input.
    Bits,
    /// `bit = N` of a register.
    RegisterBit(u8),
    /// `byte = "low" | "high"` (true for high).
    Byte(bool),
    /// Registers by address alone.
    Registers,
    /// `len = N` registers.
    Len(u16),
}

/// A field, checked.
pub(crate) struct Plan<'a> {
    pub(crate) ident: &'a Ident,
    /// The field's type, `Var<T>`.
    pub(crate) ty: &'a Type,
    pub(crate) name: String,
    pub(crate) name_span: Span,
    pub(crate) area: Area,
    pub(crate) address: u16,
    /// The area key, where errors about the address point.
    pub(crate) area_span: Span,
    pub(crate) kind: Kind,
    pub(crate) order: Option<&'static str>,
}

/// Checks a field's keys; `None` when an error was pushed.
pub(crate) fn plan<'a>(field: &'a Field, errors: &mut Errors) -> Option<Plan<'a>> {
    let ident = field.ident.as_ref()?;
    let mut local = Errors::default();
    let attrs = attr::field(&field.attrs, &mut local);
    if local.take().map(|e| errors.push(e)).is_some() {
        return None;
    }
    let inner = ty::var_argument(&field.ty);
    let known = inner.and_then(ty::known);
    if let (None, Some(bare)) = (inner, ty::known(&field.ty)) {
        let t = bare.rust_name();
        errors.at(
            &field.ty,
            format!(
                "field `{ident}` is a `{t}`: a field of a `#[derive(Vars)]` struct is a variable on the memory; declare it as `Var<{t}>`"
            ),
        );
        return None;
    }
    let Some(Given {
        value: (area, address),
        span: area_span,
    }) = attrs.area
    else {
        errors.at(
            ident,
            format!(
                "field `{ident}` has no area: every field of a `#[derive(Vars)]` struct is a \
                 variable; add #[msm(holding = ADDRESS)], or input, coil or discrete"
            ),
        );
        return None;
    };
    // Where a type error points: `T` of `Var<T>`, else the whole type.
    let type_tokens: &dyn quote::ToTokens = match inner {
        Some(t) => t,
        None => &field.ty,
    };
    let kind = if area.is_bits() {
        bits_kind(&attrs, area, address, known, type_tokens, errors)?
    } else {
        register_kind(&attrs, area, known, type_tokens, errors)?
    };
    if let Some(known) = known {
        check_end(known, kind, area, address, area_span, errors)?;
    }
    let (name, name_span) = match &attrs.name {
        Some(given) => (given.value.clone(), given.span),
        None => (ident.unraw().to_string().to_uppercase(), ident.span()),
    };
    Some(Plan {
        ident,
        ty: &field.ty,
        name,
        name_span,
        area,
        address,
        area_span,
        kind,
        order: attrs.order.map(|o| o.value),
    })
}

fn bits_kind(
    attrs: &FieldAttrs,
    area: Area,
    address: u16,
    known: Option<Known>,
    type_tokens: &dyn quote::ToTokens,
    errors: &mut Errors,
) -> Option<Kind> {
    let what = if area == Area::Coil {
        "a coil"
    } else {
        "a discrete input"
    };
    if let Some((key, span)) = options(attrs).first() {
        errors.push(syn::Error::new(
            *span,
            format!(
                "`{key}` does not apply to {what}, which is a single bit already: remove `{key}`"
            ),
        ));
        return None;
    }
    match known {
        Some(Known::Bool) | None => Some(Kind::Bits),
        Some(other) => {
            let registers = if area == Area::Coil {
                "holding"
            } else {
                "input"
            };
            errors.at(
                type_tokens,
                format!(
                    "a `Var<{}>` cannot be {what}: {} hold single bits; declare the field as \
                     `Var<bool>`, or put the value in registers with {registers} = {address}",
                    other.rust_name(),
                    area.plural()
                ),
            );
            None
        }
    }
}

fn register_kind(
    attrs: &FieldAttrs,
    area: Area,
    known: Option<Known>,
    type_tokens: &dyn quote::ToTokens,
    errors: &mut Errors,
) -> Option<Kind> {
    let t = known.map(Known::rust_name).unwrap_or_default();
    let mut fail = |e: syn::Error| {
        errors.push(e);
        None
    };
    let at_key = |span: Span, message: String| syn::Error::new(span, message);
    let at_type = |message: String| syn::Error::new_spanned(type_tokens, message);
    // The key that decides the kind, then the keys that do not go with it.
    let (kind, key) = if let Some(bit) = &attrs.bit {
        (Kind::RegisterBit(bit.value), Some(("bit", bit.span)))
    } else if let Some(byte) = &attrs.byte {
        (Kind::Byte(byte.value), Some(("byte", byte.span)))
    } else if let Some(len) = &attrs.len {
        (Kind::Len(len.value), Some(("len", len.span)))
    } else {
        (Kind::Registers, None)
    };
    if let Some((decider, _)) = key {
        for (other, span) in options(attrs) {
            let applies = other == decider || (decider == "len" && other == "order");
            if !applies {
                let what = match decider {
                    "bit" => "a bit of a register (`bit`), which is a `Var<bool>`",
                    "byte" => "a byte of a register (`byte`), which is a `Var<u8>` or `Var<i8>`",
                    _ => "a field of `len` registers",
                };
                let message = format!("`{other}` does not apply to {what}: remove `{other}`");
                return fail(at_key(span, message));
            }
        }
    }
    match (kind, known) {
        (_, None) => {}
        (Kind::RegisterBit(bit), Some(k)) if k != Known::Bool => {
            return fail(at_type(format!(
                "`bit = {bit}` makes the field one bit of a register, so it is a \
                     `Var<bool>`, not a `Var<{t}>`: declare it `Var<bool>`, or remove `bit` \
                     to use the whole register"
            )));
        }
        (Kind::Byte(_), Some(k)) if !matches!(k, Known::Byte(_)) => {
            return fail(at_type(format!(
                "`byte` makes the field one byte of a register, so it is a `Var<u8>` or \
                     `Var<i8>`, not a `Var<{t}>`: declare it `Var<u8>` or `Var<i8>`, or \
                     remove `byte` to use whole registers"
            )));
        }
        (Kind::Len(_), Some(k)) if !matches!(k, Known::Text | Known::RawVec) => {
            let size = match k {
                Known::Bool => "is one bit".to_string(),
                Known::Byte(_) => "is one byte of a register".to_string(),
                Known::Number { registers: 1, .. } => "has a fixed size, 1 register".to_string(),
                Known::Number { registers, .. } => {
                    format!("has a fixed size, {registers} registers")
                }
                _ => "has a fixed size, its array's length".to_string(),
            };
            return fail(at_key(
                attrs.len.as_ref().map_or_else(Span::call_site, |l| l.span),
                format!(
                    "`len` applies to a `Var<String>` (or raw registers, `Var<Vec<u16>>`) only: \
                     a `Var<{t}>` {size}; remove `len`"
                ),
            ));
        }
        (Kind::Registers, Some(Known::Bool)) => {
            let bits = if area == Area::Holding {
                "coil"
            } else {
                "discrete"
            };
            return fail(at_type(format!(
                "a `Var<bool>` in {} is one bit of a register: add `bit = 0..=15` (0 the \
                     least significant), or make it a {bits} ({bits} = ADDRESS)",
                area.plural()
            )));
        }
        (Kind::Registers, Some(Known::Text)) => {
            return fail(at_type(
                "a `Var<String>` needs its size: add `len = REGISTERS` (two characters each), \
                 such as len = 4"
                    .to_string(),
            ));
        }
        (Kind::Registers, Some(Known::RawVec)) => {
            return fail(at_type(
                "a `Var<Vec<u16>>` needs its size: add `len = REGISTERS`, or declare it as \
                 `Var<[u16; N]>`"
                    .to_string(),
            ));
        }
        (Kind::Registers | Kind::Len(_), Some(k)) => {
            if let (Some(order), false) = (&attrs.order, k.takes_order()) {
                let why = match k {
                    Known::Byte(_) => "it is one byte of a register",
                    _ => "raw registers are read and written as they are",
                };
                return fail(at_key(
                    order.span,
                    format!(
                        "`order` does not apply to a `Var<{t}>`: {why}; a word order applies \
                         to numbers of whole registers (u16 and wider) and to strings; remove \
                         `order`"
                    ),
                ));
            }
        }
        _ => {}
    }
    Some(kind)
}

/// The options given (everything but the area and the name), with their keys.
fn options(attrs: &FieldAttrs) -> Vec<(&'static str, Span)> {
    let mut out = Vec::new();
    if let Some(g) = &attrs.order {
        out.push(("order", g.span));
    }
    if let Some(g) = &attrs.bit {
        out.push(("bit", g.span));
    }
    if let Some(g) = &attrs.byte {
        out.push(("byte", g.span));
    }
    if let Some(g) = &attrs.len {
        out.push(("len", g.span));
    }
    out
}

/// A field whose size the macro knows must end by address 65535, and a raw array must
/// span 1..=123 registers. (Other sizes are checked by the generated code.)
fn check_end(
    known: Known,
    kind: Kind,
    area: Area,
    address: u16,
    span: Span,
    errors: &mut Errors,
) -> Option<()> {
    let items = match (kind, known) {
        (Kind::Bits | Kind::RegisterBit(_) | Kind::Byte(_), _) => 1,
        (Kind::Len(n), _) => u32::from(n),
        (_, Known::Byte(_)) => 1,
        (_, Known::Number { registers, .. }) => registers,
        (_, Known::RawArray(Some(n))) => {
            if !(1..=123).contains(&n) {
                errors.push(syn::Error::new(
                    span,
                    format!(
                        "a `Var<[u16; {n}]>` spans {n} registers: a variable spans 1..=123 \
                         registers, so that it is read and written whole in one Modbus request"
                    ),
                ));
                return None;
            }
            n
        }
        _ => return Some(()),
    };
    if u32::from(address) + items > 65536 {
        errors.push(syn::Error::new(
            span,
            format!(
                "a `Var<{}>` of {items} registers at {} address {address} would end past \
                 address 65535: use an address up to {}",
                known.rust_name(),
                area.plural(),
                65536 - items
            ),
        ));
        return None;
    }
    Some(())
}
