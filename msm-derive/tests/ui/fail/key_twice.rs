use msm::{Var, Vars};

#[derive(Vars)]
#[msm(order = "CDAB")]
struct Pump {
    #[msm(holding = 0)]
    #[msm(holding = 1)]
    level: Var<u16>,
}

fn main() {}
