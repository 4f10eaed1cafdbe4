//! `report.html` in a real browser: headless Chromium opens the file from
//! disk, runs the page's script without a console message, shows every
//! chart's SVG, sorts and filters the all-cells table, and leaves a
//! screenshot in `target/tmp/report.png` for people to look at.
//!
//! Chromium is found on `PATH` (`chromium`, `chromium-browser`,
//! `google-chrome`) or in `EDGEBENCH_CHROMIUM`. Without it the tests are
//! skipped, unless `EDGEBENCH_REQUIRE_BROWSER=1` (set by `scripts/test.sh`,
//! which installs it) makes that a failure.

mod fixture;

use std::path::{Path, PathBuf};
use std::process::Command;

use edgebench_reports::{ChartBody, Objective, Selection, charts, render_html};

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("EDGEBENCH_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    if std::env::var_os("EDGEBENCH_REQUIRE_BROWSER").is_some_and(|v| v == "1") {
        panic!("no Chromium on PATH and EDGEBENCH_REQUIRE_BROWSER=1");
    }
    eprintln!("skipped: no Chromium on PATH (set EDGEBENCH_CHROMIUM)");
    None
}

/// What the browser made of a page.
struct Loaded {
    /// The DOM after the scripts ran.
    dom: String,
    /// Console messages and uncaught errors.
    console: Vec<String>,
}

fn run_chromium(browser: &Path, page: &Path, extra: &[&str]) -> Loaded {
    let profile = tempfile::tempdir().expect("profile dir");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=2000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    Loaded {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        console,
    }
}

fn write_page(dir: &Path, name: &str, html: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, html).expect("write page");
    path
}

fn report() -> (edgebench_reports::ReportInput, String) {
    let input = fixture::fixed_run();
    let selection = Selection {
        max_accuracy_drop_pct: Some(1.0),
        max_peak_rss_mib: None,
        objective: Objective::Latency,
    };
    let html = render_html(&input, &selection).expect("renders");
    (input, html)
}

#[test]
fn report_loads_without_console_messages_and_shows_every_chart() {
    let Some(browser) = chromium() else { return };
    let (input, html) = report();
    let dir = tempfile::tempdir().expect("dir");
    let page = write_page(dir.path(), "report.html", &html);
    let loaded = run_chromium(&browser, &page, &["--dump-dom"]);
    assert!(loaded.console.is_empty(), "console: {:#?}", loaded.console);
    assert!(
        loaded.dom.contains("data-ready=\"true\""),
        "the page's script did not finish"
    );
    let svgs = charts(&input)
        .iter()
        .filter(|c| matches!(c.body, ChartBody::Svg(_)))
        .count();
    assert!(svgs > 0, "the fixture draws charts");
    assert_eq!(
        loaded.dom.matches("<svg").count(),
        svgs,
        "every chart's SVG"
    );
    assert!(
        loaded.dom.contains("aria-sort=\"none\""),
        "tables made sortable"
    );

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report.png");
    let _ = std::fs::remove_file(&shot);
    let screenshot = format!("--screenshot={}", shot.display());
    run_chromium(&browser, &page, &[&screenshot, "--window-size=1280,3000"]);
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    eprintln!("screenshot: {}", shot.display());
}

#[test]
fn a_page_error_is_caught() {
    let Some(browser) = chromium() else { return };
    let (_, html) = report();
    let broken = html.replace("\"use strict\";", "\"use strict\"; missingFunction();");
    assert_ne!(broken, html);
    let dir = tempfile::tempdir().expect("dir");
    let page = write_page(dir.path(), "broken.html", &broken);
    let loaded = run_chromium(&browser, &page, &["--dump-dom"]);
    assert!(
        loaded.console.iter().any(|l| l.contains("missingFunction")),
        "console: {:#?}",
        loaded.console
    );
    assert!(!loaded.dom.contains("data-ready=\"true\""));
}

/// Clicks a header of the all-cells table twice and types in the filter,
/// recording the row order after each step in the DOM.
const DRIVER: &str = r#"<script>
(function () {
  const table = document.getElementById("all-cells");
  const column = Array.from(table.tHead.rows[0].cells).findIndex(function (th) { return th.textContent === "Latency (s)"; });
  const order = function () { return Array.from(table.tBodies[0].rows).map(function (r) { return r.cells[2].textContent; }).join(","); };
  const th = table.tHead.rows[0].cells[column];
  th.click();
  document.body.setAttribute("data-ascending", order());
  th.click();
  document.body.setAttribute("data-descending", order());
  const filter = document.getElementById("filter");
  filter.value = "q8";
  filter.dispatchEvent(new Event("input"));
  const visible = Array.from(table.tBodies[0].rows).filter(function (r) { return !r.classList.contains("hidden"); });
  document.body.setAttribute("data-visible", visible.map(function (r) { return r.cells[2].textContent; }).join(","));
})();
</script></body>"#;

#[test]
fn all_cells_table_sorts_and_filters() {
    let Some(browser) = chromium() else { return };
    let (_, html) = report();
    let driven = html.replace("</body>", DRIVER);
    let dir = tempfile::tempdir().expect("dir");
    let page = write_page(dir.path(), "driven.html", &driven);
    let loaded = run_chromium(&browser, &page, &["--dump-dom"]);
    assert!(loaded.console.is_empty(), "console: {:#?}", loaded.console);
    // Latencies: q4_k 0.3, q8_0 0.5, f32 1.2; q4_0 failed (n/a) sorts last.
    assert!(
        loaded.dom.contains("data-ascending=\"q4_k,q8_0,f32,q4_0\""),
        "{}",
        loaded.dom
    );
    assert!(
        loaded
            .dom
            .contains("data-descending=\"f32,q8_0,q4_k,q4_0\"")
    );
    assert!(loaded.dom.contains("data-visible=\"q8_0\""));
}
