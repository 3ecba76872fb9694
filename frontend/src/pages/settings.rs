use crate::admin_api::{self, ApiError};
use crate::i18n::Lang;
use crate::pages::admin::{FieldInput, FormError};
use crate::state::use_ctx;
use common::desk::admin::PasswordChange;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// What Chromium's localStorage holds for one site, in UTF-16 units (Safari's is half).
const QUOTA_UNITS: usize = 5_242_880;

/// What this device is and holds: useful when phoning support.
#[component]
pub fn Settings() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let device = move || ctx.session.with(|s| s.as_ref().map(|s| s.device_no)).unwrap_or(0);
    let client = move || ctx.replica.with(|r| r.meta.client.to_string());
    let counts = move || ctx.replica.with(|r| (r.confirmed.len(), r.outbox.len(), r.refused.len()));
    // Characters (UTF-16 units) stored, as the browser's quota counts them: Chromium allows
    // about 5.2 million, Safari about half.
    let used = crate::storage::used_units();
    view! {
        <section>
            <h1>{i.s("设置", "Settings")}</h1>
            <fieldset>
                <legend>{i.s("语言", "Language")}</legend>
                <label><input type="radio" name="lang" prop:checked=move || i.lang() == Lang::Zh on:change=move |_| ctx.set_lang(Lang::Zh)/>" 简体中文"</label>
                <label><input type="radio" name="lang" prop:checked=move || i.lang() == Lang::En on:change=move |_| ctx.set_lang(Lang::En)/>" English"</label>
            </fieldset>
            <dl class="facts">
                <dt>{i.s("设备编号", "Device number")}</dt><dd>{device}</dd>
                <dt>{i.s("设备标识", "Device id")}</dt><dd class="mono">{client}</dd>
                <dt>{i.s("本机记录", "Records on this device")}</dt><dd data-held="all">{move || counts().0}</dd>
                {common::engine::record::Kind::ALL.into_iter().map(|kind| {
                    let n = move || ctx.replica.with(|r| r.confirmed.keys().filter(|k| k.0 == kind).count());
                    let (zh, en) = common::desk::labels::kind(kind);
                    view! { <dt class="sub">{i.s(zh, en)}</dt><dd data-held=kind.as_str().to_string()>{n}</dd> }
                }).collect_view()}
                <dt>{i.s("本机存储已用(字符)", "Browser storage used (characters)")}</dt>
                <dd data-used=used>{format!("{:.1}% ({used} / {QUOTA_UNITS})", used as f64 * 100.0 / QUOTA_UNITS as f64)}</dd>
                <dt>{i.s("待同步", "Waiting to sync")}</dt><dd>{move || counts().1}</dd>
                <dt>{i.s("被拒绝", "Refused")}</dt><dd>{move || counts().2}</dd>
            </dl>
            <ChangePassword/>
        </section>
    }
}

/// A person changes their own password (online); their other devices must log in again.
#[component]
fn ChangePassword() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let done = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        done.set(false);
        if let Err(e) = common::desk::admin::check_password("new", &new.get_untracked()) {
            return error.set(Some(ApiError::Server {
                code: "invalid".into(),
                message: e.message.into(),
                field: Some(e.field.into()),
            }));
        }
        let change = PasswordChange { current: current.get_untracked(), new: new.get_untracked() };
        let token = ctx.token().unwrap_or_default();
        spawn_local(async move {
            match admin_api::change_password(&token, &change).await {
                Ok(()) => {
                    error.set(None);
                    current.set(String::new());
                    new.set(String::new());
                    done.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <h2>{i.s("修改密码", "Change your password")}</h2>
        <form class="settings-form" on:submit=save novalidate aria-label=i.s("修改密码", "Change your password")>
            {FieldInput::new("me", "current", error).view(i.s("当前密码", "Current password"), current, "password", "current-password")}
            {FieldInput::new("me", "new", error).view(i.s("新密码(至少 8 个字符)", "New password (at least 8 characters)"), new, "password", "new-password")}
            <button type="submit" class="primary">{i.s("修改密码", "Change password")}</button>
            <FormError error=error/>
            {move || done.get().then(|| view! { <p role="status">{i.s("密码已修改。你的其他设备需要重新登录。", "Password changed. Your other devices must log in again.")}</p> })}
        </form>
    }
}
