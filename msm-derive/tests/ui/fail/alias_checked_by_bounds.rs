//! Types the macro cannot see through are checked by the bounds of the generated code.
use msm::{Var, Vars};

type Level = f32;
type Flag = Var<u16>;
type Name = String;
type Step = u16;

#[derive(Vars)]
struct Pump {
    #[msm(coil = 0)]
    level: Var<Level>,
    #[msm(holding = 0, bit = 1)]
    flag: Flag,
    #[msm(holding = 1)]
    name: Var<Name>,
    #[msm(holding = 5, byte = "low")]
    step: Var<Step>,
    #[msm(holding = 6, len = 2)]
    total: Var<Step>,
    #[msm(holding = 8, order = "CDAB")]
    raw: Var<[Step; 2]>,
}

fn main() {}
