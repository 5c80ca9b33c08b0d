use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(coil = 0)]
    level: Var<f32>,
}

fn main() {}
