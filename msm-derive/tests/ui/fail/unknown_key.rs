use msm::{Var, Vars};

#[derive(Vars)]
struct Pump {
    #[msm(hodling = 0)]
    setpoint: Var<u16>,
    #[msm(holding = 1, lenght = 4)]
    name: Var<String>,
    #[msm(holding = 5, adress = 1)]
    other: Var<u16>,
    #[msm(area = "holding")]
    mapped: Var<u16>,
    #[msm(holding = 6, Order = "CDAB")]
    total: Var<u32>,
}

fn main() {}
