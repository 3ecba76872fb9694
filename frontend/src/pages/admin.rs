//! Administration, online: offices (head office's admins), the people of the offices this
//! person manages, and their devices (a lost phone is signed out here).

use crate::admin_api::{self, ApiError};
use crate::i18n::{self, I18n, Lang};
use crate::state::use_ctx;
use common::desk::admin::{
    default_notice_hour, default_receipt_days, may_grant, may_manage_offices, may_manage_users_of, NewUser, Office,
    OfficeForm, Paper, User, UserPatch,
};
use common::desk::permissions::Role;
use common::engine::ids::OfficeCode;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// What a field's rule says, in Chinese (the server's messages are English).
fn field_zh(field: &str) -> &'static str {
    match field {
        "username" | "admin" => "用户名为 2–32 位小写字母、数字或下划线",
        "password" | "new" => "密码至少 8 个字符",
        "current" => "当前密码不正确",
        "display_name" | "admin_name" => "请填写姓名(最多 60 字)",
        "name" | "office_name" => "请填写机构名称(最多 60 字)",
        "code" | "office_code" => "机构代码为 2–8 位大写字母或数字,如 HQ",
        "utc_offset_minutes" => "时区为与 UTC 相差的分钟数,在 -720 到 840 之间",
        "company" => "请填写公司名称(最多 100 字)",
        "office" => "没有这个机构,或你不能管理它",
        "role" => "只有总部管理员可以设置管理员",
        _ => "请检查此项",
    }
}

pub fn paper_label(lang: Lang, p: Paper) -> &'static str {
    match (lang, p) {
        (Lang::Zh, Paper::A4) => "A4",
        (Lang::Zh, Paper::A5) => "A5",
        (Lang::Zh, Paper::Form241Third) => "241 三等分",
        (Lang::Zh, Paper::Form241Half) => "241 二等分",
        (Lang::En, Paper::A4) => "A4",
        (Lang::En, Paper::A5) => "A5",
        (Lang::En, Paper::Form241Third) => "241 mm form, thirds",
        (Lang::En, Paper::Form241Half) => "241 mm form, halves",
    }
}

/// A labelled input whose error, if the form's error names it, shows beneath it.
#[derive(Clone, Copy)]
pub struct FieldInput {
    /// Tells this form's fields from another's on the same page (their ids).
    scope: &'static str,
    name: &'static str,
    error: RwSignal<Option<ApiError>>,
}

impl FieldInput {
    pub fn new(scope: &'static str, name: &'static str, error: RwSignal<Option<ApiError>>) -> FieldInput {
        FieldInput { scope, name, error }
    }

    pub fn view(
        self,
        label: Signal<&'static str>,
        value: RwSignal<String>,
        ty: &'static str,
        autocomplete: &'static str,
    ) -> impl IntoView {
        let id = format!("f-{}-{}", self.scope, self.name);
        let err_id = format!("{id}-err");
        let name = self.name;
        let error = self.error;
        let i = use_ctx().i18n;
        let mine = move || error.with(|e| e.as_ref().and_then(|e| e.field().map(|f| f == name)).unwrap_or(false));
        let message = move || {
            error.with(|e| match e {
                Some(ApiError::Server { message, .. }) if mine() => {
                    if i.lang() == Lang::Zh {
                        field_zh(name).to_string()
                    } else {
                        message.clone()
                    }
                }
                _ => String::new(),
            })
        };
        view! {
            <div class="field">
                <label for=id.clone()>{label}</label>
                <input id=id name=name type=ty autocomplete=autocomplete
                    aria-invalid=move || mine().to_string() aria-describedby=err_id.clone()
                    prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
                <p class="field-error" id=err_id role="alert" hidden=move || !mine()>{message}</p>
            </div>
        }
    }
}

