use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(holding = 1, order = "ACBD")]
    total: Var<u32>,
}

fn main() {}
