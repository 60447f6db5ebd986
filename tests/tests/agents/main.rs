//! The agents registry: list (paged), create (slugs), get, update, permissions, delete
//! (archive), archived list/restore/purge, export/import.

mod archive;
mod create;
mod export;
mod list;
mod update;
