//! Bad matrices: every error names its file, line and column, says what is
//! wrong and suggests a fix where one exists.

use std::path::Path;

use edgebench::matrix::{Diagnostic, load, load_str};

/// A valid matrix of four lines; tests append sections from line 5 on.
const BASE: &str =
    "recipes = [\"f32\"]\n[[models]]\nname = \"m\"\nsynthetic = { preset = \"tiny\" }\n";

/// One model, three lines, no recipes; tests add [[recipes]] from line 4.
const MODEL: &str = "[[models]]\nname = \"m\"\nsynthetic = { preset = \"tiny\" }\n";

fn errors(text: &str) -> Vec<Diagnostic> {
    match load_str(Path::new("m.toml"), text) {
        Ok(_) => panic!("expected errors in:\n{text}"),
        Err(e) => e.0,
    }
}

/// The error at `position` whose message contains `message`.
fn expect(errs: &[Diagnostic], position: &str, message: &str) -> Diagnostic {
    errs.iter()
        .find(|d| d.position().as_deref() == Some(position) && d.message.contains(message))
        .cloned()
        .unwrap_or_else(|| {
            let all: Vec<String> = errs.iter().map(ToString::to_string).collect();
            panic!(
                "no error '{message}' at {position}; got:\n{}",
                all.join("\n")
            )
        })
}

fn help(d: &Diagnostic) -> &str {
    d.help.as_deref().unwrap_or("")
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/matrices")
        .join(name)
}

#[test]
fn the_base_matrix_is_valid() {
    assert!(load_str(Path::new("m.toml"), BASE).is_ok());
}

#[test]
fn wrong_types_point_at_the_value() {
    let e = errors(&format!("{BASE}[workload]\nthreads = \"two\"\n"));
    let d = expect(&e, "m.toml:6:11", "invalid type: string \"two\"");
    assert!(d.message.contains("`threads` of [workload]"), "{d}");
    let e = errors(
        "name = 3\nrecipes = [\"f32\"]\n[[models]]\nname = \"m\"\nsynthetic = { preset = \"tiny\" }\n",
    );
    expect(
        &e,
        "m.toml:1:8",
        "invalid type: integer `3`, expected a string",
    );
    let e = errors(&format!("{BASE}[measure]\nmin_reps = -1\n"));
    expect(&e, "m.toml:6:12", "expected a non-negative integer");
}

#[test]
fn unknown_keys_suggest_the_nearest_valid_key() {
    let e = errors(&format!("modles = 1\n{BASE}"));
    let d = expect(&e, "m.toml:1:1", "unknown key `modles` in the matrix");
    assert_eq!(help(&d), "did you mean `models`?");
    let e = errors(&format!("{BASE}[measure]\nmin_rep = 3\n"));
    let d = expect(&e, "m.toml:6:1", "unknown key `min_rep` in [measure]");
    assert_eq!(help(&d), "did you mean `min_reps`?");
    let e = errors("recipes = [\"f32\"]\n[[models]]\nnmae = \"m\"\n");
    let d = expect(&e, "m.toml:3:1", "unknown key `nmae` in [[models]]");
    assert_eq!(help(&d), "did you mean `name`?");
    // Inside an inline table.
    let e = errors(
        "recipes = [\"f32\"]\n[[models]]\nname = \"m\"\nsynthetic = { preset = \"tiny\", sed = 1 }\n",
    );
    expect(&e, "m.toml:4:32", "unknown key `sed`");
    // Nothing close: the valid keys are listed.
    let e = errors(&format!("{BASE}[select]\nzzzzzz = 1\n"));
    let d = expect(&e, "m.toml:6:1", "unknown key `zzzzzz` in [select]");
    assert!(
        help(&d).starts_with("valid keys: `max_accuracy_drop_pct`"),
        "{d}"
    );
}

#[test]
fn a_top_level_key_after_a_table_says_to_move_it() {
    let e = errors(
        "[[models]]\nname = \"m\"\nsynthetic = { preset = \"tiny\" }\nrecipes = [\"f32\"]\n",
    );
    let d = expect(&e, "m.toml:4:1", "unknown key `recipes` in [[models]]");
    assert!(help(&d).contains("top-level key"), "{d}");
}

