use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(holding = 3)]
    alarm: Var<bool>,
}

fn main() {}
