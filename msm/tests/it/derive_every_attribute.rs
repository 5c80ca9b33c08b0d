//! `#[derive(msm::Vars)]` from a crate that uses msm: the struct with every
//! attribute, the struct-level order, names, raw registers and aliases builds, and
//! memory, declare, map and to_toml agree. (The derive's compile errors are
//! msm-derive's tests/ui, checked by trybuild.)

use msm::{Area, AreaSpec, Byte, Memory, Order, Var, Vars};

type Level = f32;

#[derive(Vars)]
#[rustfmt::skip]
struct Pump {
    #[msm(holding = 0)]                 setpoint: Var<u16>,
    #[msm(holding = 1, order = "CDAB")] total: Var<u32>,
    #[msm(holding = 3, bit = 0)]        alarm: Var<bool>,
    #[msm(holding = 4, byte = "high")]  step: Var<u8>,
    #[msm(holding = 8, len = 4)]        name: Var<String>,
    #[msm(input = 0)]                   level: Var<f32>,
    #[msm(coil = 0)]                    run: Var<bool>,
    #[msm(discrete = 0)]                ready: Var<bool>,
}

/// Everything else: the struct's order, `name`, low bytes, raw registers, aliases, paths.
#[derive(msm::Vars)]
#[msm(order = "dcba")]
#[rustfmt::skip]
struct Plant {
    #[msm(input = 100, name = "PLANT.LEVEL")]  level: msm::Var<Level>,
    #[msm(input = 102, byte = "low")]          low: ::msm::Var<i8>,
    #[msm(input = 102, byte = "high")]         high: Var<i8>,
    #[msm(input = 103)]                        plain: Var<u8>,
    #[msm(holding = 10, order = "ABCD")]       energy: Var<u64>,
    #[msm(holding = 14)]                       power: Var<f64>,
    #[msm(holding = 18)]                       signed: Var<i16>,
    #[msm(holding = 19)]                       wide: Var<i32>,
    #[msm(holding = 21)]                       huge: Var<i64>,
    #[msm(holding = 25, len = 2)]              raw: Var<Vec<u16>>,
    #[msm(holding = 27)]                       block: Var<[u16; 3]>,
    #[msm(holding = 30, len = 1, order = "BADC")] tag: Var<String>,
    #[msm(input = 110, bit = 15)]              r#type: Var<bool>,
    #[msm(coil = 65535)]                       last: Var<bool>,
    #[msm(discrete = 7)]                       door: Var<bool>,
}

fn every_attribute() -> Result<(), Box<dyn std::error::Error>> {
    // The program.
    let mem: Memory = Pump::memory();
    let pump: Pump = Pump::declare(&mem)?;
    let map: msm::Map = Pump::map();
    let toml: String = map.to_toml();
    assert_eq!(msm::Map::from_toml_str(&toml)?, map);
    assert_eq!(mem.spec(Area::Holding), AreaSpec::new(0, 12));
    assert_eq!(mem.spec(Area::Input), AreaSpec::new(0, 2));
    pump.total.set(0x0001_0002)?;
    assert_eq!(mem.holding_raw(1, 2)?.get(), [2, 1]);
    pump.alarm.set(true)?;
    pump.step.set(0xAB)?;
    assert_eq!(mem.holding::<u16>(3)?.get(), 1);
    assert_eq!(mem.holding::<u16>(4)?.get(), 0xAB00);
    pump.name.set("P-101".into())?;
    pump.level.set(1.5)?;
    pump.run.set(true)?;
    pump.ready.set(true)?;
    pump.setpoint.set(7)?;
    // The map's memory holds the same values at the same places.
    let mm = map.build()?;
    let again = Pump::declare(mm.memory())?;
    again.name.set("P-101".into())?;
    assert_eq!(mm.find("NAME")?.get().to_string(), "P-101");
    assert_eq!(map.var("STEP").map(|v| v.byte), Some(Some(Byte::High)));

    // The rest.
    let mem = Plant::memory();
    assert_eq!(mem.default_order(), Order::DCBA);
    assert_eq!(mem.spec(Area::Input), AreaSpec::new(100, 11));
    assert_eq!(mem.spec(Area::Holding), AreaSpec::new(10, 21));
    assert_eq!(mem.spec(Area::Coil), AreaSpec::new(65535, 1));
    assert_eq!(mem.spec(Area::Discrete), AreaSpec::new(7, 1));
    let plant = Plant::declare(&mem)?;
    assert_eq!(plant.level.word_order(), Order::DCBA);
    assert_eq!(plant.energy.word_order(), Order::ABCD);
    plant.low.set(-1)?;
    plant.high.set(1)?;
    assert_eq!(mem.input_raw(102, 1)?.get(), [0x01FF]);
    plant.plain.set(5)?;
    assert_eq!(mem.input_raw(103, 1)?.get(), [5]);
    plant.raw.set(vec![1, 2])?;
    plant.block.set([3, 4, 5])?;
    plant.tag.set("AB".into())?;
    assert_eq!(mem.holding_raw(25, 6)?.get(), [1, 2, 3, 4, 5, 0x4241]);
    plant.r#type.set(true)?;
    assert_eq!(mem.input_raw(110, 1)?.get(), [0x8000]);
    plant.last.set(true)?;
    plant.door.set(true)?;
    plant.signed.set(-2)?;
    plant.wide.set(-3)?;
    plant.huge.set(-4)?;
    plant.power.set(0.25)?;

    let map = Plant::map();
    let names: Vec<&str> = map.vars().iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "PLANT.LEVEL",
            "LOW",
            "HIGH",
            "PLAIN",
            "ENERGY",
            "POWER",
            "SIGNED",
            "WIDE",
            "HUGE",
            "TAG",
            "TYPE",
            "LAST",
            "DOOR"
        ]
    );
    let toml = map.to_toml();
    assert!(
        toml.contains("\"PLANT.LEVEL\" = { area = \"input\", address = 100, type = \"f32\" }"),
        "{toml}"
    );
    assert_eq!(msm::Map::from_toml_str(&toml)?, map);

    // A memory a size too small: the usual error, naming the field.
    let small = Memory::builder().holding_registers(12).build()?;
    match Pump::declare(&small) {
        Err(msm::Error::OutOfRange {
            area: Area::Input,
            address: 0,
            ..
        }) => {}
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("declared on a memory without input registers"),
    }
    Ok(())
}

fn every_attribute_builds_and_agrees_with_the_map() {
    every_attribute().expect("every attribute");
}

pub(crate) const TESTS: &[crate::Test] = &[crate::Test {
    name: "every_attribute_builds_and_agrees_with_the_map",
    run: every_attribute_builds_and_agrees_with_the_map,
    needs: &[],
}];
