//! Steps a record goes through (review, audit, ship, void, ...) and what each approves,
//! for any kind that declares a [`Workflow`]. The rules are stated once here; a kind only
//! lists its steps, the fields its approvals hold, and who may edit at which stage.
//!
//! An approval holds what the person saw: every step event carries the values of the
//! kind's *guarded* fields as they stood on the approver's screen. A step **counts** only
//! while those are still the record's values (and its prerequisite counts), so an edit
//! after a step either is refused or visibly sends the record back for that step; nothing
//! approved changes silently. Status is derived from the steps that count.
//!
//! Kinds of step:
//! - [`StepKind::Approval`] (复核, 收银审核, 交物流): the server refuses one whose
//!   approved values are not the record's current ones, or whose prerequisite does not count.
//! - [`StepKind::Fact`] (发货): something that happened; never refused for being late. If
//!   what it approved differs from the record, or it came before its prerequisite, that is
//!   a conflict shown until a [`StepKind::Correction`] (更正) settles it.
//! - [`StepKind::Cancel`] (作废) ends the record; if it meets a fact made elsewhere, the
//!   conflict is settled by [`StepKind::Uncancel`] (撤销作废) or [`StepKind::ConfirmCancel`]
//!   (确认作废并通知物流拦截).
//!
//! - [`StepKind::Note`] (打印, 发货通知, 签收): something recorded about the record that
//!   approves nothing and moves no stage; taken any time its prerequisite counts (or the
//!   record is past its fact step), never once the record is voided.
//!
//! After a fact step or a cancel, plain edits are refused; corrections are the only way.
//! A kind whose records are facts from the start (a shipment: the goods left) declares
//! itself [`Workflow::fixed`]: created once, then only corrected.

use crate::engine::hlc::Hlc;
use crate::engine::record::{Event, RecordState, StepWrite};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    Approval,
    Fact,
    Cancel,
    Uncancel,
    ConfirmCancel,
    Correction,
    Note,
}

/// One step a kind's records can take.
#[derive(Clone, Copy, Debug)]
pub struct StepSpec {
    pub code: &'static str,
    pub kind: StepKind,
    /// Approval and fact steps: steps one of which must count first (empty: none).
    pub after: &'static [&'static str],
    /// Role codes that may take this step.
    pub who: &'static [&'static str],
}

/// Who may edit a record at one stage of its workflow (the furthest step that counts).
#[derive(Clone, Copy, Debug)]
pub struct EditRow {
    /// `""`: no step counts yet; otherwise an approval step's code.
    pub stage: &'static str,
    /// Roles that may change the guarded fields (the record goes back for every step this undoes).
    pub guarded: &'static [&'static str],
    /// Roles that may change the other fields (notes, phone): approvals do not hold those.
    pub other: &'static [&'static str],
}

/// A kind's steps, in chain order, and its edit table.
#[derive(Clone, Copy, Debug)]
pub struct Workflow {
    /// The fields a step approves.
    pub guarded: &'static [&'static str],
    pub steps: &'static [StepSpec],
    pub edits: &'static [EditRow],
    /// Records of this kind are facts once created: edits after creation are refused,
    /// corrections are the only way.
    pub fixed: bool,
}

impl Workflow {
    pub fn step(&self, code: &str) -> Option<&'static StepSpec> {
        self.steps.iter().find(|s| s.code == code)
    }

    /// The record's guarded values as it holds them now (`null` for a field never set).
    pub fn snapshot(&self, state: &RecordState) -> BTreeMap<String, Value> {
        crate::sort::map_of(self.guarded.iter().map(|f| (f.to_string(), state.get(f).cloned().unwrap_or(Value::Null))))
    }

    /// The step event a person makes on `state` as they see it: what they approve is
    /// what the record holds on their screen.
    pub fn step_write(&self, state: Option<&RecordState>, code: &str, data: BTreeMap<String, Value>) -> StepWrite {
        let approved = match (state, self.step(code).map(|s| s.kind)) {
            (Some(s), Some(StepKind::Approval | StepKind::Fact)) => self.snapshot(s),
            _ => BTreeMap::new(),
        };
        let seen = state.map(|s| s.events.keys().copied().collect()).unwrap_or_default();
        StepWrite { step: code.to_string(), data, approved, seen }
    }

    fn edit_row(&self, stage: Option<&str>) -> Option<&EditRow> {
        self.edits.iter().find(|r| r.stage == stage.unwrap_or(""))
    }
}

