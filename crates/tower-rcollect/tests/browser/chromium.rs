//! Headless Chromium for the browser tests: which binary, and one page
//! load with a fresh profile, a watchdog and no process left behind. Also
//! used by the `rcollect` binary's HTTPS test (`crates/rcollect/tests/tls.rs`
//! includes this file), so it needs nothing but `std`.

use std::time::Duration;

/// The Chromium to run: `RCOLLECT_CHROMIUM`, else `chromium` on the PATH.
pub(crate) fn chromium() -> std::path::PathBuf {
    std::env::var_os("RCOLLECT_CHROMIUM")
        .map(Into::into)
        .unwrap_or_else(|| "chromium".into())
}

/// Runs Chromium headless in its own process group (with `extra_args`
/// before the URL), dumps the DOM, and stops every process of the group
/// afterwards.
pub(crate) fn run_chromium(
    browser: &std::path::Path,
    profile: &std::path::Path,
    url: &str,
    extra_args: &[&str],
) -> String {
    use std::os::unix::process::CommandExt;
    let child = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-dev-shm-usage",
            // No connections to Google's services (refused on a closed network).
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .args(extra_args)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", browser.display()));
    let group = child.id().to_string();
    // A watchdog: a Chromium that hangs is stopped after two minutes, so the
    // test fails (the DOM has no result) instead of hanging the run.
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let watched = group.clone();
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(Duration::from_secs(120)).is_err() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{watched}")])
                .status();
        }
    });
    let out = child.wait_with_output().expect("chromium");
    let _ = done.send(());
    let _ = watchdog.join();
    // Helpers Chromium left behind (it normally leaves none).
    let _ = std::process::Command::new("kill")
        .args(["-TERM", "--", &format!("-{group}")])
        .stderr(std::process::Stdio::null())
        .status();
    for _ in 0..50 {
        let alive = std::process::Command::new("pgrep")
            .args(["-g", &group])
            .output()
            .map(|o| !o.stdout.is_empty())
            .unwrap_or(false);
        if !alive {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .stderr(std::process::Stdio::null())
        .status();
    String::from_utf8_lossy(&out.stdout).into_owned()
        + "\n--- stderr ---\n"
        + &String::from_utf8_lossy(&out.stderr)
}
