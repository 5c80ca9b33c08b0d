use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(discrete = 3)]
    state: Var<u16>,
}

fn main() {}