#[test]
fn unknown_enum_values_suggest_the_nearest() {
    let e = errors(&format!("{BASE}[measure]\nmeter = \"rapll\"\n"));
    let d = expect(&e, "m.toml:6:9", "unknown value `rapll`");
    assert_eq!(help(&d), "did you mean `rapl`?");
    let e = errors(&format!("{BASE}[workload]\nkv = \"f61\"\n"));
    expect(&e, "m.toml:6:6", "unknown value `f61`");
}

#[test]
fn unknown_recipes_use_the_recipe_parser_and_its_suggestion() {
    let e = errors(
        "recipes = [\"f32\", \"q4_O\"]\n[[models]]\nname = \"m\"\nsynthetic = { preset = \"tiny\" }\n",
    );
    let d = expect(&e, "m.toml:1:19", "unknown scheme 'q4_O'");
    assert_eq!(help(&d), "did you mean `q4_0`?");
    let e = errors(&format!(
        "{MODEL}[[recipes]]\nname = \"p\"\nrecipe = \"q4_0+head25\"\n"
    ));
    let d = expect(&e, "m.toml:6:10", "unknown modifier 'head25'");
    assert_eq!(help(&d), "did you mean `q4_0+heads25`?");
    let e = errors(&format!("{MODEL}[[recipes]]\nquant = \"q5_0\"\n"));
    let d = expect(&e, "m.toml:5:9", "unknown quantization `q5_0`");
    assert!(help(&d).contains("did you mean"), "{d}");
    let e = errors(&format!(
        "{MODEL}[[recipes]]\nquant = \"q4_0\"\noverrides = {{ token_emb = \"q8_0\" }}\n"
    ));
    let d = expect(&e, "m.toml:6:15", "unknown tensor class `token_emb`");
    assert_eq!(help(&d), "did you mean `token_embd`?");
    let e = errors(&format!(
        "{MODEL}[[recipes]]\nquant = \"q4_0\"\nprune_heads = 0.255\n"
    ));
    expect(
        &e,
        "m.toml:6:15",
        "`prune_heads` must be a whole percentage",
    );
    let e = errors(&format!(
        "{MODEL}[[recipes]]\nquant = \"q4_0\"\nprune_ffn = 1.0\n"
    ));
    expect(
        &e,
        "m.toml:6:13",
        "`prune_ffn` must be a fraction from 0 up to (not including) 1",
    );
    let e = errors(&format!(
        "{MODEL}[[recipes]]\nrecipe = \"q8_0\"\nquant = \"q4_0\"\n"
    ));
    expect(&e, "m.toml:5:10", "either `recipe` or the structured keys");
}

#[test]
fn missing_model_files_name_the_path_looked_at() {
    let e = errors("recipes = [\"f32\"]\n[[models]]\nname = \"m\"\npath = \"no/such.gguf\"\n");
    let d = expect(&e, "m.toml:4:8", "model file `no/such.gguf` not found");
    assert!(help(&d).contains("relative to the matrix file"), "{d}");
}

#[test]
fn empty_lists_are_errors() {
    let e = errors("recipes = []\n[[models]]\nname = \"m\"\nsynthetic = { preset = \"tiny\" }\n");
    expect(&e, "m.toml:1:1", "`recipes` is empty");
    let e = errors(&format!("{BASE}[workload]\nthreads = []\n"));
    expect(&e, "m.toml:6:11", "`threads` is empty");
    let e = errors(&format!("devices = []\n{BASE}"));
    expect(&e, "m.toml:1:11", "`devices` is empty");
    let e = errors("recipes = [\"f32\"]\n");
    expect(&e, "m.toml:1:1", "the matrix has no models");
}

#[test]
fn duplicate_names_point_back_at_the_first() {
    let e = errors(&format!(
        "{BASE}[[models]]\nname = \"m\"\nsynthetic = {{ preset = \"small\" }}\n"
    ));
    let d = expect(&e, "m.toml:6:8", "duplicate model name `m`");
    assert!(help(&d).contains("first defined at m.toml:3:8"), "{d}");
    let e = errors(
        "recipes = [\"f32\", \"q8_0\", \"f32\"]\n[[models]]\nname = \"m\"\nsynthetic = { preset = \"tiny\" }\n",
    );
    expect(&e, "m.toml:1:27", "duplicate recipe name `f32`");
    // Two names for one recipe.
    let e = errors(&format!(
        "{MODEL}[[recipes]]\nname = \"eight\"\nquant = \"q8_0\"\n[[recipes]]\nname = \"also-eight\"\nrecipe = \"Q8_0\"\n"
    ));
    expect(
        &e,
        "m.toml:8:8",
        "recipes `eight` and `also-eight` are the same recipe (`q8_0`)",
    );
}

