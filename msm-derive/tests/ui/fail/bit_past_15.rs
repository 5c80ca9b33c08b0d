use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(holding = 3, bit = 16)]
    alarm: Var<bool>,
}

fn main() {}
