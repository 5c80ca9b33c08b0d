use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(holding = 4, byte = "low", len = 2)]
    step: Var<u8>,
}

fn main() {}
