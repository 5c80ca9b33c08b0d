use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(holding = 0, len = 2)]
    total: Var<u32>,
}

fn main() {}
