//! The generated code: an `impl msm::Vars` whose layout is a constant, one compile-time
//! check per field that it fits the address space, and the declarations.
//!
//! Every path is absolute (`::msm::...`), so the derive works whatever the user imports.
//! The value type of each field is `<FieldType as VarField>::Value`: the trait bounds of
//! the layout's constructors then check the types the macro cannot name (aliases).

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields};

use crate::Errors;
use crate::attr::{self, Area};
use crate::field::{self, Kind, Plan};

pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let expanded = expand(input, &mut errors);
    match errors.take() {
        None => expanded,
        Some(e) => {
            // The errors, and an impl that keeps them the only ones: uses of
            // `Pump::memory()` elsewhere would otherwise add their own.
            let ident = &input.ident;
            let (generics, arguments, bounds) = input.generics.split_for_impl();
            let errors = e.to_compile_error();
            quote! {
                #errors
                const _: () = {
                    #[automatically_derived]
                    impl #generics ::msm::Vars for #ident #arguments #bounds {
                        const LAYOUT: ::msm::__derive::Layout =
                            ::msm::__derive::Layout::new("", ::core::option::Option::None, &[]);
                        fn declare(_: &::msm::Memory) -> ::msm::Result<Self> {
                            ::core::unimplemented!()
                        }
                    }
                };
            }
        }
    }
}

fn expand(input: &DeriveInput, errors: &mut Errors) -> TokenStream {
    let ident = &input.ident;
    let fields = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) => &named.named,
            other => {
                errors.at(
                    other,
                    "`#[derive(Vars)]` needs named fields, one per variable: \
                     struct Pump { #[msm(holding = 0)] setpoint: Var<u16> }",
                );
                return TokenStream::new();
            }
        },
        _ => {
            errors.push(syn::Error::new(
                Span::call_site(),
                "`#[derive(Vars)]` applies to a struct with named fields, one per variable: \
                 struct Pump { #[msm(holding = 0)] setpoint: Var<u16> }",
            ));
            return TokenStream::new();
        }
    };
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        errors.at(
            &input.generics,
            "a `#[derive(Vars)]` struct cannot be generic: its fields are the variables of one \
             fixed layout; remove the generic parameters",
        );
    }
    let struct_attrs = attr::structure(&input.attrs, errors);
    let plans: Vec<Plan<'_>> = fields
        .iter()
        .filter_map(|f| field::plan(f, errors))
        .collect();
    check_names(&plans, errors);

    let struct_name = ident.to_string();
    let struct_order = option(struct_attrs.order.map(|o| order(o.value)));
    let layout_fields = plans.iter().map(|p| layout_field(&struct_name, p));
    let declarations = plans.iter().enumerate().map(|(i, p)| {
        let (field, ty) = (p.ident, p.ty);
        quote_spanned! {ty.span()=> #field: layout.declare::<#ty>(#i, mem)? }
    });
    let fits = plans.iter().enumerate().map(|(i, p)| {
        let message = format!(
            "`{struct_name}::{}` does not fit at {} address {}: a variable ends by address \
             65535 and spans 1..=123 registers; use a lower address or a smaller type",
            p.ident,
            p.area.plural(),
            p.address
        );
        quote_spanned! {p.area_span=>
            const _: () = if !<#ident as ::msm::Vars>::LAYOUT.fits(#i) {
                ::core::panic!(#message)
            };
        }
    });
    quote! {
        const _: () = {
            #[automatically_derived]
            impl ::msm::Vars for #ident {
                const LAYOUT: ::msm::__derive::Layout = ::msm::__derive::Layout::new(
                    #struct_name,
                    #struct_order,
                    &[#(#layout_fields),*],
                );

                fn declare(mem: &::msm::Memory) -> ::msm::Result<Self> {
                    let layout = &<Self as ::msm::Vars>::LAYOUT;
                    ::core::result::Result::Ok(Self { #(#declarations),* })
                }
            }
            #(#fits)*
        };
    }
}

/// Names are unique in a map, so in a struct.
fn check_names(plans: &[Plan<'_>], errors: &mut Errors) {
    for (i, p) in plans.iter().enumerate() {
        if let Some(first) = plans[..i].iter().find(|q| q.name == p.name) {
            errors.push(syn::Error::new(
                p.name_span,
                format!(
                    "fields `{}` and `{}` are both named {} in the map: names are unique; \
                     give one of them #[msm(name = \"...\")]",
                    first.ident, p.ident, p.name
                ),
            ));
        }
    }
}

/// One `Field` of the layout, built by the constructor whose bounds fit its kind.
fn layout_field(struct_name: &str, p: &Plan<'_>) -> TokenStream {
    let field = format!("{struct_name}::{}", p.ident);
    let name = &p.name;
    let area = match p.area {
        Area::Holding => quote!(Holding),
        Area::Input => quote!(Input),
        Area::Coil => quote!(Coil),
        Area::Discrete => quote!(Discrete),
    };
    let address = p.address;
    let place = quote! {
        ::msm::__derive::Place::new(#field, #name, ::msm::Area::#area, #address)
    };
    let field_ty = p.ty;
    // Spanned at the field's type, so that a bound not met points there.
    let value = quote_spanned! {field_ty.span()=>
        <#field_ty as ::msm::__derive::VarField>::Value
    };
    let order = p.order.map(order);
    let call = match (p.kind, order) {
        (Kind::Bits, _) => quote!(bits::<#value>(#place)),
        (Kind::RegisterBit(bit), _) => quote!(register_bit::<#value>(#place, #bit)),
        (Kind::Byte(high), _) => {
            let byte = if high { quote!(High) } else { quote!(Low) };
            quote!(byte::<#value>(#place, ::msm::Byte::#byte))
        }
        (Kind::Registers, None) => quote!(registers::<#value>(#place)),
        (Kind::Registers, Some(order)) => quote!(ordered::<#value>(#place, #order)),
        (Kind::Len(len), None) => {
            let len = usize::from(len);
            quote!(len::<#value>(#place, #len))
        }
        (Kind::Len(len), Some(order)) => {
            let len = usize::from(len);
            quote!(ordered_len::<#value>(#place, #len, #order))
        }
    };
    quote_spanned! {field_ty.span()=> ::msm::__derive::Field::#call }
}

fn order(name: &str) -> TokenStream {
    let variant = syn::Ident::new(name, Span::call_site());
    quote!(::msm::Order::#variant)
}

fn option(value: Option<TokenStream>) -> TokenStream {
    match value {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    }
}
