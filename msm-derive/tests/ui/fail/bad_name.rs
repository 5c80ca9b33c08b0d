use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(holding = 0, name = "SET POINT")]
    setpoint: Var<u16>,
}

fn main() {}
