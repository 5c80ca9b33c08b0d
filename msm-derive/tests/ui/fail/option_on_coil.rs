use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(coil = 0, bit = 1)]
    run: Var<bool>,
}

fn main() {}
