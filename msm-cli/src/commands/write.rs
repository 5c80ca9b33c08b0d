//! `msm write`: write variables once, and wait for the slave to confirm.

use clap::Args;
use msm::{DynValue, Plan, VarType};

use crate::CmdResult;
use crate::failure::Failure;
use crate::link::ConnectArgs;
use crate::show::shown;
use crate::target::{self, RawArgs};

#[derive(Args, Debug)]
#[command(override_usage = "msm write [OPTIONS] MAP NAME=VALUE...\n       \
    msm write [OPTIONS] --area AREA --address N [--type TYPE] VALUE...")]
pub(crate) struct WriteArgs {
    /// A map file and NAME=VALUE pairs; or, with --area/--address, the values to write
    /// from that address on.
    #[arg(
        value_name = "MAP NAME=VALUE... | VALUE...",
        required = true,
        allow_negative_numbers = true
    )]
    pub(crate) words: Vec<String>,
    #[command(flatten)]
    pub(crate) raw: RawArgs,
    #[command(flatten)]
    pub(crate) connect: ConnectArgs,
}

pub(crate) async fn run(a: WriteArgs) -> CmdResult {
    let t = target::resolve(&a.words, &a.raw, None)?;
    // The names to write and their values, as text.
    let pairs: Vec<(String, String)> = if t.raw {
        t.map
            .vars()
            .iter()
            .map(|v| v.name.clone())
            .zip(t.rest.iter().cloned())
            .collect()
    } else {
        if t.rest.is_empty() {
            return Err(Failure::usage("give NAME=VALUE pairs after the map file"));
        }
        t.rest
            .iter()
            .map(|w| {
                w.split_once('=')
                    .map(|(n, v)| (n.trim().to_string(), v.to_string()))
                    .ok_or_else(|| Failure::usage(format!("{w:?} is not NAME=VALUE")))
            })
            .collect::<Result<_, _>>()?
    };
    let names: Vec<&str> = pairs.iter().map(|(n, _)| n.as_str()).collect();
    let map = if t.raw { t.map } else { t.map.select(&names)? };
    let mm = map.build()?;
    let mut values: Vec<(usize, DynValue)> = Vec::with_capacity(pairs.len());
    for (name, text) in &pairs {
        let var = mm.find(name)?;
        let index = mm.vars().iter().position(|v| v.name() == name).unwrap_or(0);
        values.push((index, var.parse_value(text)?));
    }

    // A bit or a byte shares its register with other data: it is read first, so the
    // register goes back with only that bit or byte changed. A broadcast gets no answer,
    // so it cannot be read first: refused rather than wiping the rest of the register.
    let partial = values.iter().any(|(i, _)| {
        matches!(
            mm.vars()[*i].def().ty,
            VarType::Bit | VarType::U8 | VarType::I8
        )
    });
    let rtu = a.connect.serial.serial.is_some() || a.connect.serial.rtu_over_tcp;
    if partial && rtu && a.connect.unit == 0 {
        return Err(Failure::usage(
            "a bit or a byte cannot be broadcast: a broadcast gets no answer, so its register \
             cannot be read first and the rest of it would be overwritten; broadcast the whole \
             register (a u16 variable) instead",
        ));
    }
    let master = a
        .connect
        .master()?
        // A slave that cannot be reached is said at once, as `read` says it.
        .fail_fast(true)
        .plan(Plan::DeclaredVars { max_gap: 0 })
        .period(std::time::Duration::from_secs(3600))
        .start_async(mm.memory().clone())
        .await?;
    let limit = super::one_shot_limit(a.connect.timeout);
    // A failed exchange ends the command at once, in the CLI's words (a wrong unit, a
    // refusal), rather than after the whole limit.
    let failed_exchange = async {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            if let Some(e) = master.status().block_errors.into_iter().next() {
                return e;
            }
        }
    };
    let work = tokio::time::timeout(limit, async {
        if partial {
            master.sync().await?;
        }
        for (i, value) in &values {
            let var = &mm.vars()[*i];
            var.set(value.clone()).map_err(|e| match e {
                msm::Error::ReadOnly { .. } => msm::Error::Config(format!("{}: {e}", var.name())),
                e => e,
            })?;
        }
        master.flush().await?;
        // Read back what the slave holds now, to show it.
        master.sync().await
    });
    let result = tokio::select! {
        r = work => r,
        e = failed_exchange => {
            let status = master.status();
            master.stop().await;
            return Err(a.connect.failure(msm::Error::Block(e), &status));
        }
    };
    let status = master.status();
    master.stop().await;
    match result {
        Err(_) => Err(Failure::modbus(format!(
            "timeout: {} did not confirm the write within {limit:?}{}",
            a.connect.peer_name(),
            status
                .last_error
                .as_ref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        ))),
        Ok(Err(e)) => Err(a.connect.failure(e, &status)),
        Ok(Ok(())) => {
            for (i, _) in &values {
                let var = &mm.vars()[*i];
                println!("{} = {}", var.name(), shown(&var.get()));
            }
            Ok(())
        }
    }
}