#[test]
fn zero_threads_and_negative_tokens_are_refused() {
    let e = errors(&format!(
        "{BASE}[workload]\nthreads = [0, 2]\nprompt_tokens = -5\ngen_tokens = [8, -1]\n"
    ));
    expect(&e, "m.toml:6:12", "`threads` must be at least 1, found 0");
    expect(
        &e,
        "m.toml:7:17",
        "`prompt_tokens` must be at least 1, and cannot be negative, found -5",
    );
    expect(
        &e,
        "m.toml:8:18",
        "`gen_tokens` must not be negative, found -1",
    );
    assert_eq!(e.len(), 3, "all three are reported");
}

#[test]
fn workloads_beyond_the_preset_context_are_refused() {
    let e = errors(&format!(
        "{BASE}[workload]\nprompt_tokens = [64, 200]\ngen_tokens = 100\n"
    ));
    let d = expect(
        &e,
        "m.toml:6:22",
        "prompt_tokens + gen_tokens = 200 + 100 = 300 exceeds the 256-token context of model `m` (synthetic preset `tiny`)",
    );
    assert_eq!(help(&d), "keep prompt_tokens + gen_tokens at most 256");
    let e = errors(&format!("{BASE}[accuracy]\nctx = 512\n"));
    expect(
        &e,
        "m.toml:6:7",
        "`ctx` 512 exceeds the 256-token context of model `m`",
    );
}

#[test]
fn unknown_presets_and_devices_suggest_the_nearest() {
    let e = errors(
        "recipes = [\"f32\"]\n[[models]]\nname = \"m\"\nsynthetic = { preset = \"smal\" }\n",
    );
    let d = expect(&e, "m.toml:4:24", "unknown synthetic preset `smal`");
    assert_eq!(help(&d), "did you mean `small`?");
    let e = errors(&format!("devices = [\"locl\"]\n{BASE}"));
    let d = expect(&e, "m.toml:1:12", "unknown device `locl`");
    assert_eq!(help(&d), "did you mean `local`?");
    let e = errors(&format!("{BASE}[accuracy]\ndevice = \"pi\"\n"));
    expect(&e, "m.toml:6:10", "unknown device `pi`");
    let e = errors(&format!("{BASE}[accuracy]\nreference = \"f31\"\n"));
    let d = expect(&e, "m.toml:6:13", "unknown reference recipe `f31`");
    assert_eq!(help(&d), "did you mean `f32`?");
}

#[test]
fn devices_need_a_host_and_a_known_target_and_no_password() {
    let e = errors(&format!(
        "devices = [\"pi\"]\n{BASE}[[device]]\nname = \"pi\"\ntarget = \"aarch64-unknown-linux-gun\"\npassword = \"x\"\n"
    ));
    let d = expect(&e, "m.toml:9:1", "unknown key `password` in [[device]]");
    assert!(help(&d).contains("password_env"), "{d}");
    let e = errors(&format!(
        "devices = [\"pi\"]\n{BASE}[[device]]\nname = \"pi\"\ntarget = \"aarch64-unknown-linux-gun\"\n"
    ));
    expect(&e, "m.toml:7:8", "device `pi` needs `host`");
    let d = expect(
        &e,
        "m.toml:8:10",
        "unsupported target `aarch64-unknown-linux-gun`",
    );
    assert_eq!(help(&d), "did you mean `aarch64-unknown-linux-gnu`?");
    let e = errors(&format!(
        "{BASE}[[device]]\nname = \"pi\"\nhost = \"pi\"\ntarget = \"aarch64-unknown-linux-gnu\"\npassword_env = \"hunter2!\"\n"
    ));
    expect(
        &e,
        "m.toml:9:16",
        "`password_env` must name an environment variable",
    );
}

#[test]
fn an_ina219_meter_without_its_wiring_is_refused() {
    let e = errors(&format!("{BASE}[measure]\nmeter = \"ina219\"\n"));
    expect(
        &e,
        "m.toml:6:9",
        "the ina219 meter needs its wiring, and device `local` does not give it",
    );
}

#[test]
fn invalid_toml_points_at_the_syntax_error() {
    let e = errors("recipes = [\"f32\"\n[[models]]\n");
    assert_eq!(e.len(), 1);
    assert!(e[0].message.starts_with("invalid TOML"), "{}", e[0]);
    assert_eq!(e[0].position().as_deref(), Some("m.toml:2:1"), "{}", e[0]);
}

