//! `msm read`: read variables once and print them.

use clap::Args;
use msm::Plan;

use crate::CmdResult;
use crate::failure::Failure;
use crate::link::ConnectArgs;
use crate::show::{VarState, json_state, now, shown, state_of};
use crate::target::{self, RawArgs};

#[derive(Args, Debug)]
#[command(override_usage = "msm read [OPTIONS] MAP [NAME]...\n       \
    msm read [OPTIONS] --area AREA --address N [--type TYPE] [--count N]")]
pub(crate) struct ReadArgs {
    /// A map file and the variables to read (all of them when none are named); or nothing
    /// with --area/--address for raw access.
    #[arg(value_name = "MAP")]
    pub(crate) words: Vec<String>,
    #[command(flatten)]
    pub(crate) raw: RawArgs,
    /// Raw access: how many values of --type to read.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) count: u16,
    #[command(flatten)]
    pub(crate) connect: ConnectArgs,
    /// One JSON object per variable.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) async fn run(a: ReadArgs) -> CmdResult {
    let t = target::resolve(&a.words, &a.raw, Some(a.count))?;
    let map = if t.raw || t.rest.is_empty() {
        t.map
    } else {
        t.map.select(&t.rest)?
    };
    let mm = map.build()?;
    if mm.vars().is_empty() {
        return Err(Failure::usage(format!(
            "{} declares no variables to read",
            map.file()
        )));
    }
    let (states, outcome) = one_shot_read(&a.connect, &mm).await?;
    // Every variable, in the file's order: its value once read, else why not.
    let time = now();
    for (var, (value, quality, error)) in mm.vars().iter().zip(states) {
        if a.json {
            println!(
                "{}",
                json_state(var.name(), value.as_ref(), quality, error.as_deref(), &time)
            );
        } else {
            match value {
                Some(v) => println!("{} = {}", var.name(), shown(&v)),
                None => println!(
                    "{} = -  ({})",
                    var.name(),
                    error.as_deref().unwrap_or(quality)
                ),
            }
        }
    }
    outcome
}

/// Reads the variables of `mm` once: one cycle of a master that reads only them. Each
/// variable's state is taken before the master lets go of the memory (after that it
/// would be the memory's own, always good); the outcome says whether all went well.
pub(crate) async fn one_shot_read(
    c: &ConnectArgs,
    mm: &msm::MapMemory,
) -> Result<(Vec<VarState>, Result<(), Failure>), Failure> {
    let master = c
        .master()?
        .plan(Plan::DeclaredVars { max_gap: 0 })
        .period(std::time::Duration::from_secs(3600))
        .start_async(mm.memory().clone())
        .await?;
    let limit = super::one_shot_limit(c.timeout);
    let result = tokio::time::timeout(limit, master.sync()).await;
    let outcome = match result {
        Err(_) => Err(Failure::modbus(format!(
            "timeout: no complete answer from {} within {limit:?}",
            c.peer_name()
        ))),
        Ok(Err(e)) => Err(c.failure(e, &master.status())),
        Ok(Ok(())) => Ok(()),
    };
    let reason = outcome.as_ref().err().map(|f| f.message.clone());
    let states = mm
        .vars()
        .iter()
        .map(|v| state_of(v, reason.as_deref()))
        .collect();
    master.stop().await;
    Ok((states, outcome))
}