/// One guarded field that differs from what a step approved.
#[derive(Clone, Debug, PartialEq)]
pub struct Diff {
    pub field: String,
    pub approved: Value,
    pub now: Value,
}

/// A step that was taken but no longer counts: the record changed after it (old → new).
#[derive(Clone, Debug, PartialEq)]
pub struct SentBack {
    pub step: &'static str,
    pub at: Hlc,
    pub by: String,
    pub diffs: Vec<Diff>,
}

/// Something about the record's steps a person must settle.
#[derive(Clone, Debug, PartialEq)]
pub enum StepConflict {
    /// Cancelled at one place while the fact step happened at another.
    CancelledAndFact { cancel_at: Hlc, cancel_by: String, fact: &'static str, fact_at: Hlc, fact_by: String },
    /// The fact step happened on values other than the record's (an edit crossed it), or
    /// before its prerequisite counted. Settled by a correction made after it.
    FactDiffers { step: &'static str, at: Hlc, by: String, diffs: Vec<Diff>, before_ready: bool },
}

/// Whether the record is cancelled, and how.
#[derive(Clone, Debug, PartialEq)]
pub enum Cancelled {
    No,
    Yes {
        at: Hlc,
        by: String,
    },
    /// Cancelled although the fact step happened, confirmed by someone who saw both.
    OverFact {
        at: Hlc,
        by: String,
        confirmed_by: String,
    },
    /// Cancelled and the fact step happened, not yet settled.
    Contested {
        at: Hlc,
        by: String,
    },
}

/// Where a record stands in its workflow, derived from its events and values. The same
/// on every replica holding the same state.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// The furthest approval or fact step of the chain that counts.
    pub stage: Option<&'static str>,
    /// Each step that counts, with the event that makes it count (the latest such).
    pub counting: BTreeMap<&'static str, Hlc>,
    /// The latest fact step that happened, counting or not.
    pub fact: Option<(&'static str, Hlc)>,
    pub cancelled: Cancelled,
    /// Steps taken that no longer count because the record changed after them.
    pub sent_back: Vec<SentBack>,
    pub conflicts: Vec<StepConflict>,
    /// Guarded fields with several live values: no approval counts until settled.
    pub guarded_conflict: bool,
    /// A record of a [`Workflow::fixed`] kind that exists: closed from its creation.
    pub fixed: bool,
}

impl Progress {
    /// Edits are over: a fact step happened or the record is cancelled.
    pub fn is_closed(&self) -> bool {
        self.fixed || self.fact.is_some() || self.cancelled != Cancelled::No
    }

    pub fn counts(&self, step: &str) -> bool {
        self.counting.contains_key(step)
    }
}

/// The guarded values as the record holds them now, borrowed (`null` for a field never
/// set): deriving where a record stands compares them with each step's, and copying them
/// for every record of a list would cost more than the comparing.
fn current<'a>(wf: &Workflow, state: &'a RecordState) -> Vec<(&'static str, &'a Value)> {
    static NULL: Value = Value::Null;
    wf.guarded.iter().map(|f| (*f, state.get(f).unwrap_or(&NULL))).collect()
}

fn differs(approved: &BTreeMap<String, Value>, now: &[(&str, &Value)]) -> bool {
    now.iter().any(|(field, value)| approved.get(*field).map_or(!value.is_null(), |was| was != *value))
}

fn diffs(approved: &BTreeMap<String, Value>, now: &[(&str, &Value)]) -> Vec<Diff> {
    now.iter()
        .filter_map(|(field, value)| {
            let was = approved.get(*field).cloned().unwrap_or(Value::Null);
            (was != **value).then(|| Diff { field: field.to_string(), approved: was, now: (*value).clone() })
        })
        .collect()
}

fn events_of<'a>(state: &'a RecordState, code: &'a str) -> impl DoubleEndedIterator<Item = (&'a Hlc, &'a Event)> + 'a {
    state.events.iter().filter(move |(_, e)| e.step == code)
}

/// Derives where `state` stands in `wf`.
pub fn progress(wf: &Workflow, state: &RecordState) -> Progress {
    let now = current(wf, state);
    let guarded_conflict = wf.guarded.iter().any(|f| state.fields.get(*f).is_some_and(|s| s.is_conflict()));
    let matches = |e: &Event| !guarded_conflict && !differs(&e.approved, &now);

    let mut counting: BTreeMap<&'static str, Hlc> = BTreeMap::new();
    let mut stage = None;
    let mut sent_back = Vec::new();
    let mut conflicts = Vec::new();
    let mut fact: Option<(&'static str, Hlc)> = None;
    let last_correction = wf
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::Correction)
        .flat_map(|s| events_of(state, s.code).map(|(t, _)| *t))
        .max();
    for spec in wf.steps.iter().filter(|s| matches!(s.kind, StepKind::Approval | StepKind::Fact)) {
        let ready = spec.after.is_empty() || spec.after.iter().any(|a| counting.contains_key(a));
        let counted = if ready { events_of(state, spec.code).rev().find(|(_, e)| matches(e)) } else { None };
        if let Some((at, _)) = counted {
            counting.insert(spec.code, *at);
            stage = Some(spec.code);
        }
        let latest = events_of(state, spec.code).next_back();
        if spec.kind == StepKind::Fact {
            if let Some((at, e)) = latest {
                if fact.is_none_or(|(_, t)| *at > t) {
                    fact = Some((spec.code, *at));
                }
                let settled = last_correction.is_some_and(|c| c > *at);
                if counted.is_none() && !settled {
                    conflicts.push(StepConflict::FactDiffers {
                        step: spec.code,
                        at: *at,
                        by: e.by.clone(),
                        diffs: diffs(&e.approved, &now),
                        before_ready: !ready,
                    });
                }
            }
        } else if let (None, Some((at, e))) = (counted, latest) {
            sent_back.push(SentBack { step: spec.code, at: *at, by: e.by.clone(), diffs: diffs(&e.approved, &now) });
        }
    }
    if let Some((code, _)) = fact {
        // Goods that left are where the record stands, whatever else counts.
        stage = Some(code);
        sent_back.clear();
    }

    let latest_of = |kind: StepKind| {
        wf.steps
            .iter()
            .filter(|s| s.kind == kind)
            .flat_map(|s| events_of(state, s.code))
            .max_by_key(|(t, _)| **t)
            .map(|(t, e)| (*t, e.by.clone()))
    };
    let cancel = latest_of(StepKind::Cancel);
    let uncancel = latest_of(StepKind::Uncancel);
    let confirm = latest_of(StepKind::ConfirmCancel);
    let cancelled = match cancel {
        Some((at, _)) if uncancel.as_ref().is_some_and(|(u, _)| *u > at) => Cancelled::No,
        None => Cancelled::No,
        Some((at, by)) => match fact {
            None => Cancelled::Yes { at, by },
            Some((code, fact_at)) => match confirm.filter(|(c, _)| *c > at && *c > fact_at) {
                Some((_, confirmed_by)) => Cancelled::OverFact { at, by, confirmed_by },
                None => {
                    let fact_by = state.events.get(&fact_at).map(|e| e.by.clone()).unwrap_or_default();
                    conflicts.insert(
                        0,
                        StepConflict::CancelledAndFact {
                            cancel_at: at,
                            cancel_by: by.clone(),
                            fact: code,
                            fact_at,
                            fact_by,
                        },
                    );
                    Cancelled::Contested { at, by }
                }
            },
        },
    };
    if matches!(cancelled, Cancelled::Yes { .. } | Cancelled::OverFact { .. }) {
        sent_back.clear();
        conflicts.retain(|c| !matches!(c, StepConflict::FactDiffers { .. }));
    }
    let fixed = wf.fixed && state.created().is_some();
    Progress { stage, counting, fact, cancelled, sent_back, conflicts, guarded_conflict, fixed }
}

/// Why the server (or the device, beforehand) refuses a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Machine-readable: `forbidden`, `locked`, `closed`, `approved_changed`, `not_ready`, `nothing_to_settle`, `invalid`, ...
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn new(code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal { code, message: message.into() }
    }
}