#[test]
fn errors_of_separate_sections_are_all_collected_in_file_order() {
    let e = errors(
        "modles = 1\nrecipes = [\"q4_O\"]\n[[models]]\nname = \"m\"\nsynthetic = { preset = \"smal\" }\n[measure]\nmeter = \"rapll\"\n",
    );
    let positions: Vec<String> = e.iter().filter_map(Diagnostic::position).collect();
    assert_eq!(
        positions,
        ["m.toml:1:1", "m.toml:2:12", "m.toml:5:24", "m.toml:7:9"]
    );
}

#[test]
fn inventory_errors_point_into_the_inventory_file() {
    let path = fixture("uses-bad-inventory.toml");
    let e = load(&path).unwrap_err().0;
    let inv = fixture("bad-inventory.toml").display().to_string();
    let d = expect(
        &e,
        &format!("{inv}:5:1"),
        "unknown key `memroy_mib` in [[device]]",
    );
    assert_eq!(help(&d), "did you mean `memory_mib`?");
    expect(
        &e,
        &format!("{inv}:10:10"),
        "unsupported target `aarch64-unknown-linux-gun`",
    );
    // pi5-a is invalid, so the matrix cannot select it; the nearest valid
    // device is not close.
    let m = path.display().to_string();
    expect(&e, &format!("{m}:2:12"), "unknown device `pi5-a`");
}

#[test]
fn a_missing_inventory_is_reported_where_it_is_named() {
    let path = fixture("missing-inventory.toml");
    let e = load(&path).unwrap_err().0;
    let d = expect(
        &e,
        &format!("{}:2:13", path.display()),
        "inventory file `no-such-inventory.toml` not found",
    );
    assert!(help(&d).contains("relative to the matrix file"), "{d}");
}

#[test]
fn a_device_missing_from_the_inventory_suggests_the_nearest() {
    let path = fixture("unknown-device.toml");
    let e = load(&path).unwrap_err().0;
    let d = expect(
        &e,
        &format!("{}:2:21", path.display()),
        "unknown device `pi5-b`",
    );
    assert_eq!(help(&d), "did you mean `pi5-a`?");
}

#[test]
fn rendering_shows_the_line_and_a_caret() {
    let e = errors(&format!("{BASE}[workload]\nthreads = 0\n"));
    let text = e[0].to_string();
    assert_eq!(
        text,
        "error: `threads` must be at least 1, found 0\n --> m.toml:6:11\n  |\n6 | threads = 0\n  |           ^\n"
    );
}

#[test]
fn a_closed_pipe_ends_the_listing_quietly() {
    // `edgebench matrix expand … | head`: the reader is gone before the
    // listing is written.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_edgebench"))
        .args(["matrix", "expand", "--json"])
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../matrices/lab-nightly.toml"
        ))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn edgebench");
    drop(child.stdout.take());
    let o = child.wait_with_output().expect("wait");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn ssh_device_keys_are_checked_where_they_are_written() {
    let device = "[[device]]\nname = \"pi\"\nhost = \"pi\"\n";
    let e = errors(&format!(
        "{BASE}{device}command_prefix = []\nlock_file = \"\"\npassphrase_env = \"1X\"\nconnect_timeout_seconds = 0\nkeepalive_seconds = 0\nagent = \"no/such/agent\"\n"
    ));
    let d = expect(
        &e,
        "m.toml:8:18",
        "`command_prefix` must start with a program",
    );
    assert!(help(&d).contains("taskset"), "{d}");
    expect(&e, "m.toml:9:13", "`lock_file` must be a path");
    expect(
        &e,
        "m.toml:10:18",
        "`passphrase_env` must name an environment variable",
    );
    expect(
        &e,
        "m.toml:11:27",
        "`connect_timeout_seconds` must be at least 1",
    );
    expect(&e, "m.toml:12:21", "`keepalive_seconds` must be at least 1");
    let d = expect(&e, "m.toml:13:9", "agent `no/such/agent` not found");
    assert!(help(&d).contains("relative to the file"), "{d}");
    let e = errors(&format!(
        "{BASE}[[device]]\nname = \"local\"\nuser = \"pi\"\nproxy_jump = \"gw\"\n"
    ));
    expect(&e, "m.toml:7:8", "`user` is for SSH devices");
    expect(&e, "m.toml:8:14", "`proxy_jump` is for SSH devices");
}

