use msm::{Var, Vars};

#[derive(Vars)]
struct Tuple(#[msm(holding = 0)] Var<u16>);

#[derive(Vars)]
enum Pump {
    Running,
}

#[derive(Vars)]
struct Generic<T> {
    #[msm(holding = 0)]
    level: Var<T>,
}

fn main() {}
