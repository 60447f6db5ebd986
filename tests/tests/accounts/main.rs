//! Accounts and sign-in: first-run setup, login/logout with the session cookie, auth status,
//! personal user tokens (create, list, revoke) and whoami for every kind of caller.

mod callers;
mod sessions;
mod setup;
mod user_tokens;
