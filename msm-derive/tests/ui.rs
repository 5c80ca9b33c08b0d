//! The derive's compile errors, each at the field or key at fault with its fix
//! (tests/ui/fail/*.rs against the .stderr beside each). A struct with every attribute
//! that builds and runs is msm's `derive_every_attribute` test: with only compile-fail
//! cases trybuild checks (`cargo check`) instead of building msm and its dependencies
//! a second time in its own target directory. After a deliberate change of a message,
//! `TRYBUILD=overwrite cargo test -p msm-derive --test ui` rewrites the .stderr files;
//! read the diff before committing it.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
}
