use msm::{Var, Vars};

#[derive(Vars)]
#[msm(holding = 0, oder = "CDAB")]
struct Pump {
    #[msm(holding = 0)]
    level: Var<u16>,
}

fn main() {}
