//! `summary.md` of fixed result sets, compared as text.

mod fixture;

use edgebench_reports::{Objective, Selection, escape_markdown, render_markdown};
use edgebench_schema::Status;

fn selection(objective: Objective) -> Selection {
    Selection {
        max_accuracy_drop_pct: Some(1.0),
        max_peak_rss_mib: None,
        objective,
    }
}

const FIXED_RUN: &str = r"# edgebench: quickstart

Run 20250101-120000-abcd, started 2025-01-01T12:00:00Z: 4 cells, 3 ok, 1 did not succeed.

## tiny on pi5

32 prompt + 16 generated tokens, 4 threads. Best value per row in **bold**; brackets hold the 95 % confidence interval of the median.

| Metric | f32 | q8\_0 | q4\_0 | q4\_k |
|---|---:|---:|---:|---:|
| Size on disk (MiB) | 100.0 | 25.0 | n/a[^1] | **15.0** |
| Peak RAM (MiB) | 120.0 | 40.0 | n/a[^1] | **30.0** |
| Load time (ms) | 100.0 | 25.0 | n/a[^1] | **15.0** |
| Latency, 32+16 tokens (s) | 1.200 [1.080, 1.320] | 0.500 [0.450, 0.550] | n/a[^1] | **0.300 [0.270, 0.330]** |
| Energy per inference (J) | 1.200 | n/a[^2] | n/a[^1] | **0.500** |
| Accuracy drop, PPL Δ (%) | **ref** | +0.40 | n/a[^1] | +2.50 |
| Time to first token (ms) | 300.0 | 125.0 | n/a[^1] | **75.0** |
| Decode (tokens/s) | 13.3 | 32.0 | n/a[^1] | **53.3** |
| Energy per token (mJ) | 48.00 | n/a[^2] | n/a[^1] | **20.00** |

[^1]: status oom
[^2]: RAPL not readable: permission denied

### Recommendation

Recommended: **q8\_0**: lowest median latency 0.500 s of 2 recipes meeting the constraints (accuracy drop ≤ 1 %); energy not known for q8\_0 (RAPL not readable: permission denied), so chosen by latency.

Left out:

- q4\_0: status oom: killed by the OOM killer
- q4\_k: accuracy drop 2.50 % &gt; 1 %

## Cells that did not succeed

| Device | Model | Recipe | Status | Error |
|---|---|---|---|---|
| pi5 | tiny | q4\_0 | oom | killed by the OOM killer |
";

#[test]
fn fixed_run_snapshot() {
    let md = render_markdown(&fixture::fixed_run(), &selection(Objective::Energy));
    assert_eq!(md, FIXED_RUN, "actual:\n{md}");
}

#[test]
fn hostile_names_render_as_text() {
    assert_eq!(
        escape_markdown("<script>alert(1)</script>"),
        "&lt;script&gt;alert(1)&lt;/script&gt;"
    );
    assert_eq!(
        escape_markdown("a|b*c_d`e\nf\\g[h](i)"),
        r"a\|b\*c\_d\`e f\\g\[h\](i)"
    );
    let mut run = fixture::fixed_run();
    for c in &mut run.cells {
        c.model = "<script>alert(1)</script>".to_owned();
        c.device = "dev|ice\n# heading".to_owned();
    }
    run.cells[1].recipe = r#"q8 "quoted" `tick` **bold**"#.to_owned();
    run.cells[2].result.error = Some("boom <b>x</b> | y\nz".to_owned());
    let md = render_markdown(&run, &selection(Objective::Latency));
    assert!(!md.contains("<script>") && !md.contains("<b>"), "{md}");
    assert!(md.contains("## &lt;script&gt;alert(1)&lt;/script&gt; on dev\\|ice \\# heading"));
    assert!(
        md.contains(r#"| q8 "quoted" \`tick\` \*\*bold\*\* |"#),
        "{md}"
    );
    assert!(md.contains(r"| boom &lt;b&gt;x&lt;/b&gt; \| y z |"), "{md}");
    // Every table line keeps its column count despite the pipes in names.
    let header = md.lines().find(|l| l.starts_with("| Metric |")).unwrap();
    assert_eq!(header.matches(" |").count(), 5, "{header}");
}

#[test]
fn empty_run_says_so() {
    let md = render_markdown(&fixture::input(Vec::new()), &Selection::default());
    assert_eq!(
        md,
        "# edgebench: quickstart\n\nRun 20250101-120000-abcd, started 2025-01-01T12:00:00Z: \
         0 cells, 0 ok, 0 did not succeed.\n\nNo cells in this run: nothing was measured.\n"
    );
}

#[test]
fn all_failed_run_renders_with_reasons() {
    let run = fixture::input(vec![
        fixture::failed("f32", Status::Timeout, "took over 600 s"),
        fixture::failed("q8_0", Status::Unreachable, "ssh: connection refused"),
    ]);
    let md = render_markdown(&run, &Selection::default());
    assert!(md.contains("2 cells, 0 ok, 2 did not succeed."), "{md}");
    assert!(md.contains("No cell succeeded"), "{md}");
    assert!(
        md.contains("| Size on disk (MiB) | n/a[^1] | n/a[^2] |"),
        "{md}"
    );
    assert!(
        md.contains("[^1]: status timeout\n[^2]: status unreachable\n"),
        "{md}"
    );
    assert!(
        md.contains("No recommendation: no recipe meets the constraints"),
        "{md}"
    );
    assert!(md.contains("| pi5 | tiny | q8\\_0 | unreachable | ssh: connection refused |"));
    let bold_cells = md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("**"));
    assert_eq!(bold_cells.count(), 0, "{md}");
}
