//! The facts of each device shown in the report's header, from what its
//! agents reported: CPU, cores, ISA, kernel, memory, governor, meter, the
//! temperature range over the run and any throttling seen.

use edgebench_reports::{CellRow, DeviceFacts};
use serde_json::Value;

/// The devices of `cells` in the order met, with their facts.
pub fn device_facts(cells: &[CellRow]) -> Vec<DeviceFacts> {
    let mut names: Vec<&str> = Vec::new();
    for c in cells {
        if !names.contains(&c.device.as_str()) {
            names.push(&c.device);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let on: Vec<&CellRow> = cells.iter().filter(|c| c.device == name).collect();
            DeviceFacts {
                name: name.to_owned(),
                facts: facts(&on),
            }
        })
        .collect()
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The facts of one device's cells; empty when none reported any.
fn facts(cells: &[&CellRow]) -> Vec<(String, String)> {
    let Some(first) = cells.iter().find(|c| c.result.device.is_object()) else {
        return Vec::new();
    };
    let device = &first.result.device;
    let before = &device["before"];
    let cpu = &before["cpu"];
    let agent = &first.result.agent;
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            out.push((k.to_owned(), v));
        }
    };
    push(
        "CPU",
        text(&cpu["model"]).or_else(|| text(&cpu["hardware"])),
    );
    push("Board", text(&cpu["board"]));
    push("Logical cores", text(&cpu["logical_cores"]));
    push(
        "Kernel ISA",
        (!agent.isa.is_empty()).then(|| agent.isa.clone()),
    );
    push(
        "Agent",
        (!agent.version.is_empty()).then(|| {
            format!(
                "{} ({}, {})",
                agent.version, agent.target, agent.git_revision
            )
        }),
    );
    for (name, build) in runtimes(cells) {
        push(&name, Some(build));
    }
    push("Linux", text(&before["kernel_release"]));
    push(
        "Memory",
        before["memory"]["total_kib"]
            .as_f64()
            .map(|k| format!("{:.1} GiB", k / (1024.0 * 1024.0))),
    );
    push("Governor", governors(before));
    push("Energy meter", text(&device["meter"]));
    push("Temperature", temperature_range(cells));
    push("Throttling", throttling(cells));
    out
}

/// Each runtime other than the kernel that produced results on the device,
/// with its version, commit and the CPU code it ran (distinct builds
/// joined).
fn runtimes(cells: &[&CellRow]) -> Vec<(String, String)> {
    let mut builds: Vec<(&str, Vec<String>)> = Vec::new();
    for info in cells.iter().filter_map(|c| c.result.runtime.as_ref()) {
        if info.name.is_default() {
            continue;
        }
        let mut build = info.version.clone();
        if let Some(commit) = &info.commit {
            build.push_str(&format!(", commit {commit}"));
        }
        build.push_str(&format!(", {}", info.cpu_backend));
        let name = info.name.name();
        match builds.iter_mut().find(|(n, _)| *n == name) {
            Some((_, seen)) if !seen.contains(&build) => seen.push(build),
            Some(_) => {}
            None => builds.push((name, vec![build])),
        }
    }
    builds
        .into_iter()
        .map(|(name, seen)| (name.to_owned(), seen.join("; ")))
        .collect()
}

/// The distinct governors and the highest maximum frequency.
fn governors(before: &Value) -> Option<String> {
    let policies = before["cpufreq"].as_array()?;
    let mut governors: Vec<String> = Vec::new();
    let mut max_mhz: Option<f64> = None;
    for p in policies {
        if let Some(g) = text(&p["governor"])
            && !governors.contains(&g)
        {
            governors.push(g);
        }
        if let Some(f) = p["max_freq_mhz"].as_f64() {
            max_mhz = Some(max_mhz.map_or(f, |m| m.max(f)));
        }
    }
    if governors.is_empty() && max_mhz.is_none() {
        return None;
    }
    let mut s = governors.join(", ");
    if let Some(f) = max_mhz {
        if !s.is_empty() {
            s.push_str(", ");
        }
        s.push_str(&format!("max {f:.0} MHz"));
    }
    Some(s)
}