/// A form's error that no one field carries (offline, not allowed...).
#[component]
pub fn FormError(error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let i = use_ctx().i18n;
    let text = move || {
        error.with(|e| {
            e.as_ref().filter(|e| e.field().is_none()).map(|e| {
                let (zh, en) = e.text();
                if i.lang() == Lang::Zh {
                    zh
                } else {
                    en
                }
            })
        })
    };
    view! { {move || text().map(|t| view! { <p class="field-error" role="alert">{t}</p> })} }
}

fn role_options(i: I18n, may: impl Fn(Role) -> bool + Copy + Send + Sync + 'static) -> impl IntoView {
    move || {
        Role::ALL
            .into_iter()
            .filter(|r| may(*r))
            .map(|r| view! { <option value=r.code()>{i18n::role(i.lang(), r)}</option> })
            .collect_view()
    }
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let token = move || ctx.token().unwrap_or_default();
    let offices: RwSignal<Vec<Office>> = RwSignal::new(Vec::new());
    let users: RwSignal<Vec<User>> = RwSignal::new(Vec::new());
    let load_error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let reload = move || {
        spawn_local(async move {
            let t = token();
            match admin_api::offices(&t).await {
                Ok(list) => offices.set(list),
                Err(e) => return load_error.set(Some(e)),
            }
            match admin_api::users(&t).await {
                Ok(list) => {
                    users.set(list);
                    load_error.set(None);
                }
                Err(e) => load_error.set(Some(e)),
            }
        })
    };
    reload();
    let hq_admin = move || ctx.actor().is_some_and(|a| may_manage_offices(&a));
    let manager = move || ctx.actor().is_some_and(|a| may_manage_users_of(&a, &a.office));
    view! {
        <Show when=manager fallback=move || view! {
            <section><h1>{i.s("管理", "Administration")}</h1>
            <p>{i.s("只有管理员和经理可以管理用户。", "Only administrators and managers manage people.")}</p></section>
        }>
        <section class="admin">
            <div class="page-head">
                <h1>{i.s("管理", "Administration")}</h1>
                <button type="button" on:click=move |_| reload()>{i.s("刷新", "Refresh")}</button>
            </div>
            <p class="hint">{i.s("管理操作需要联网,保存后立即生效。", "Administration needs a connection; changes take effect at once.")}</p>
            <FormError error=load_error/>
            <Show when=hq_admin>
                <Offices offices=offices/>
            </Show>
            <Users users=users offices=offices reload=Callback::new(move |()| reload())/>
        </section>
        </Show>
    }
}

