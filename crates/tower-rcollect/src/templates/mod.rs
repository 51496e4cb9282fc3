//! Template helpers: the tags (`<link>`, `<script>` with SRI), the
//! preload hints from the reference graph, and the adapters of the
//! template engines (one cargo feature each).

pub(crate) mod engines;
pub(crate) mod importmap;
pub(crate) mod pages;
pub(crate) mod preload;
pub(crate) mod tags;
pub(crate) mod vite;
