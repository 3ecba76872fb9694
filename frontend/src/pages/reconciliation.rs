//! 对账记录 on a customer's page: statements sent (with the balance they showed) and the
//! customer's answer — confirmed, with the confirmation letter (对账函) noted when it
//! comes back, or disputed with why — and a warning when the books of a confirmed period
//! have moved since.

use crate::i18n::{pick, Lang};
use crate::state::{now_ms, use_ctx};
use common::desk::customer::CustomerView;
use common::desk::reconciliation::{answer_values, sent_values, Sent, State};
use common::desk::time::{local_date, Date};
use common::engine::ids::{OfficeCode, RecordId};
use common::engine::record::Kind;
use leptos::prelude::*;

/// This month (so far) and last month, as statement periods.
fn periods(today: Date) -> [(Date, Date); 2] {
    let first = Date::new(today.year, today.month, 1).unwrap_or(today);
    let last_end = first.plus_days(-1);
    let last = Date::new(last_end.year, last_end.month, 1).unwrap_or(last_end);
    [(first, today), (last, last_end)]
}

#[component]
pub fn Reconciliations(customer: CustomerView) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let today = local_date(now_ms(), ctx.offset_minutes());
    let may = ctx.actor().is_some_and(|a| common::desk::reconciliation::KEEPERS.contains(&a.role));
    let office = OfficeCode::parse(&customer.office).ok();
    let c = customer.clone();
    let sent = Memo::new(move |_| {
        let mut v: Vec<Sent> = ctx.replica.with(|r| {
            r.all(Kind::RECONCILIATION)
                .map(Sent::from_record)
                .filter(|s| s.customer == Some(c.id) || (s.customer.is_none() && s.customer_name == c.name))
                .collect()
        });
        common::sort::sort_by_key(&mut v, |s| std::cmp::Reverse((s.sent_on, s.created)));
        v
    });
    // What each period's statement says now, from this device's books.
    let c2 = customer.clone();
    let closing_now = move |from: Date, to: Date| crate::pages::reports::books(ctx).statement_of(&c2, from, to).closing;
    let period = RwSignal::new(1usize);
    let problem = RwSignal::new(None::<String>);
    let c3 = customer.clone();
    let office_for_send = office.clone();
    let closing_for_send = closing_now.clone();
    let send = move |_| {
        let (from, to) = periods(today)[period.get_untracked()];
        if sent.with_untracked(|v| v.iter().any(|s| s.from == Some(from) && s.to == Some(to))) {
            problem.set(Some(
                i.t("这个期间的对账单已经登记过了。", "A statement for this period is already recorded.").to_string(),
            ));
            return;
        }
        problem.set(None);
        let values = sent_values(c3.id, &c3.name, from, to, closing_for_send(from, to), today);
        let id = RecordId::new_v7(now_ms(), crate::state::random_bytes());
        match ctx.save_in(office_for_send.clone(), Kind::RECONCILIATION, id, values) {
            Ok(()) => crate::sync::kick(ctx),
            Err(e) => ctx.report_save_error(&e),
        }
    };
    view! {
        <section class="reconciliations" aria-labelledby="recon-h">
            <h2 id="recon-h">{i.s("对账记录", "Statements sent")}</h2>
            {may.then(|| view! {
                <div class="filters">
                    <div class="filter">
                        <label for="recon-period">{i.s("期间", "Period")}</label>
                        <select id="recon-period" on:change=move |ev| period.set(if event_target_value(&ev) == "0" { 0 } else { 1 })>
                            <option value="1" selected=true>{i.s("上月", "Last month")}</option>
                            <option value="0">{i.s("本月", "This month")}</option>
                        </select>
                    </div>
                    <button type="button" id="recon-send" on:click=send>{i.s("登记对账单已发出", "Record the statement as sent")}</button>
                </div>
            })}
            {move || problem.get().map(|p| view! { <p class="field-error" role="alert">{p}</p> })}
            <table class="list recon">
                <thead><tr>
                    <th scope="col">{i.s("期间", "Period")}</th>
                    <th scope="col">{i.s("发出", "Sent")}</th>
                    <th scope="col" class="num">{i.s("期末余额", "Balance sent")}</th>
                    <th scope="col">{i.s("状态", "State")}</th>
                    <th scope="col">{i.s("客户答复", "Answer")}</th>
                </tr></thead>
                <tbody>
                    {move || sent.get().into_iter().map(|s| {
                        let (from, to) = (s.from.unwrap_or(today), s.to.unwrap_or(today));
                        let moved = s.changed_since(closing_now(from, to));
                        let state = s.state;
                        let letter = s.letter;
                        let notes = s.notes.clone();
                        let answered = s.answered_on.map(|d| d.to_string()).unwrap_or_default();
                        view! {
                            <tr data-recon=format!("{from}") data-state=state.code()>
                                <td data-label=i.s("期间", "Period")>{format!("{from} — {to}")}</td>
                                <td data-label=i.s("发出", "Sent")>{s.sent_on.map(|d| d.to_string()).unwrap_or_default()}</td>
                                <td data-label=i.s("期末余额", "Balance sent") class="num">{s.closing.to_string()}
                                    {moved.map(|now| view! {
                                        <span class="warn recon-moved" role="note">{move || match i.lang() {
                                            Lang::Zh => format!(" 对账后账目有变动,现为 {now}"),
                                            Lang::En => format!(" the books have moved since: now {now}"),
                                        }}</span>
                                    })}
                                </td>
                                <td data-label=i.s("状态", "State")>
                                    <span class=format!("recon-state state-{}", state.code())>{move || pick(i.lang(), state.label().0, state.label().1)}</span>
                                    {(state == State::Confirmed && letter).then(|| view! { " " <span class="muted">{i.s("(对账函已回)", "(letter back)")}</span> })}
                                </td>
                                <td data-label=i.s("客户答复", "Answer")>
                                    {(state != State::Sent).then(|| format!("{answered} {notes}"))}
                                    {(may && state == State::Sent).then(|| view! { <Answer id=s.id problem=problem/> })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {move || sent.with(Vec::is_empty).then(|| view! { <p class="muted">{i.s("还没有发出过对账单。", "No statement sent yet.")}</p> })}
        </section>
    }
}

/// The customer's answer to one statement: confirmed (letter back or not) or disputed.
#[component]
fn Answer(id: RecordId, problem: RwSignal<Option<String>>) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let letter = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let missing = RwSignal::new(false);
    let key = id.to_string();
    let reason_id = format!("reason-{key}");
    let focus_reason = StoredValue::new(reason_id.clone());
    let answer = move |state: State| {
        let today = local_date(now_ms(), ctx.offset_minutes());
        match answer_values(state, letter.get_untracked(), &reason.get_untracked(), today) {
            Ok(values) => {
                problem.set(None);
                match ctx.settle_many(Kind::RECONCILIATION, id, values) {
                    Ok(()) => crate::sync::kick(ctx),
                    Err(e) => ctx.report_save_error(&e),
                }
            }
            Err(_) => {
                missing.set(true);
                focus_reason.with_value(|r| crate::components::focus_id(r));
                problem.set(Some(i.t("客户有异议时请写明原因。", "Say why the customer disputes it.").to_string()))
            }
        }
    };
    view! {
        <div class="recon-answer">
            <label><input type="checkbox" class="recon-letter" id=format!("letter-{key}")
                on:change=move |ev| letter.set(event_target_checked(&ev))/>{i.s(" 对账函已回", " Letter back")}</label>
            <button type="button" class="recon-confirm" on:click=move |_| answer(State::Confirmed)>{i.s("客户已确认", "Confirmed")}</button>
            <label for=format!("reason-{key}") class="sr-only">{i.s("异议原因", "Why disputed")}</label>
            <input id=reason_id class="recon-reason" placeholder=i.s("异议原因", "Why disputed")
                aria-invalid=move || missing.get().to_string()
                prop:value=move || reason.get() on:input=move |ev| { missing.set(false); reason.set(event_target_value(&ev)) }/>
            <button type="button" class="recon-dispute" on:click=move |_| answer(State::Disputed)>{i.s("有异议", "Disputed")}</button>
        </div>
    }
}
