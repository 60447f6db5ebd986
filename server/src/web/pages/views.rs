//! The pages' templates (askama, HTML-escaped by default) and their view models: everything a
//! template shows is a plain string here, already shaped for display.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::domain::notifications::Notification;

use super::links;

#[derive(Template)]
#[template(path = "pages/login.html")]
pub struct LoginPage {
    pub username: String,
    pub next: String,
    pub csrf: String,
    pub error: Option<String>,
    /// No user exists yet: the page says so and links to the setup page instead of a form.
    pub no_user: bool,
}

#[derive(Template, Default)]
#[template(path = "pages/setup.html")]
pub struct SetupPage {
    pub username: String,
    pub full_name: String,
    pub email: String,
    pub csrf: String,
    /// The setup token the browser presented, carried to the POST.
    pub setup_token: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/front.html")]
pub struct FrontPage {
    pub version: &'static str,
}

#[derive(Template)]
#[template(path = "pages/message.html")]
pub struct MessagePage {
    pub title: &'static str,
    pub message: &'static str,
    pub back_href: &'static str,
    pub back_text: &'static str,
}

#[derive(Template)]
#[template(path = "pages/notifications.html")]
pub struct NotificationsPage {
    pub username: String,
    pub csrf: String,
    pub items: Vec<NotificationView>,
    /// The cursor this page was opened with (none on the first page).
    pub cursor: Option<String>,
    pub older_cursor: Option<String>,
    /// The page's ETag (see [`NotificationsPage::fingerprint`]), quoted.
    pub etag: String,
}

impl NotificationsPage {
    /// What the page shows that can change: the items and their read marks, the paging. The
    /// inbox script sends it back as `If-None-Match` and gets a `304` while it is the same.
    pub fn fingerprint(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{:?}\n{:?}\n",
            env!("CARGO_PKG_VERSION"),
            self.username,
            self.cursor,
            self.older_cursor
        );
        for n in &self.items {
            text.push_str(&n.id);
            text.push(if n.unread { 'u' } else { 'r' });
        }
        format!("\"{}\"", &crate::digest::sha256_hex(&text)[..32])
    }
}

pub struct NotificationView {
    pub id: String,
    pub title: String,
    pub message: String,
    pub source: String,
    pub app_origin: Option<String>,
    /// Shown only when it is not the everyday `normal`; also the badge's class
    /// (`priority-low`, `priority-high`), so each is coloured by what it means.
    pub priority: Option<String>,
    /// The `action_url` when it is safe to link to.
    pub action_href: Option<String>,
    /// The `action_url` when it is not: shown, never followed.
    pub action_text: Option<String>,
    pub unread: bool,
    pub time_iso: String,
    pub time_text: String,
}

impl From<&Notification> for NotificationView {
    fn from(n: &Notification) -> Self {
        let (action_href, action_text) = match n.action_url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => match links::action_href(url) {
                Some(href) => (Some(href), None),
                None => (None, Some(url.to_string())),
            },
            None => (None, None),
        };
        NotificationView {
            id: n.id.to_string(),
            title: n.title.clone(),
            message: n.message.clone(),
            source: n.source.clone(),
            app_origin: n.app_origin.clone().filter(|s| !s.trim().is_empty()),
            priority: (n.level != "normal").then(|| n.level.clone()),
            action_href,
            action_text,
            unread: !n.read,
            time_iso: n.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            time_text: n.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
}

/// A rendered page with its status. A template that fails to render is our bug: logged, and
/// the person gets a plain 500 rather than half a page.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, html_type(), html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page template failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                )],
                "The server failed to render this page.",
            )
                .into_response()
        }
    }
}

fn html_type() -> [(header::HeaderName, HeaderValue); 1] {
    [(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    )]
}

pub fn message(status: StatusCode, title: &'static str, text: &'static str) -> Response {
    render(
        status,
        &MessagePage {
            title,
            message: text,
            back_href: "/notifications",
            back_text: "Back to your notifications",
        },
    )
}

/// Refused because the request may have been made by another site on the person's behalf.
pub fn forbidden() -> Response {
    message(
        StatusCode::FORBIDDEN,
        "Request refused",
        "This form was sent from another site, or it is stale (its security token does not \
         match your session). Nothing was changed. Go back, reload the page and try again.",
    )
}

pub fn bad_request() -> Response {
    message(
        StatusCode::BAD_REQUEST,
        "Bad request",
        "The page could not read this request. Go back and try again.",
    )
}

pub fn not_found() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "Not found",
        "You have no such notification.",
    )
}

pub fn failed(status: StatusCode) -> Response {
    message(
        status,
        "Something went wrong",
        "The server could not complete this request. Try again in a moment.",
    )
}

/// `405` for a page path with the wrong method, with the methods it takes.
pub fn method_not_allowed(allow: &'static str) -> Response {
    let mut out = message(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
        "This address does not take that kind of request.",
    );
    out.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    out
}
