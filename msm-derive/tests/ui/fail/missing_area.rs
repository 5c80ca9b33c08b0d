use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(order = "CDAB")]
    total: Var<u32>,
    level: Var<f32>,
}

fn main() {}