/// The coolest start and hottest end over the device's cells, °C.
fn temperature_range(cells: &[&CellRow]) -> Option<String> {
    let temps = |key: &str| -> Vec<f64> {
        cells
            .iter()
            .filter_map(|c| c.result.device[key].as_f64())
            .collect()
    };
    let low = temps("temp_before_c").into_iter().reduce(f64::min)?;
    let high = temps("temp_after_c").into_iter().reduce(f64::max)?;
    Some(format!(
        "{low:.1} °C at the coolest start, {high:.1} °C at the hottest end"
    ))
}

/// The throttling flags any cell saw after its repetitions.
fn throttling(cells: &[&CellRow]) -> Option<String> {
    let mut seen: Vec<&str> = Vec::new();
    let mut any = false;
    for c in cells {
        let t = &c.result.device["after"]["throttling"];
        if !t.is_object() {
            continue;
        }
        any = true;
        for (key, name) in [
            ("under_voltage_occurred", "under-voltage"),
            ("freq_capped_occurred", "frequency capped"),
            ("throttled_occurred", "throttled"),
            ("soft_temp_limit_occurred", "soft temperature limit"),
        ] {
            if t[key].as_bool() == Some(true) && !seen.contains(&name) {
                seen.push(name);
            }
        }
    }
    if !any {
        return None;
    }
    Some(if seen.is_empty() {
        "none seen".to_owned()
    } else {
        format!("{} (during the run)", seen.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgebench_schema::{JobResult, Status};

    fn cell(device: &str, json: Value) -> CellRow {
        let mut r = JobResult::failure("c", Status::Ok, "");
        r.device = json;
        r.agent.isa = "neon-dotprod".to_owned();
        CellRow {
            device: device.to_owned(),
            model: "m".to_owned(),
            recipe: "q4_0".to_owned(),
            runtime: Default::default(),
            threads: 4,
            prompt_tokens: 8,
            gen_tokens: 8,
            result: r,
        }
    }

    #[test]
    fn facts_from_the_agent_report() {
        let json = serde_json::json!({
            "before": {
                "cpu": {"model": "Cortex-A76", "board": "Raspberry Pi 5 Model B Rev 1.0", "logical_cores": 4},
                "kernel_release": "6.6.31+rpt-rpi-2712",
                "memory": {"total_kib": 8_245_000},
                "cpufreq": [{"policy": "policy0", "governor": "performance", "max_freq_mhz": 2400.0}]
            },
            "after": {"throttling": {"throttled_occurred": true}},
            "temp_before_c": 45.5,
            "temp_after_c": 61.3,
            "meter": "ina219 on i2c-1 @0x40"
        });
        let mut cooler = json.clone();
        cooler["temp_before_c"] = serde_json::json!(41.0);
        cooler["after"]["throttling"]["throttled_occurred"] = serde_json::json!(false);
        let mut on_llama = cell("pi5", json.clone());
        on_llama.result.runtime = Some(edgebench_schema::RuntimeInfo {
            name: edgebench_schema::Runtime::LlamaCpp,
            version: "llama-cpp-sys-2 0.1.161 (ggml 0.26.0)".to_owned(),
            commit: None,
            cpu_backend: "ggml-cpu aarch64 (NEON ARM_FMA)".to_owned(),
            build: None,
        });
        let devices = device_facts(&[
            cell("pi5", json),
            cell("pi5", cooler),
            on_llama.clone(),
            on_llama,
            cell("orin", Value::Null),
        ]);
        assert_eq!(devices.len(), 2);
        let f: std::collections::BTreeMap<_, _> = devices[0].facts.iter().cloned().collect();
        assert_eq!(f["CPU"], "Cortex-A76");
        assert_eq!(f["Logical cores"], "4");
        assert_eq!(f["Kernel ISA"], "neon-dotprod");
        assert_eq!(f["Memory"], "7.9 GiB");
        assert_eq!(f["Governor"], "performance, max 2400 MHz");
        assert_eq!(
            f["Temperature"],
            "41.0 °C at the coolest start, 61.3 °C at the hottest end"
        );
        assert_eq!(f["Throttling"], "throttled (during the run)");
        assert_eq!(f["Energy meter"], "ina219 on i2c-1 @0x40");
        assert_eq!(
            f["llama.cpp"],
            "llama-cpp-sys-2 0.1.161 (ggml 0.26.0), ggml-cpu aarch64 (NEON ARM_FMA)"
        );
        assert!(devices[1].facts.is_empty(), "no report from orin");
    }
}
