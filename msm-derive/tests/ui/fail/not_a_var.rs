use msm::Vars;

#[derive(Vars)]
struct Pump {
    #[msm(holding = 0)]
    level: u16,
}

fn main() {}
