//! An array whose length the macro cannot read is checked when the layout is evaluated.
use msm::{Var, Vars};

const N: usize = 4;

#[derive(Vars)]
struct Pump {
    #[msm(holding = 65534)]
    raw: Var<[u16; N]>,
}

fn main() {}
