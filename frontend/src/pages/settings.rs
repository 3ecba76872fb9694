use crate::i18n::Lang;
use crate::state::use_ctx;
use leptos::prelude::*;

/// What this device is and holds: useful when phoning support.
#[component]
pub fn Settings() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let device = move || ctx.session.with(|s| s.as_ref().map(|s| s.device_no)).unwrap_or(0);
    let client = move || ctx.replica.with(|r| r.meta.client.to_string());
    let counts = move || ctx.replica.with(|r| (r.confirmed.len(), r.outbox.len(), r.refused.len()));
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
                <dt>{i.s("本机记录", "Records on this device")}</dt><dd>{move || counts().0}</dd>
                <dt>{i.s("待同步", "Waiting to sync")}</dt><dd>{move || counts().1}</dd>
                <dt>{i.s("被拒绝", "Refused")}</dt><dd>{move || counts().2}</dd>
            </dl>
        </section>
    }
}