#[component]
fn Offices(offices: RwSignal<Vec<Office>>) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let code = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let offset = RwSignal::new("480".to_string());
    let paper = RwSignal::new(Paper::A4);
    let notice_hour = RwSignal::new(default_notice_hour().to_string());
    let receipt_days = RwSignal::new(default_receipt_days().to_string());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let saved = RwSignal::new(false);
    let edit = move |o: &Office| {
        notice_hour.set(o.notice_hour.to_string());
        receipt_days.set(o.receipt_days.to_string());
        saved.set(false);
        error.set(None);
        focus_soon("f-office-name");
        code.set(o.code.as_str().to_string());
        name.set(o.name.clone());
        offset.set(o.utc_offset_minutes.to_string());
        paper.set(o.paper);
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        let c = code.get_untracked().trim().to_uppercase();
        if OfficeCode::parse(&c).is_err() {
            return error.set(Some(invalid("code", "an office code is 2 to 8 capital letters or digits")));
        }
        let form = OfficeForm {
            name: name.get_untracked(),
            utc_offset_minutes: offset.get_untracked().trim().parse().unwrap_or(i32::MAX),
            paper: paper.get_untracked(),
            notice_hour: notice_hour.get_untracked().trim().parse().unwrap_or(u32::MAX),
            receipt_days: receipt_days.get_untracked().trim().parse().unwrap_or(0),
        };
        if let Err(e) = form.check() {
            return error.set(Some(invalid(e.field, e.message)));
        }
        let token = ctx.token().unwrap_or_default();
        spawn_local(async move {
            match admin_api::put_office(&token, &c, &form).await {
                Ok(list) => {
                    offices.set(list);
                    error.set(None);
                    saved.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let rows = move || {
        offices
            .get()
            .into_iter()
            .map(|o| {
                let shown = o.clone();
                view! {
                    <tr>
                        <td data-label=i.s("代码", "Code")>{o.code.as_str().to_string()}</td>
                        <td data-label=i.s("名称", "Name")><span>{o.name.clone()}{o.is_hq.then(|| view! { " "<span class="tag">{i.s("总部", "Head office")}</span> })}</span></td>
                        <td data-label=i.s("时区", "Zone")>{format!("UTC{:+}:{:02}", o.utc_offset_minutes / 60, (o.utc_offset_minutes % 60).abs())}</td>
                        <td data-label=i.s("打印纸", "Paper")>{move || paper_label(i.lang(), o.paper)}</td>
                        <td><button type="button" class="quiet" on:click=move |_| edit(&shown)>{i.s("编辑", "Edit")}</button></td>
                    </tr>
                }
            })
            .collect_view()
    };
    let field = move |n: &'static str| FieldInput::new("office", n, error);
    let editing = move || {
        let c = code.get().trim().to_uppercase();
        offices.with(|os| os.iter().any(|o| o.code.as_str() == c)).then_some(c)
    };
    let start_new = move |_| {
        code.set(String::new());
        name.set(String::new());
        offset.set("480".into());
        paper.set(Paper::A4);
        notice_hour.set(default_notice_hour().to_string());
        receipt_days.set(default_receipt_days().to_string());
        error.set(None);
        saved.set(false);
    };
    view! {
        <h2>{i.s("机构", "Offices")}</h2>
        <table class="list">
            <thead><tr>
                <th>{i.s("代码", "Code")}</th><th>{i.s("名称", "Name")}</th><th>{i.s("时区", "Zone")}</th>
                <th>{i.s("打印纸", "Paper")}</th><th><span class="sr-only">{i.s("操作", "Actions")}</span></th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <h3>{move || match editing() {
            Some(c) => format!("{} {c}", i.t("修改机构", "Changing office")),
            None => i.t("添加机构", "Add an office").to_string(),
        }}</h3>
        <form class="inline-form" on:submit=save novalidate aria-label=i.s("添加或修改机构", "Add or change an office")>
            {field("code").view(i.s("机构代码", "Office code"), code, "text", "off")}
            {field("name").view(i.s("机构名称", "Office name"), name, "text", "off")}
            {field("utc_offset_minutes").view(i.s("时区(分钟)", "Zone (minutes from UTC)"), offset, "number", "off")}
            <div class="field">
                <label for="f-office-paper">{i.s("打印纸", "Paper")}</label>
                <select id="f-office-paper" on:change=move |ev| paper.set(Paper::parse(&event_target_value(&ev)).unwrap_or_default())
                    prop:value=move || paper.get().code()>
                    {move || Paper::ALL.into_iter().map(|p| view! { <option value=p.code()>{paper_label(i.lang(), p)}</option> }).collect_view()}
                </select>
            </div>
            {field("notice_hour").view(i.s("发货通知截止(点)", "Shipment calls due by (hour)"), notice_hour, "number", "off")}
            {field("receipt_days").view(i.s("未签收提醒(天)", "List unsigned shipments after (days)"), receipt_days, "number", "off")}
            <button type="submit" class="primary">{i.s("保存机构", "Save office")}</button>
            {move || editing().is_some().then(|| view! {
                <button type="button" on:click=start_new>{i.s("改为添加新机构", "Add a new one instead")}</button>
            })}
            <FormError error=error/>
            {move || saved.get().then(|| view! { <p role="status">{i.s("已保存。", "Saved.")}</p> })}
        </form>
    }
}

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::Server { code: "invalid".into(), message: message.into(), field: Some(field.into()) }
}

#[component]
fn Users(users: RwSignal<Vec<User>>, offices: RwSignal<Vec<Office>>, reload: Callback<()>) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let selected: RwSignal<Option<String>> = RwSignal::new(None);
    let saved: RwSignal<Option<String>> = RwSignal::new(None);
    let may_office = move |o: &OfficeCode| ctx.actor().is_some_and(|a| may_manage_users_of(&a, o));
    let rows = move || {
        users
            .get()
            .into_iter()
            .map(|u| {
                let name = u.username.clone();
                let label = format!("{} ({})", u.display_name, u.username);
                view! {
                    <tr data-user=u.username.clone()>
                        <td data-label=i.s("姓名", "Name")>{label}</td>
                        <td data-label=i.s("角色", "Role")>{move || i18n::role(i.lang(), u.role)}</td>
                        <td data-label=i.s("机构", "Office")>{u.office.as_str().to_string()}</td>
                        <td data-label=i.s("状态", "State") class=if u.active { "" } else { "disabled-user" }>{move || if u.active { i.t("正常", "Active") } else { i.t("已停用", "Disabled") }}</td>
                        <td data-label=i.s("设备", "Devices")>{u.devices.len()}</td>
                        <td><button type="button" class="quiet" on:click=move |_| {
                            saved.set(None);
                            selected.set(Some(name.clone()));
                            focus_soon("f-edit-display_name");
                        }>{i.s("管理", "Manage")}</button></td>
                    </tr>
                }
            })
            .collect_view()
    };
    let chosen = move || selected.get().and_then(|n| users.with(|us| us.iter().find(|u| u.username == n).cloned()));
    view! {
        <h2>{i.s("用户", "People")}</h2>
        // The person being managed comes first, where the eye (and focus) goes.
        {move || chosen().map(|u| view! { <UserEditor user=u offices=offices reload=reload saved=saved selected=selected/> })}
        <table class="list users">
            <thead><tr>
                <th>{i.s("姓名", "Name")}</th><th>{i.s("角色", "Role")}</th><th>{i.s("机构", "Office")}</th>
                <th>{i.s("状态", "State")}</th><th>{i.s("设备", "Devices")}</th><th><span class="sr-only">{i.s("操作", "Actions")}</span></th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <AddUser offices=offices reload=reload may_office=Callback::new(move |o: OfficeCode| may_office(&o))/>
    }
}

fn office_options(offices: RwSignal<Vec<Office>>, may: Callback<OfficeCode, bool>) -> impl IntoView {
    move || {
        offices
            .get()
            .into_iter()
            .filter(|o| may.run(o.code.clone()))
            .map(|o| view! { <option value=o.code.as_str().to_string()>{format!("{} {}", o.code, o.name)}</option> })
            .collect_view()
    }
}

#[component]
fn AddUser(
    offices: RwSignal<Vec<Office>>,
    reload: Callback<()>,
    may_office: Callback<OfficeCode, bool>,
) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Clerk);
    let office = RwSignal::new(ctx.actor().map(|a| a.office.as_str().to_string()).unwrap_or_default());
    let password = RwSignal::new(String::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let added = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        added.set(None);
        let Ok(code) = OfficeCode::parse(&office.get_untracked()) else {
            return error.set(Some(invalid("office", "choose an office")));
        };
        let new = NewUser {
            username: username.get_untracked().trim().to_string(),
            display_name: display_name.get_untracked(),
            role: role.get_untracked(),
            office: code,
            password: password.get_untracked(),
        };
        if let Err(e) = new.check() {
            return error.set(Some(invalid(e.field, e.message)));
        }
        let token = ctx.token().unwrap_or_default();
        spawn_local(async move {
            match admin_api::add_user(&token, &new).await {
                Ok(()) => {
                    error.set(None);
                    added.set(Some(new.username.clone()));
                    username.set(String::new());
                    display_name.set(String::new());
                    password.set(String::new());
                    reload.run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let may_role = move |r: Role| ctx.actor().is_some_and(|a| may_grant(&a, r));
    let field = move |n: &'static str| FieldInput::new("new", n, error);
    view! {
        <h3>{i.s("添加用户", "Add a person")}</h3>
        <form class="inline-form" on:submit=save novalidate aria-label=i.s("添加用户", "Add a person")>
            {field("username").view(i.s("用户名", "User name"), username, "text", "off")}
            {field("display_name").view(i.s("姓名", "Name"), display_name, "text", "off")}
            <div class="field">
                <label for="f-new-role">{i.s("角色", "Role")}</label>
                <select id="f-new-role" prop:value=move || role.get().code()
                    on:change=move |ev| role.set(Role::parse(&event_target_value(&ev)).unwrap_or(Role::Clerk))>
                    {role_options(i, may_role)}
                </select>
            </div>
            <div class="field">
                <label for="f-new-office">{i.s("机构", "Office")}</label>
                <select id="f-new-office" prop:value=move || office.get() on:change=move |ev| office.set(event_target_value(&ev))>
                    {office_options(offices, may_office)}
                </select>
            </div>
            {field("password").view(i.s("初始密码", "First password"), password, "password", "new-password")}
            <button type="submit" class="primary">{i.s("添加", "Add")}</button>
            <FormError error=error/>
            {move || added.get().map(|u| view! { <p role="status">{move || format!("{} {u}", i.t("已添加", "Added"))}</p> })}
        </form>
    }
}

#[component]
fn UserEditor(
    user: User,
    offices: RwSignal<Vec<Office>>,
    reload: Callback<()>,
    /// Kept by the list: the editor is rebuilt when the list reloads after a save.
    saved: RwSignal<Option<String>>,
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let username = user.username.clone();
    let display_name = RwSignal::new(user.display_name.clone());
    let role = RwSignal::new(user.role);
    let office = RwSignal::new(user.office.as_str().to_string());
    let active = RwSignal::new(user.active);
    let password = RwSignal::new(String::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let token = move || ctx.token().unwrap_or_default();
    let original = user.clone();
    let name_for_save = username.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(None);
        let changed = |a: bool| a.then_some(());
        let office_code = OfficeCode::parse(&office.get_untracked()).ok();
        let patch = UserPatch {
            display_name: changed(display_name.get_untracked() != original.display_name)
                .map(|()| display_name.get_untracked()),
            role: changed(role.get_untracked() != original.role).map(|()| role.get_untracked()),
            office: office_code.filter(|c| *c != original.office),
            active: changed(active.get_untracked() != original.active).map(|()| active.get_untracked()),
            password: Some(password.get_untracked()).filter(|p| !p.is_empty()),
        };
        if let Err(e) = patch.check() {
            return error.set(Some(invalid(e.field, e.message)));
        }
        let name = name_for_save.clone();
        let t = token();
        spawn_local(async move {
            match admin_api::patch_user(&t, &name, &patch).await {
                Ok(()) => {
                    error.set(None);
                    password.set(String::new());
                    saved.set(Some(name.clone()));
                    reload.run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let may_role = move |r: Role| ctx.actor().is_some_and(|a| may_grant(&a, r));
    let may_office = Callback::new(move |o: OfficeCode| ctx.actor().is_some_and(|a| may_manage_users_of(&a, &o)));
    let offset = ctx.offset_minutes();
    let no_devices = user.devices.is_empty();
    let this_device = ctx.replica.with_untracked(|r| r.meta.client);
    let myself = ctx.actor().is_some_and(|a| a.username == user.username);
    let devices = user
        .devices
        .iter()
        .map(|d| {
            let client = d.client;
            let who = username.clone();
            let seen = if d.last_seen_ms == 0 {
                None
            } else {
                Some(common::desk::time::format_local(d.last_seen_ms, offset))
            };
            let (pending, signed_in, no) = (d.pending, d.signed_in, d.device_no);
            let sign_out = move |_| {
                let who = who.clone();
                let t = token();
                spawn_local(async move {
                    match admin_api::sign_out(&t, &who, client).await {
                        Ok(()) => reload.run(()),
                        Err(e) => error.set(Some(e)),
                    }
                });
            };
            view! {
                <li data-device=client.to_string()>
                    <span>{move || format!("{} #{no}", i.t("设备", "Device"))}</span>
                    {(client == this_device).then(|| view! { <strong>{i.s("(本机)", " (this device)")}</strong> })}
                    " · "
                    <span>{move || match &seen { Some(t) => format!("{} {t}", i.t("最近同步", "last synced")), None => i.t("从未同步", "never synced").to_string() }}</span>
                    " · "
                    <span>{move || format!("{pending} {}", i.t("条待同步", "waiting"))}</span>
                    " · "
                    {if signed_in {
                        view! { <button type="button" class="danger" on:click=sign_out>{i.s("退出此设备", "Sign this device out")}</button> }.into_any()
                    } else {
                        view! { <span class="muted">{i.s("已退出", "signed out")}</span> }.into_any()
                    }}
                </li>
            }
        })
        .collect_view();
    let field = move |n: &'static str| FieldInput::new("edit", n, error);
    let title = format!("{} ({})", user.display_name, user.username);
    let heading = title.clone();
    view! {
        <section class="user-editor" aria-label=title>
            <h3>{heading}</h3>
            <form class="inline-form" on:submit=save novalidate>
                {field("display_name").view(i.s("姓名", "Name"), display_name, "text", "off")}
                <div class="field">
                    <label for="f-edit-role">{i.s("角色", "Role")}</label>
                    <select id="f-edit-role" disabled=myself prop:value=move || role.get().code()
                        on:change=move |ev| role.set(Role::parse(&event_target_value(&ev)).unwrap_or(Role::Clerk))>
                        {role_options(i, may_role)}
                    </select>
                </div>
                <div class="field">
                    <label for="f-edit-office">{i.s("机构", "Office")}</label>
                    <select id="f-edit-office" disabled=myself prop:value=move || office.get() on:change=move |ev| office.set(event_target_value(&ev))>
                        {office_options(offices, may_office)}
                    </select>
                </div>
                <div class="field">
                    <label><input type="checkbox" id="f-edit-active" disabled=myself prop:checked=move || active.get()
                        on:change=move |ev| active.set(event_target_checked(&ev))/>{i.s(" 可以登录", " May log in")}</label>
                </div>
                {field("password").view(i.s("重设密码(留空不改)", "New password (empty: unchanged)"), password, "password", "new-password")}
                <button type="submit" class="primary">{i.s("保存", "Save")}</button>
                <button type="button" on:click=move |_| selected.set(None)>{i.s("关闭", "Close")}</button>
                <FormError error=error/>
            </form>
            {move || saved.get().map(|_| view! { <p role="status" class="saved">{i.s("已保存。停用、改角色或重设密码后,此人所有设备需重新登录。", "Saved. After disabling, a role change or a password reset, every device of theirs must log in again.")}</p> })}
            <h4>{i.s("设备", "Devices")}</h4>
            {no_devices.then(|| view! { <p class="muted">{i.s("还没有登录过的设备。", "No device has logged in yet.")}</p> })}
            <ul class="devices">{devices}</ul>
        </section>
    }
}

/// Moves focus to `id` once the view holding it is drawn (and scrolls it into view).
fn focus_soon(id: &'static str) {
    leptos::task::spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(0).await;
        if let Some(e) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(id)) {
            use wasm_bindgen::JsCast;
            if let Ok(h) = e.dyn_into::<web_sys::HtmlElement>() {
                let _ = h.focus();
            }
        }
    });
}
