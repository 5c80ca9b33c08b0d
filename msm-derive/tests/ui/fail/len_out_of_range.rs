use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(holding = 0, len = 124)]
    name: Var<String>,
}

fn main() {}
