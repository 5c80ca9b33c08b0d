use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(holding = 4, order = "BADC")]
    step: Var<u8>,
}

fn main() {}
