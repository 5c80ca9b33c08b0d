use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(holding = 0)]
    level: Var<u16>,
    #[msm(input = 0, name = "LEVEL")]
    measured: Var<f32>,
}

fn main() {}
