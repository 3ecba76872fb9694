//! The one-time set-up of a new installation: company, head office, first administrator.
//! The server answers only while nobody can log in.

use crate::admin_api::{self, ApiError};
use crate::components::LangSwitch;
use crate::pages::admin::{FieldInput, FormError};
use crate::state::use_ctx;
use common::desk::admin::Setup;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

#[component]
pub fn SetupPage() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let company = RwSignal::new(String::new());
    let office_code = RwSignal::new("HQ".to_string());
    let office_name = RwSignal::new("总部".to_string());
    let offset = RwSignal::new("480".to_string());
    let admin = RwSignal::new("admin".to_string());
    let admin_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = Setup {
            company: company.get_untracked(),
            office_code: office_code.get_untracked().trim().to_uppercase(),
            office_name: office_name.get_untracked(),
            utc_offset_minutes: offset.get_untracked().trim().parse().unwrap_or(i32::MAX),
            admin: admin.get_untracked().trim().to_string(),
            admin_name: admin_name.get_untracked(),
            password: password.get_untracked(),
        };
        if let Err(e) = form.check() {
            error.set(Some(ApiError::Server {
                code: "invalid".into(),
                message: e.message.into(),
                field: Some(e.field.into()),
            }));
            return;
        }
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = admin_api::setup(&form).await;
            busy.set(false);
            match result {
                Ok(()) => {
                    ctx.last_user.set(form.admin.clone());
                    ctx.notice.set(Some((
                        format!("设置完成。请用管理员 {} 登录。", form.admin),
                        format!("All set. Log in as the administrator {}.", form.admin),
                    )));
                    navigate("/login", Default::default());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let field = move |name: &'static str| FieldInput::new("setup", name, error);
    view! {
        <main class="login setup">
            <div class="login-top"><LangSwitch/></div>
            <h1>{i.s("设置销售内勤工作台", "Set up Salesdesk")}</h1>
            <p class="hint">{i.s(
                "新安装的系统:填写公司、总部和第一位管理员。之后由管理员在“管理”中添加分公司和用户。",
                "A new installation: enter the company, its head office and the first administrator. The administrator then adds branches and people under Administration.")}</p>
            <form on:submit=submit novalidate>
                {field("company").view(i.s("公司名称", "Company name"), company, "text", "organization")}
                {field("office_code").view(i.s("总部代码(2–8 位大写字母或数字)", "Head office code (2–8 capitals or digits)"), office_code, "text", "off")}
                {field("office_name").view(i.s("总部名称", "Head office name"), office_name, "text", "off")}
                {field("utc_offset_minutes").view(i.s("时区(与 UTC 相差的分钟数,中国为 480)", "Time zone (minutes from UTC; China is 480)"), offset, "number", "off")}
                {field("admin").view(i.s("管理员用户名", "Administrator's user name"), admin, "text", "username")}
                {field("admin_name").view(i.s("管理员姓名", "Administrator's name"), admin_name, "text", "name")}
                {field("password").view(i.s("管理员密码(至少 8 个字符)", "Administrator's password (at least 8 characters)"), password, "password", "new-password")}
                <FormError error=error/>
                <button type="submit" class="primary" disabled=move || busy.get()>{i.s("完成设置", "Set up")}</button>
            </form>
        </main>
    }
}
