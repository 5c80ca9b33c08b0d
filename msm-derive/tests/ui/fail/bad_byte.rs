use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(holding = 4, byte = "middle")]
    step: Var<u8>,
}

fn main() {}
