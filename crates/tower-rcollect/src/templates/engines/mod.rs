//! Template-engine integrations, one cargo feature each. Each is a thin
//! adapter over [`StaticFiles::static_url`](crate::StaticFiles::static_url),
//! [`integrity`](crate::StaticFiles::integrity) and the tags of `tags`.

#[cfg(feature = "askama")]
pub(crate) mod askama;
#[cfg(feature = "maud")]
mod maud;
#[cfg(feature = "minijinja")]
mod minijinja;
#[cfg(feature = "tera")]
mod tera;
