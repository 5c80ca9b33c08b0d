//! What `msm serve` shows: the variables, and the remote writes as they land, coalesced
//! five times a second so that a busy slave is never slowed by its display.

use std::time::{Duration, SystemTime};

use msm::{MapMemory, Origin, Stamped};

use crate::show::{Console, Style, shown};

/// Shows the memory's changes until stopped. Quiet, it does not even listen to them:
/// no work for an output nobody reads.
pub(crate) async fn watch(mm: &MapMemory, quiet: bool, seconds: Option<f64>, title: &str) {
    // A queue a render's worth of changes long: the display describes 8 writes and
    // attributes values over TIMELINE_LEN changes per render, and counts what it cannot
    // keep as lag (in a flood the queue is 20 KiB, where the default would be 160).
    let mut changes = (!quiet).then(|| mm.memory().subscribe_with_capacity(QUEUE_LEN));
    let mut console = Console::new(Style::pick(false), mm.vars());
    console.header(format!("{title}; Ctrl-C to stop"));
    if !quiet {
        console.refresh_values(mm.vars());
        console.render(mm.vars());
    }
    let mut render = tokio::time::interval(Duration::from_millis(200));
    let mut batch = Batch::default();
    let stop = crate::commands::stop_signal(seconds);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            // Woken per change only while writes are still described one by one; once
            // a render's worth is described, the rest wait in the queue until the render
            // (a master writing 100,000 times a second costs 5 wake-ups, not 100,000).
            change = next_change(&mut changes), if batch.describing() => {
                batch.add(mm, change);
                drain(&mut changes, &mut batch, mm);
                batch.pause_if_flooded(&mut changes);
            }
            _ = render.tick(), if !quiet => {
                batch.resume(&mut changes);
                drain(&mut changes, &mut batch, mm);
                batch.show(mm, &mut console, &mut changes);
                console.render(mm.vars());
                // The render's second drain may have described the next render's writes.
                batch.pause_if_flooded(&mut changes);
            }
        }
    }
    if !quiet {
        batch.resume(&mut changes);
        drain(&mut changes, &mut batch, mm);
        batch.show(mm, &mut console, &mut changes);
        console.render(mm.vars());
    }
}

/// Adds every change queued now to the batch.
fn drain(changes: &mut Option<msm::Subscription>, batch: &mut Batch, mm: &MapMemory) {
    if let Some(sub) = changes.as_mut() {
        while let Some(next) = sub.try_recv_stamped().transpose() {
            batch.add(mm, next);
        }
    }
}

/// The next change, or never when nobody listens.
async fn next_change(changes: &mut Option<msm::Subscription>) -> Result<Stamped, msm::Lagged> {
    match changes {
        Some(sub) => sub.recv_stamped().await,
        None => std::future::pending().await,
    }
}

/// Changes gathered between two renders: a few remote writes described one by one, the
/// rest counted per peer; the values are then shown once.
#[derive(Default)]
struct Batch {
    /// Remote writes with what they wrote, described when they came (a later write
    /// must not be shown as theirs), and their place in `timeline`.
    described: Vec<(Stamped, String, usize)>,
    /// Every change since the first described one, up to [`TIMELINE_LEN`]: a value is
    /// said to come from a described write only if nothing later touched it.
    timeline: Vec<Stamped>,
    /// More changes came than `timeline` holds.
    timeline_full: bool,
    more: Vec<(msm::Peer, u64)>,
    lagged: u64,
    any: bool,
    /// The last render had more changes than the queue holds: once this render's writes
    /// are described, the rest are only counted (the subscription is paused), which costs
    /// each writer less than queueing them.
    flood: bool,
    paused: bool,
    /// Changes counted while paused, this render.
    counted: u64,
    /// Per variable, when the last change seen this render touched it: the time a new
    /// value is shown with (now, for a value whose change was only counted).
    touched: Vec<Option<SystemTime>>,
}

/// Changes remembered per render to attribute values to their writers.
const TIMELINE_LEN: usize = 256;

/// Changes the display's subscription holds between two renders.
const QUEUE_LEN: usize = 2 * TIMELINE_LEN;

/// Remote writes described one by one per render (5 a second); the rest are counted.
const DESCRIBED_PER_RENDER: usize = 8;

impl Batch {
    /// True while writes are still described as they come (see [`DESCRIBED_PER_RENDER`]).
    fn describing(&self) -> bool {
        self.described.len() < DESCRIBED_PER_RENDER
    }

    /// In a flood, once this render's writes are described: counts the rest per peer
    /// until the render instead of queueing them.
    fn pause_if_flooded(&mut self, changes: &mut Option<msm::Subscription>) {
        if let Some(sub) = changes.as_mut()
            && self.flood
            && !self.paused
            && !self.describing()
        {
            sub.pause();
            self.paused = true;
        }
    }

