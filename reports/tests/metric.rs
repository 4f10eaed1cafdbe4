//! Reading metrics from results: units and confidence intervals.

mod fixture;

use edgebench_reports::Metric;
use edgebench_schema::{JobResult, LatencyReport, Status};
use fixture::summary;

#[test]
fn intervals_follow_the_unit_and_need_width() {
    let mut r = JobResult::failure("c", Status::Ok, "");
    r.latency = Some(LatencyReport {
        ttft_s: summary(0.15, 0.1, 0.2, 5),
        prefill_tps: summary(100.0, 100.0, 100.0, 5),
        decode_tps: summary(30.0, 30.0, 30.0, 5),
        e2e_s: summary(1.0, 1.0, 1.0, 5),
        token_ms: summary(33.0, 33.0, 33.0, 5),
    });
    let cell = fixture::cell("q8_0", r);
    let ttft = Metric::Ttft.read(&cell, None).expect("ttft");
    assert_eq!(ttft.value, 150.0);
    assert_eq!(ttft.ci, Some((100.0, 200.0)));
    assert_eq!(Metric::Ttft.format(ttft), "150.0 [100.0, 200.0]");
    let tps = Metric::DecodeTps.read(&cell, None).expect("tps");
    assert_eq!(tps.ci, None, "an interval without width is not shown");
    let failed = fixture::failed("q4_0", Status::Oom, "killed");
    assert_eq!(
        Metric::Ttft.read(&failed, None).expect_err("no value"),
        "status oom"
    );
}