/// What an edit of `fields` by someone in `role` does to a record at `progress`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EditEffect {
    /// Allowed; approvals stand (nothing they hold changes).
    Allowed,
    /// Allowed; these steps no longer count and must be taken again.
    SendsBack(Vec<&'static str>),
}

/// The edit table applied: whether `role` may change `fields` of a record at `progress`.
pub fn check_edit<'a>(
    wf: &Workflow,
    progress: &Progress,
    role: &str,
    fields: impl IntoIterator<Item = &'a str>,
) -> Result<EditEffect, Refusal> {
    if progress.fixed {
        return Err(Refusal::new("closed", "the record is a fact once made: it is only corrected by a manager"));
    }
    if let Some((code, _)) = progress.fact {
        return Err(Refusal::new(
            "closed",
            format!("the record has had its {code} step: it can no longer be edited, only corrected by a manager"),
        ));
    }
    if progress.cancelled != Cancelled::No {
        return Err(Refusal::new("closed", "the record is voided: it can no longer be edited"));
    }
    let row = wf.edit_row(progress.stage);
    let (mut guarded, mut other) = (false, false);
    for f in fields {
        if wf.guarded.contains(&f) {
            guarded = true;
        } else {
            other = true;
        }
    }
    let may = |roles: Option<&'static [&'static str]>| roles.is_some_and(|r| r.contains(&role));
    let stage = progress.stage.unwrap_or("entry");
    if guarded && !may(row.map(|r| r.guarded)) || other && !may(row.map(|r| r.other)) {
        return Err(Refusal::new("locked", format!("the {role} role may not edit a record at its {stage} stage")));
    }
    if guarded && !progress.counting.is_empty() {
        let mut back: Vec<&'static str> = progress.counting.keys().copied().collect();
        crate::sort::sort_by_key(&mut back, |s| wf.steps.iter().position(|x| x.code == *s));
        return Ok(EditEffect::SendsBack(back));
    }
    Ok(EditEffect::Allowed)
}

