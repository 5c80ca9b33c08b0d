use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(holding = 8)]
    name: Var<String>,
}

fn main() {}
