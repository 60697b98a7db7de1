//! The page shell: head, top bar, navigation and the main landmark.

use axum::http::StatusCode;
use maud::{DOCTYPE, Markup, html};
use palisade_core::access::Role;

use super::assets;
use crate::auth::Caller;

/// Sections of the navigation, in order: (path, label, minimum role that can view it).
const NAVIGATION: &[(&str, &str, Role)] = &[
    ("/", "Overview", Role::Viewer),
    ("/endpoints", "Endpoints", Role::Viewer),
    ("/data", "Sensitive data", Role::Viewer),
    ("/alerts", "Alerts", Role::Viewer),
    ("/attacks", "Attacks", Role::Viewer),
    ("/actors", "Actors", Role::Viewer),
    ("/rules", "Block rules", Role::Viewer),
    ("/tests", "Test runs", Role::Viewer),
    ("/settings", "Settings", Role::Admin),
];

/// One page: its title, the navigation entry to mark as current, and its content.
pub struct Page<'a> {
    pub title: &'a str,
    /// Path of the navigation entry this page belongs to.
    pub section: &'a str,
    pub caller: &'a Caller,
    /// A confirmation to show above the content, such as "Alert resolved".
    pub notice: Option<&'a str>,
}

impl Page<'_> {
    /// Renders the whole document around `content`.
    pub fn render(&self, content: Markup) -> Markup {
        let csrf = self.caller.csrf_token.as_deref().unwrap_or("");
        html! {
            (DOCTYPE)
            html lang="en" {
            (head(self.title, Some(csrf)))
            body {
                a class="skip-link" href="#main" { "Skip to content" }
                header class="topbar" {
                    a class="brand" href="/" {
                        img src={ "/assets/icon.svg?v=" (assets::version()) } alt="" width="24" height="24";
                        span { "Palisade" }
                    }
                    div class="account" {
                        span class="who" { (self.caller.name) " " span class="muted" { "(" (self.caller.role) ")" } }
                        @if self.caller.session {
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf_token" value=(csrf);
                                button type="submit" class="button secondary" { "Sign out" }
                            }
                        }
                    }
                }
                div class="shell" {
                    nav class="sidenav" aria-label="Main" {
                        ul {
                            @for (path, label, minimum) in NAVIGATION {
                                @if self.caller.role >= *minimum {
                                    li {
                                        @if *path == self.section {
                                            a href=(path) aria-current="page" { (label) }
                                        } @else {
                                            a href=(path) { (label) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    main id="main" tabindex="-1" {
                        @if let Some(notice) = self.notice {
                            p class="notice" role="status" { (notice) }
                        }
                        (content)
                    }
                }
            }
            }
        }
    }
}

/// Renders the document head. `csrf` goes into a `<meta>` tag for the script's fetch calls.
fn head(title: &str, csrf: Option<&str>) -> Markup {
    let version = assets::version();
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Palisade" }
            link rel="stylesheet" href={ "/assets/dashboard.css?v=" (version) };
            link rel="icon" type="image/svg+xml" href={ "/assets/icon.svg?v=" (version) };
            @if let Some(csrf) = csrf {
                meta name="csrf-token" content=(csrf);
            }
            script src={ "/assets/dashboard.js?v=" (version) } defer {}
        }
    }
}

/// Renders a page without navigation, for sign-in and errors.
pub fn bare_page(title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, None))
            body class="bare" {
                main id="main" class="bare-main" {
                    (content)
                }
            }
        }
    }
}

/// Renders the error page: the status, the message and a way back.
pub fn error_page(status: StatusCode, message: &str) -> Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    bare_page(
        title,
        html! {
            section class="card narrow" {
                h1 { (status.as_u16()) " " (title) }
                p { (message) }
                p { a href="/" { "Back to the overview" } }
            }
        },
    )
}