    /// Takes what was counted while paused: the remote writes go to their peers' counts.
    /// Which variables they touched is not known, so no value is attributed this render.
    fn resume(&mut self, changes: &mut Option<msm::Subscription>) {
        let Some(sub) = changes.as_mut().filter(|_| self.paused) else {
            return;
        };
        self.paused = false;
        let counted = sub.resume();
        if counted.total() == 0 {
            return;
        }
        self.any = true;
        self.counted += counted.total();
        self.timeline_full = true;
        for (origin, n) in counted.by_origin() {
            if let Origin::Remote(peer) = origin {
                match self.more.iter_mut().find(|(p, _)| p == peer) {
                    Some(more) => more.1 += n,
                    None => self.more.push((*peer, *n)),
                }
            }
        }
        self.lagged += counted.others();
    }

    fn add(&mut self, mm: &MapMemory, change: Result<Stamped, msm::Lagged>) {
        self.any = true;
        match change {
            Ok(c) => {
                self.touched.resize(mm.vars().len(), None);
                for (time, var) in self.touched.iter_mut().zip(mm.vars()) {
                    if var.touched_by(&c) {
                        *time = Some(c.time);
                    }
                }
                let describing = self.describing() && matches!(c.origin, Origin::Remote(_));
                if describing || !self.described.is_empty() {
                    if self.timeline.len() < TIMELINE_LEN {
                        self.timeline.push(c);
                    } else {
                        self.timeline_full = true;
                    }
                }
                if let Origin::Remote(peer) = c.origin {
                    if describing {
                        let at = self.timeline.len().saturating_sub(1);
                        self.described.push((c, describe(mm, &c), at));
                    } else if let Some(n) = self.more.iter_mut().find(|(p, _)| *p == peer) {
                        n.1 += 1;
                    } else {
                        self.more.push((peer, 1));
                    }
                }
            }
            Err(lag) => self.lagged += lag.0,
        }
    }

    fn show(
        &mut self,
        mm: &MapMemory,
        console: &mut Console,
        changes: &mut Option<msm::Subscription>,
    ) {
        if !self.any {
            // A quiet render ends a flood.
            self.flood = false;
            return;
        }
        // A variable a described write touched is shown once, with the last described
        // write that touched it. Its value is read first, then the queue is drained
        // again: a write that landed before the read has its change queued by then (a
        // change is published under the memory's lock, with the write), so the value is
        // said to come from the described write's peer only if no later change touched it.
        let described = std::mem::take(&mut self.described);
        let mut shown = Vec::new();
        for (k, (c, _, at)) in described.iter().enumerate() {
            let later_described = &described[k + 1..];
            for (i, var) in mm.vars().iter().enumerate() {
                if var.touched_by(c) && !later_described.iter().any(|(l, _, _)| var.touched_by(l)) {
                    shown.push((k, i, *at, console.state(var)));
                }
            }
        }
        let old_len = self.timeline.len();
        drain(changes, self, mm);
        let unknown_after = self.timeline_full || self.lagged > 0;
        let mut shown = shown.into_iter().peekable();
        for (k, (c, what, _)) in described.iter().enumerate() {
            if let Origin::Remote(peer) = c.origin {
                console.event_at(c.time, &format!("write from {peer}: {what}"));
            }
            while let Some((_, i, at, state)) = shown.next_if(|(sk, ..)| *sk == k) {
                let var = &mm.vars()[i];
                let later = self.timeline.get(at + 1..).unwrap_or_default();
                let attribute = !unknown_after && !later.iter().any(|l| var.touched_by(l));
                // Shown with the time of the write it is said to come from, else of the
                // last change seen to touch it.
                let time = match attribute {
                    true => Some(c.time),
                    false => self.touched.get(i).copied().flatten(),
                };
                console.show_state(i, var, state, attribute.then_some(c.origin), time);
            }
        }
        // What the second drain brought belongs to the next render.
        self.timeline.drain(..old_len.min(self.timeline.len()));
        for (_, _, at) in &mut self.described {
            *at = at.saturating_sub(old_len);
        }
        // A timeline that overflowed leaves the writes kept for the next render uncertain.
        self.timeline_full = self.timeline_full && !self.described.is_empty();
        for (peer, n) in self.more.drain(..) {
            console.event(&format!(
                "{} more from {peer}",
                crate::show::count(n, "write")
            ));
        }
        self.flood = self.lagged > 0 || self.counted > QUEUE_LEN as u64;
        self.counted = 0;
        if self.lagged > 0 {
            console.event(&format!(
                "{} more, too many to list (the values shown are current)",
                crate::show::count(self.lagged, "change")
            ));
            self.lagged = 0;
        }
        console.refresh_values_at(mm.vars(), &self.touched);
        self.touched.fill(None);
        // Writes the second drain described wait for the next render.
        self.any = !self.described.is_empty();
    }
}

/// The variables a remote write touched, with their new values; or the raw range.
fn describe(mm: &MapMemory, c: &Stamped) -> String {
    let touched: Vec<String> = mm
        .vars()
        .iter()
        .filter(|v| v.touched_by(c))
        .map(|v| format!("{} = {}", v.name(), shown(&v.get())))
        .collect();
    if touched.is_empty() {
        let last = u32::from(c.address) + u32::from(c.count).max(1) - 1;
        format!("{} {}..={}", c.area, c.address, last)
    } else {
        touched.join(", ")
    }
}
