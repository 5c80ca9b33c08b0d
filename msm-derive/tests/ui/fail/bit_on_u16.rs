use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(input = 0, bit = 3)]
    alarm: Var<u16>,
}

fn main() {}
