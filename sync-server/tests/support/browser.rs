//! A cookie-keeping HTTP client that logs in to the pages as a browser
//! does: fetch the form, send its token back with the login.

use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::redirect::Policy;

use super::TestServer;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct Browser {
    pub client: reqwest::Client,
    pub cookies: Vec<String>,
    /// Sent with every request (e.g. `X-Forwarded-For` behind a test proxy).
    pub extra: Vec<(&'static str, String)>,
}

pub fn cookie_value(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

impl Browser {
    pub fn new() -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            cookies: Vec::new(),
            extra: Vec::new(),
        }
    }

    pub fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|c| c.split(';').next().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn with_extra(&self, mut request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        for (name, value) in &self.extra {
            request = request.header(*name, value);
        }
        request.header(COOKIE, self.header())
    }

    pub async fn get(&self, url: &str) -> (u16, String) {
        let r = self.get_response(url).await;
        (r.status().as_u16(), r.text().await.unwrap())
    }

    pub async fn get_response(&self, url: &str) -> reqwest::Response {
        self.with_extra(self.client.get(url)).send().await.unwrap()
    }

    pub async fn post(&self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.with_extra(self.client.post(url))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn log_in(server: &TestServer, login: &str, password: &str) -> (Browser, u16) {
        let b = Browser::new();
        b.try_log_in(server, login, password).await
    }

    /// Logs in with this browser's extra headers; returns it with the
    /// session cookie (if one was set) and the login's status.
    pub async fn try_log_in(
        mut self,
        server: &TestServer,
        login: &str,
        password: &str,
    ) -> (Browser, u16) {
        let (status, _) = self.log_in_page(server, login, password).await;
        (self, status)
    }

    /// Logs in and returns the answer's status and page too.
    pub async fn log_in_page(
        &mut self,
        server: &TestServer,
        login: &str,
        password: &str,
    ) -> (u16, String) {
        self.cookies.retain(|c| !c.starts_with("fk_login="));
        let r = self.get_response(&server.url("/login")).await;
        self.cookies
            .push(cookie_value(&r, "fk_login").expect("login cookie"));
        let token = hidden(&r.text().await.unwrap(), "csrf");
        let r = self
            .post(
                &server.url("/login"),
                &[("login", login), ("password", password), ("csrf", &token)],
            )
            .await;
        let status = r.status().as_u16();
        if let Some(session) = cookie_value(&r, "fk_session") {
            self.cookies.push(session);
        }
        (status, r.text().await.unwrap_or_default())
    }
}

/// Adds a web user with [`PASSWORD`], as `user add` does.
pub fn add_user(server: &TestServer, login: &str, role: &str) {
    fieldkit_sync_server::admin_web::add_user(
        &*server.store,
        login,
        role,
        PASSWORD,
        time::OffsetDateTime::now_utc(),
    )
    .unwrap();
}
