use msm::{Var, Vars};

const BASE: u16 = 100;

#[derive(Vars)]
struct Pump {
    #[msm(holding = "0")]
    a: Var<u16>,
    #[msm(holding = BASE)]
    b: Var<u16>,
    #[msm(holding)]
    c: Var<u16>,
    #[msm(holding = 3, order = CDAB)]
    d: Var<u32>,
}

fn main() {}
