//! The [`StaticFiles`] of the request being handled: set by the layer while
//! the inner service works on a request it passed on (each poll of the
//! inner future runs with it set), and by [`StaticFiles::scope`] around any
//! code. It is how the askama filters (`askama_filters`) reach the files
//! without a struct field or an extractor; [`StaticFiles::current`] gives
//! it to any other code (a maud function, a helper).
//!
//! A thread-local set for the length of one poll (restored afterwards, also
//! when the poll panics), not a global: two apps with their own
//! `StaticFiles` in one process each see their own, and nothing outlives
//! the poll. Work moved off the request's task (`spawn_blocking`, a
//! spawned task) does not see it: take `Extension<StaticFiles>` there, or
//! wrap the work in [`StaticFiles::scope`].

use std::cell::Cell;

use crate::files::StaticFiles;

thread_local! {
    static CURRENT: Cell<Option<StaticFiles>> = const { Cell::new(None) };
}

/// Puts the previous value back when dropped.
struct Restore(Option<StaticFiles>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        let _ = CURRENT.try_with(|c| c.set(previous));
    }
}

/// Runs `f` with `files` as the current files. Without thread-local
/// storage (a thread being torn down) `f` runs without it.
pub(crate) fn with<R>(files: &StaticFiles, f: impl FnOnce() -> R) -> R {
    let Ok(previous) = CURRENT.try_with(|c| c.replace(Some(files.clone()))) else {
        return f();
    };
    let _restore = Restore(previous);
    f()
}

impl StaticFiles {
    /// The files of the request being handled: inside a handler (or
    /// anything it calls on the same task) behind this layer, or inside
    /// [`scope`](Self::scope). `None` elsewhere.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// # std::fs::create_dir(dir.path().join("static"))?;
    /// # std::fs::write(dir.path().join("static/app.css"), "body{}")?;
    /// # let mut config = tower_rcollect::Config::new(dir.path().join("out"), "/static/");
    /// # config.dirs = vec![tower_rcollect::SourceDir { prefix: String::new(), path: dir.path().join("static") }];
    /// # config.debug = true;
    /// use tower_rcollect::StaticFiles;
    /// let files = StaticFiles::from_config(&config)?;
    /// assert!(StaticFiles::current().is_none());
    /// let url = files.scope(|| StaticFiles::current().map(|f| f.static_url("app.css")));
    /// assert_eq!(url, Some(Ok("/static/app.css".to_string())));
    /// # Ok(()) }
    /// ```
    pub fn current() -> Option<StaticFiles> {
        CURRENT
            .try_with(|c| {
                let files = c.take();
                c.set(files.clone());
                files
            })
            .ok()
            .flatten()
    }

    /// Runs `f` with these files as [`current`](Self::current): for
    /// rendering outside a request that passed through the layer (a test,
    /// an e-mail, a background job, `spawn_blocking`).
    pub fn scope<R>(&self, f: impl FnOnce() -> R) -> R {
        with(self, f)
    }
}
