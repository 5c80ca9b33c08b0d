//! The `msm` command line.
#![forbid(unsafe_code)]

fn main() {
    println!("msm: under construction");
}
