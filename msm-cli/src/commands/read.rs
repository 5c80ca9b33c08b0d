//! `msm read`: read variables once and print them.

use msm::{DynValue, Plan};

use crate::args::ReadArgs;
use crate::failure::Failure;
use crate::show::{json_state, now, shown, state_of};
use crate::{CmdResult, link, target};

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
    let outcome = one_shot_read(&a.connect, &mm).await;
    if let Err(f) = &outcome
        && f.code != 1
    {
        return outcome.map(|_| ());
    }
    // Every variable, in the file's order: its value once read, else why not.
    let time = now();
    let reason = outcome.as_ref().err().map(|f| f.message.clone());
    for var in mm.vars() {
        let (value, quality, error) = state_of(var, reason.as_deref());
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
    outcome.map(|_| ())
}

/// Reads the variables of `mm` once: one cycle of a master that reads only them.
pub(crate) async fn one_shot_read(
    c: &crate::args::ConnectArgs,
    mm: &msm::MapMemory,
) -> Result<Vec<DynValue>, Failure> {
    let master = link::master(c)?
        .plan(Plan::DeclaredVars { max_gap: 0 })
        .period(std::time::Duration::from_secs(3600))
        .start_async(mm.memory().clone())
        .await?;
    let limit = super::one_shot_limit(c.timeout);
    let result = tokio::time::timeout(limit, master.sync()).await;
    master.stop().await;
    match result {
        Err(_) => Err(Failure::modbus(format!(
            "timeout: no complete answer from {} within {limit:?}",
            link::peer_name(c)
        ))),
        Ok(Err(e)) => Err(e.into()),
        Ok(Ok(())) => Ok(mm.vars().iter().map(msm::AnyVar::get).collect()),
    }
}
