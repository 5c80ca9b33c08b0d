use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(holding = 4, byte = "high")]
    step: Var<u16>,
}

fn main() {}
