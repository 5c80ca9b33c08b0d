//! The derive's compile errors, each at the field or key at fault with its fix
//! (tests/ui/fail/*.rs against the .stderr beside each), and a struct with every
//! attribute that builds and runs (tests/ui/pass). After a deliberate change of a
//! message, `TRYBUILD=overwrite cargo test -p msm-derive --test ui` rewrites the .stderr
//! files; read the diff before committing it.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
