//! One arm of one block: whether it counts, and the device facts both arms
//! of a block must share. Its values are the store's metrics of the arm's
//! result (medians over its repetitions).

use edgebench_schema::{JobResult, Status};

/// Why an arm does not count, if it does not.
pub fn invalid_reason(r: &JobResult) -> Option<String> {
    if r.status != Status::Ok {
        return Some(format!(
            "{}: {}",
            r.status.name(),
            r.error.as_deref().unwrap_or("")
        ));
    }
    if !r.validity.valid {
        return Some(format!("invalid: {}", r.validity.reasons.join("; ")));
    }
    None
}

/// Device facts that must be the same in both arms of a block for the
/// comparison to mean anything: the CPU, the frequency governors and
/// limits, the kernel and the meter, as the agent read them before its
/// repetitions (`device.before`).
pub fn comparable_facts(r: &JobResult) -> String {
    let d = &r.device["before"];
    let governors: Vec<String> = d["cpufreq"]
        .as_array()
        .map(|policies| {
            policies
                .iter()
                .map(|p| {
                    format!(
                        "{}:{}:{}-{}",
                        text(&p["policy"]),
                        text(&p["governor"]),
                        text(&p["min_freq_mhz"]),
                        text(&p["max_freq_mhz"])
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let meter = r.energy.as_ref().map_or("", |e| e.meter.as_str());
    format!(
        "cpu {} governors [{}] kernel {} meter {meter}",
        text(&d["cpu"]["model"]),
        governors.join(" "),
        text(&d["kernel_release"])
    )
}

/// A fact as text: strings as they are, a missing fact as `?`.
fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "?".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(kernel: &str, governor: &str) -> JobResult {
        let mut r = JobResult::failure("c", Status::Ok, "");
        r.error = None;
        r.device = serde_json::json!({
            "before": {
                "cpu": {"model": "Cortex-A76"},
                "cpufreq": [{"policy": "policy0", "governor": governor,
                             "min_freq_mhz": 1500.0, "max_freq_mhz": 2400.0}],
                "kernel_release": kernel,
            },
            "after": {"kernel_release": "ignored"},
        });
        r
    }

    #[test]
    fn facts_come_from_before_the_repetitions() {
        let a = comparable_facts(&result("6.6.31", "performance"));
        assert!(a.contains("Cortex-A76") && a.contains("6.6.31"), "{a}");
        assert!(a.contains("[policy0:performance:1500.0-2400.0]"), "{a}");
        assert_ne!(a, comparable_facts(&result("6.6.32", "performance")));
        assert_ne!(a, comparable_facts(&result("6.6.31", "ondemand")));
        assert_eq!(a, comparable_facts(&result("6.6.31", "performance")));
    }
}
