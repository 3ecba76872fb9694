use crate::components::LangSwitch;
use crate::state::use_ctx;
use crate::sync::{self, LoginError};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_navigate;

#[component]
pub fn LoginPage() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let username = RwSignal::new(ctx.last_user.get_untracked());
    let password = RwSignal::new(String::new());
    let error: RwSignal<Option<(String, String)>> = RwSignal::new(None);
    let fail = move |zh: &str, en: &str| error.set(Some((zh.to_string(), en.to_string())));
    let busy = RwSignal::new(false);
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if username.get_untracked().trim().is_empty() || password.get_untracked().is_empty() {
            fail("请输入用户名和密码", "Enter your user name and password");
            return;
        }
        busy.set(true);
        error.set(None);
        let name = username.get_untracked().trim().to_string();
        // Each person logs in with a device id of their own; another's unsynced work is
        // set aside, under their name.
        let client = match ctx.prepare_for(&name) {
            Ok(c) => c,
            Err(e) => {
                busy.set(false);
                ctx.report_save_error(&e);
                return;
            }
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            let mut result = sync::login(name.clone(), password.get_untracked(), client).await;
            if matches!(result, Err(LoginError::ClientInUse)) {
                match ctx.new_device_id(&name) {
                    Ok(fresh) => result = sync::login(name.clone(), password.get_untracked(), fresh).await,
                    Err(e) => ctx.report_save_error(&e),
                }
            }
            busy.set(false);
            match result {
                Ok(session) => {
                    match ctx.logged_in(&session) {
                        Ok(others) => ctx.notice.set(others),
                        Err(e) => {
                            ctx.report_save_error(&e);
                            return;
                        }
                    }
                    ctx.session.set(Some(session));
                    sync::kick(ctx);
                    navigate("/orders", Default::default());
                }
                Err(LoginError::ClientInUse) => fail(
                    "这台设备的标识属于别人,新的标识也未能登录,请重试。",
                    "This device's id is someone else's and a new one could not log in; try again.",
                ),
                Err(LoginError::BadCredentials) => fail("用户名或密码错误", "Wrong user name or password"),
                Err(LoginError::Offline) => fail(
                    "连不上服务器。第一次登录需要联网,之后离线也能用。",
                    "Cannot reach the server. The first log-in needs a connection; after that the app works offline.",
                ),
                Err(LoginError::Other(msg)) => fail(&format!("登录失败:{msg}"), &format!("Log-in failed: {msg}")),
            }
        });
    };
    view! {
        <Show when=move || ctx.session.with(Option::is_none) fallback=|| view! { <Redirect path="/orders"/> }>
            <main class="login">
                <div class="login-top"><LangSwitch/></div>
                <h1>{i.s("销售内勤工作台", "Salesdesk")}</h1>
                {move || ctx.notice.get().map(|(zh, en)| view! {
                    <p class="notice" role="alert">{if i.lang() == crate::i18n::Lang::Zh { zh } else { en }}</p>
                })}
                <SetupLink/>
                <form on:submit=submit.clone() novalidate>
                    <label for="username">{i.s("用户名", "User name")}</label>
                    <input id="username" name="username" autocomplete="username" autofocus
                        prop:value=username on:input=move |ev| username.set(event_target_value(&ev))/>
                    <label for="password">{i.s("密码", "Password")}</label>
                    <input id="password" name="password" type="password" autocomplete="current-password"
                        prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/>
                    {move || error.get().map(|(zh, en)| view! { <p class="field-error" role="alert">{if i.lang() == crate::i18n::Lang::Zh { zh } else { en }}</p> })}
                    <button type="submit" class="primary" disabled=move || busy.get()>{i.s("登录", "Log in")}</button>
                </form>
            </main>
        </Show>
    }
}

/// On an installation nobody can log in to yet, the way to the one-time set-up page.
#[component]
fn SetupLink() -> impl IntoView {
    let i = use_ctx().i18n;
    // Asked once, by hand rather than through a `LocalResource` and the admin screens'
    // client: the log-in page is in the core a phone downloads first.
    let needed = RwSignal::new(false);
    spawn_local(async move {
        if let Ok(answer) = reqwest::get(format!("{}/api/setup", sync::origin())).await {
            let status = sync::read_json::<serde_json::Value>(answer).await.unwrap_or_default();
            needed.try_set(status["needed"] == true);
        }
    });
    view! {
        {move || needed.get().then(|| view! {
            <p class="notice">
                {i.s("这是新安装的系统,还没有任何用户。", "This is a new installation with no users yet. ")}
                <a href="/setup">{i.s("开始设置", "Set it up")}</a>
            </p>
        })}
    }
}
