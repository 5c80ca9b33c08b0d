use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(input = 70000)]
    level: Var<u16>,
}

fn main() {}