#[test]
fn ssh_devices_take_a_prefix_a_jump_host_and_a_probed_target() {
    let m = load_str(
        Path::new("m.toml"),
        &format!(
            "devices = [\"pi\"]\n{BASE}[[device]]\nname = \"pi\"\nhost = \"pi\"\nproxy_jump = \"bench@gw:2222\"\ncommand_prefix = [\"taskset\", \"-c\", \"2,3\"]\nlock_wait_seconds = 5\n"
        ),
    )
    .unwrap();
    let pi = &m.devices[0];
    assert_eq!(pi.target, None, "probed on the device");
    assert_eq!(pi.command_prefix, ["taskset", "-c", "2,3"]);
    assert_eq!(pi.lock.wait.as_secs(), 5);
    let edgebench::matrix::Connection::Ssh(ssh) = &pi.connection else {
        panic!("an SSH device")
    };
    assert_eq!(ssh.proxy_jump.as_deref(), Some("bench@gw:2222"));
    assert_eq!(
        ssh.port, None,
        "the port comes from ssh_config unless given"
    );
}

#[test]
fn regression_settings_name_the_bad_key_or_value() {
    let e = errors(&format!(
        "{BASE}[regression]\nblocks = 3\nreps = 0\ncanaries = -1\nthreshold_pct = -2\n\
         [regression.thresholds]\ndecode_tps = 3\nrecipe_bytes = 1\npeak_rss_kib = nan\n\
         [regression.tolerances]\nppl_delta_pct = -0.5\n"
    ));
    expect(&e, "m.toml:6:10", "`blocks` must be from 7 to 200, found 3");
    expect(&e, "m.toml:7:8", "`reps` must be from 1 to 100, found 0");
    expect(
        &e,
        "m.toml:8:12",
        "`canaries` must be from 0 to 1000, found -1",
    );
    expect(&e, "m.toml:9:17", "`threshold_pct` must be from 0 to 1000");
    let d = expect(
        &e,
        "m.toml:11:1",
        "`regression.thresholds` has no metric `decode_tps`",
    );
    assert!(d.message.contains("decode_tps_median"), "{d}");
    // A deterministic metric is not a sampled one: it has a tolerance.
    expect(
        &e,
        "m.toml:12:1",
        "`regression.thresholds` has no metric `recipe_bytes`",
    );
    expect(
        &e,
        "m.toml:13:16",
        "`peak_rss_kib` must be from 0 to 1000, found NaN",
    );
    expect(&e, "m.toml:15:17", "`ppl_delta_pct` must be from 0 to");
    assert_eq!(e.len(), 8, "{e:?}");
}

#[test]
fn regression_settings_reach_the_matrix() {
    let m = load_str(
        Path::new("m.toml"),
        &format!(
            "{BASE}[regression]\nthreshold_pct = 4\nblocks = 21\nreps = 5\ncanaries = 2\n\
             [regression.thresholds]\npeak_rss_kib = 1.5\n\
             [regression.tolerances]\nrecipe_bytes = 4096\n"
        ),
    )
    .unwrap();
    let r = &m.regression;
    assert_eq!((r.blocks, r.reps, r.canaries), (21, 5, 2));
    use edgebench::store::Metric;
    assert_eq!(r.threshold_pct(Metric::PeakRssKib), 1.5);
    assert_eq!(r.threshold_pct(Metric::DecodeTpsMedian), 4.0);
    assert_eq!(r.tolerance(Metric::RecipeBytes, 0.0), 4096.0);
    let d = load_str(Path::new("m.toml"), BASE).unwrap().regression;
    assert_eq!(
        (d.blocks, d.reps, d.canaries, d.threshold_pct),
        (15, 3, 0, 5.0)
    );
}

#[test]
fn unknown_duplicate_and_empty_runtimes_are_named() {
    let e = errors(&format!(
        "runtimes = [\"llama.cp\", \"edgebench\", \"edgebench\"]\n{BASE}"
    ));
    let d = expect(&e, "m.toml:1:13", "unknown runtime `llama.cp`");
    assert_eq!(help(&d), "did you mean `llama.cpp`?");
    expect(&e, "m.toml:1:38", "duplicate runtime name `edgebench`");
    let e = errors(&format!("runtimes = []\n{BASE}"));
    expect(&e, "m.toml:1:12", "`runtimes` is empty");
    let e = errors(&format!("runtimes = \"llama.cpp\"\n{BASE}"));
    expect(&e, "m.toml:1:12", "invalid type");
}
