use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(holding = 0, input = 0)]
    level: Var<u16>,
}

fn main() {}
