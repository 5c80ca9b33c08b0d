use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(holding = 65535)]
    total: Var<u32>,
}

fn main() {}