/// The record as the step's author saw it: the steps they had seen, and (for a step that
/// approves) the values they approved.
fn as_seen(wf: &Workflow, state: &RecordState, write: &StepWrite) -> RecordState {
    let mut seen = state.clone();
    seen.events.retain(|t, _| write.seen.contains(t));
    for (field, value) in &write.approved {
        if wf.guarded.contains(&field.as_str()) {
            let f = seen.fields.or_default(field.as_str());
            f.heads = [(Hlc::ZERO, value.clone())].into();
        }
    }
    seen
}

/// Whether a step was possible on the record as its author saw it: a step impossible
/// from what they saw (a ship on an order they saw as entered, a second review of an
/// order they saw reviewed, a void of one they saw shipped) is a mistake, refused.
fn check_seen(wf: &Workflow, spec: &StepSpec, state: &RecordState, write: &StepWrite) -> Result<(), Refusal> {
    let saw = progress(wf, &as_seen(wf, state, write));
    let ready = spec.after.is_empty() || spec.after.iter().any(|a| saw.counts(a));
    let what = spec.code;
    match spec.kind {
        StepKind::Approval | StepKind::Fact | StepKind::Cancel if saw.is_closed() => {
            Err(Refusal::new("closed", format!("{what} of a record its author saw shipped or voided")))
        }
        StepKind::Approval | StepKind::Fact if !ready => Err(Refusal::new(
            "not_ready",
            format!("{what} needs {} first, and its author had not seen it", spec.after.join(" or ")),
        )),
        StepKind::Approval if saw.counts(what) => {
            Err(Refusal::new("already_done", format!("its author had seen the record's {what} already")))
        }
        StepKind::Uncancel | StepKind::ConfirmCancel if !matches!(saw.cancelled, Cancelled::Contested { .. }) => {
            Err(Refusal::new("nothing_to_settle", format!("{what}: its author had seen no void meeting a shipment")))
        }
        StepKind::Correction if saw.fact.is_none() && !saw.fixed => {
            Err(Refusal::new("not_ready", "corrections are for records past their last step; its author had seen none"))
        }
        _ => Ok(()),
    }
}

