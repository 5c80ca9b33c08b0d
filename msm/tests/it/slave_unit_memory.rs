//! One slave serving several units, each from a memory of its own
//! (`Slave::unit_memory`): reads and writes land in the unit's memory, addresses are
//! checked against that memory's areas, and unknown units are not served.

use msm::master::Fault;
use msm::protocol::ExceptionCode;
use msm::{Error, Master, Memory, Slave};
use std::time::Duration;

fn each_unit_is_served_from_its_own_memory() -> msm::Result<()> {
    let small = Memory::new(2);
    let large = Memory::builder().holding_registers_at(100, 50).build()?;
    small.holding::<u16>(1)?.set(11)?;
    large.holding::<u32>(140)?.set(70_000)?;
    let slave = Slave::tcp("127.0.0.1:0")
        .unit_memory(3, small.clone())
        .unit_memory(200, large.clone())
        .unknown_unit_exception(true)
        .serve(Memory::new(0))?;

    let (mine_small, mine_large) = (
        Memory::new(2),
        Memory::builder().holding_registers_at(100, 50).build()?,
    );
    let master = Master::tcp(slave.local_addr())
        .unit(3)
        .with_unit(200, mine_large.clone())
        .start(mine_small.clone())?;
    master.sync()?;
    assert_eq!(mine_small.holding::<u16>(1)?.get(), 11);
    assert_eq!(mine_large.holding::<u32>(140)?.get(), 70_000);

    mine_large.holding::<u16>(100)?.set(5)?;
    mine_small.holding::<u16>(0)?.set(6)?;
    master.flush()?;
    assert_eq!(large.holding::<u16>(100)?.get(), 5);
    assert_eq!(small.holding::<u16>(0)?.get(), 6);
    // Each write went to its own unit only.
    assert_eq!(small.holding::<u16>(1)?.get(), 11);
    Ok(())
}

fn addresses_are_checked_against_the_units_memory_and_other_units_are_refused() -> msm::Result<()> {
    let slave = Slave::tcp("127.0.0.1:0")
        .unit_memory(1, Memory::new(2))
        .unit_memory(2, Memory::new(10))
        .unknown_unit_exception(true)
        .serve(Memory::new(10))?;
    // Registers 0..10 exist on unit 2, not on unit 1 (2 registers).
    let ten = || Memory::new(10);
    let two = Master::tcp(slave.local_addr()).unit(2).start(ten())?;
    two.sync()?;
    let one = Master::tcp(slave.local_addr())
        .unit(1)
        .response_timeout(Duration::from_secs(5))
        .start(ten())?;
    let Err(Error::Block(e)) = one.sync() else {
        panic!("unit 1 answered for registers it does not have")
    };
    assert_eq!(
        e.fault,
        Fault::Exception {
            code: ExceptionCode::IllegalDataAddress
        }
    );
    // Unit 3 has no memory and was not named: not served, even though serve() got one.
    let three = Master::tcp(slave.local_addr()).unit(3).start(ten())?;
    let Err(Error::Block(e)) = three.sync() else {
        panic!("unit 3 was served")
    };
    assert_eq!(
        e.fault,
        Fault::Exception {
            code: ExceptionCode::GatewayTargetDevice
        }
    );
    Ok(())
}

/// This file's tests, for the harness (main.rs), with the peers each needs.
pub(crate) const TESTS: &[crate::Test] = &[
    crate::Test {
        name: "each_unit_is_served_from_its_own_memory",
        run: || each_unit_is_served_from_its_own_memory().expect("the test"),
        needs: &[],
    },
    crate::Test {
        name: "addresses_are_checked_against_the_units_memory_and_other_units_are_refused",
        run: || {
            addresses_are_checked_against_the_units_memory_and_other_units_are_refused()
                .expect("the test")
        },
        needs: &[],
    },
];
