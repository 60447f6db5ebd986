//! The non-API part of the site, for people's browsers and for agents reading docs: the agent
//! docs as markdown and HTML plus `/llms.txt` ([`docs`]), and the sign-in and notifications
//! pages ([`pages`]). Like `api/`, this layer knows HTTP; it reaches the store only through
//! `domain/`.

pub mod api_page;
pub mod docs;
mod html_page;
mod llms;
mod markdown;
pub mod pages;