/// Whether `role` may take `step` on a record now standing at `progress` with `state`.
/// A step impossible from what its author saw is refused; approvals must approve exactly
/// what the record holds; facts and cancels made concurrently with other steps are kept
/// (they happened), and surface as conflicts where they clash.
pub fn check_step(
    wf: &Workflow,
    state: &RecordState,
    progress: &Progress,
    role: &str,
    write: &StepWrite,
) -> Result<(), Refusal> {
    let Some(spec) = wf.step(&write.step) else {
        return Err(Refusal::new("invalid", format!("{} is not a step of this kind of record", write.step)));
    };
    if !spec.who.contains(&role) {
        return Err(Refusal::new("forbidden", format!("the {role} role may not take the {} step", spec.code)));
    }
    let approves = matches!(spec.kind, StepKind::Approval | StepKind::Fact);
    if approves {
        let wanted: Vec<&str> = wf.guarded.to_vec();
        let given: Vec<&str> = write.approved.keys().map(String::as_str).collect();
        if given != {
            let mut w = wanted.clone();
            crate::sort::sort(&mut w);
            w
        } {
            return Err(Refusal::new(
                "invalid",
                format!("a {} step must carry the approved values of exactly: {}", spec.code, wanted.join(", ")),
            ));
        }
    } else if !write.approved.is_empty() {
        return Err(Refusal::new("invalid", format!("a {} step approves no values", spec.code)));
    }
    check_seen(wf, spec, state, write)?;
    let closed_by_cancel = matches!(progress.cancelled, Cancelled::Yes { .. } | Cancelled::OverFact { .. });
    match spec.kind {
        StepKind::Approval => {
            if progress.is_closed() {
                return Err(Refusal::new(
                    "closed",
                    format!("the record is closed; {} is no longer possible", spec.code),
                ));
            }
            let ready = spec.after.is_empty() || spec.after.iter().any(|a| progress.counts(a));
            if !ready {
                return Err(Refusal::new(
                    "not_ready",
                    format!("{} needs {} first", spec.code, spec.after.join(" or ")),
                ));
            }
            if progress.guarded_conflict {
                return Err(Refusal::new(
                    "approved_changed",
                    "the record has a conflict to settle before it can be approved",
                ));
            }
            let changed = diffs(&write.approved, &current(wf, state));
            if !changed.is_empty() {
                let names: Vec<&str> = changed.iter().map(|d| d.field.as_str()).collect();
                return Err(Refusal::new(
                    "approved_changed",
                    format!("the record changed since it was looked at ({}): look again", names.join(", ")),
                ));
            }
            Ok(())
        }
        StepKind::Fact | StepKind::Cancel => Ok(()),
        StepKind::Note => {
            if closed_by_cancel {
                return Err(Refusal::new(
                    "closed",
                    format!("the record is voided; {} is no longer possible", spec.code),
                ));
            }
            let ready = spec.after.is_empty()
                || spec.after.iter().any(|a| progress.counts(a))
                || progress.fact.is_some()
                || progress.fixed;
            if !ready {
                return Err(Refusal::new(
                    "not_ready",
                    format!("{} needs {} first", spec.code, spec.after.join(" or ")),
                ));
            }
            Ok(())
        }
        StepKind::Uncancel | StepKind::ConfirmCancel => match progress.cancelled {
            Cancelled::Contested { .. } => Ok(()),
            _ => Err(Refusal::new("nothing_to_settle", "there is no void meeting a shipment to settle")),
        },
        StepKind::Correction => {
            if closed_by_cancel {
                return Err(Refusal::new("closed", "the record is voided: it cannot be corrected"));
            }
            if progress.fact.is_none() && !progress.fixed {
                return Err(Refusal::new(
                    "not_ready",
                    "corrections are for records past their last step; edit it instead",
                ));
            }
            Ok(())
        }
    }
}

/// Whether the server would accept `step` by `role` on `state` as it is now.
pub fn may_take(wf: &Workflow, state: &RecordState, role: &str, step: &str) -> bool {
    let progress = progress(wf, state);
    check_step(wf, state, &progress, role, &wf.step_write(Some(state), step, BTreeMap::new())).is_ok()
}

/// The steps `role` can usefully take on `state` now, in workflow order, as a person would
/// be offered them: every one the server would accept, less those that would change
/// nothing (an approval that already counts) or only make a conflict (a fact step before
/// it is due or after the record closed, a cancel of a closed record).
pub fn offered(wf: &Workflow, state: &RecordState, role: &str) -> Vec<&'static str> {
    let progress = progress(wf, state);
    wf.steps
        .iter()
        .filter(|spec| {
            let ready = spec.after.is_empty() || spec.after.iter().any(|a| progress.counts(a));
            let useful = match spec.kind {
                StepKind::Approval => !progress.counts(spec.code),
                StepKind::Fact => ready && !progress.is_closed(),
                StepKind::Cancel => !progress.is_closed(),
                StepKind::Uncancel | StepKind::ConfirmCancel | StepKind::Correction => true,
                // Notes are offered by the screens they belong to (打印, 发货通知), see `may_take`.
                StepKind::Note => false,
            };
            useful
                && check_step(wf, state, &progress, role, &wf.step_write(Some(state), spec.code, BTreeMap::new()))
                    .is_ok()
        })
        .map(|spec| spec.code)
        .collect()
}
