//! The recipe-file cache: byte-identical files for the same inputs, hits
//! that write nothing, damaged entries made again, listing and pruning.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use edgebench::matrix::sha256_file;
use edgebench::recipe_files::{
    self, EntryKind, Outcome, RecipeCache, RecipeFile, RecipeFileError, cache_key,
};
use edgebench_kernels::gguf::GgufFile;
use edgebench_kernels::recipe::{Recipe, check_file};
use edgebench_kernels::synth::{self, Preset};

fn recipe(s: &str) -> Recipe {
    s.parse().unwrap()
}

/// A tiny synthetic source model in `dir`, with its SHA-256.
fn source(dir: &Path) -> (PathBuf, String) {
    let path = dir.join("synthetic-tiny-4.gguf");
    synth::write(Preset::Tiny, 4, &path).unwrap();
    let sha = sha256_file(&path).unwrap();
    (path, sha)
}

fn get(cache: &RecipeCache, src: &(PathBuf, String), r: &str) -> (RecipeFile, Outcome) {
    cache.get_or_make(&src.0, &src.1, &recipe(r), &()).unwrap()
}

#[test]
fn the_same_inputs_give_byte_identical_files_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let a = RecipeCache::new(dir.path().join("a"));
    let b = RecipeCache::new(dir.path().join("b"));
    for r in ["f32", "q8_0", "q4_0+heads25", "f16+ffn25+token_embd=q8_0"] {
        let (fa, oa) = get(&a, &src, r);
        let (fb, ob) = get(&b, &src, r);
        assert_eq!((oa, ob), (Outcome::Made, Outcome::Made), "{r}");
        assert_eq!(fa.key, fb.key, "{r}");
        assert_eq!(fa.sha256, fb.sha256, "{r}");
        assert_eq!(
            std::fs::read(&fa.path).unwrap(),
            std::fs::read(&fb.path).unwrap()
        );
        assert_eq!(fa.sha256, sha256_file(&fa.path).unwrap());
        assert_eq!(fa.bytes, std::fs::metadata(&fa.path).unwrap().len());
        assert_eq!(fa.recipe, recipe(r).to_string());
        assert_eq!(fa.source_sha256, src.1);
        // It is a file of its recipe, loadable as it is.
        check_file(&GgufFile::open(&fa.path).unwrap(), &recipe(r)).unwrap();
    }
    // The key names the inputs: source, recipe (canonical) and writer.
    assert_eq!(
        cache_key(&src.1, &recipe("Q8_0")),
        cache_key(&src.1, &recipe("q8_0"))
    );
    assert_ne!(
        cache_key(&src.1, &recipe("q8_0")),
        cache_key(&src.1, &recipe("q4_0"))
    );
    assert_ne!(
        cache_key(&src.1, &recipe("q8_0")),
        cache_key(&"0".repeat(64), &recipe("q8_0"))
    );
}

#[test]
fn a_hit_writes_nothing_and_a_damaged_entry_is_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let cache = RecipeCache::new(dir.path().join("cache"));
    let (made, outcome) = get(&cache, &src, "q4_0");
    assert_eq!(outcome, Outcome::Made);
    let meta = |p: &Path| {
        let m = std::fs::metadata(p).unwrap();
        (
            m.modified().unwrap(),
            m.len(),
            std::os::unix::fs::MetadataExt::ino(&m),
        )
    };
    let before = meta(&made.path);
    std::thread::sleep(Duration::from_millis(20));
    let (hit, outcome) = get(&cache, &src, "q4_0");
    assert_eq!(outcome, Outcome::Hit);
    assert_eq!(hit, made);
    assert_eq!(meta(&made.path), before, "a hit rewrote the recipe file");

    // One byte changed in the data: detected, made again, same bytes back.
    let original = std::fs::read(&made.path).unwrap();
    let mut damaged = original.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 0x40;
    std::fs::write(&made.path, &damaged).unwrap();
    let (again, outcome) = get(&cache, &src, "q4_0");
    match outcome {
        Outcome::Remade { reason } => {
            assert!(reason.contains("no longer matches its hash"), "{reason}");
            assert!(reason.contains(&made.sha256), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(again.sha256, made.sha256);
    assert_eq!(std::fs::read(&made.path).unwrap(), original);

    // A truncated file, a missing file, a broken manifest: all made again.
    std::fs::write(&made.path, &original[..100]).unwrap();
    assert!(matches!(
        get(&cache, &src, "q4_0").1,
        Outcome::Remade { .. }
    ));
    std::fs::remove_file(&made.path).unwrap();
    let (_, outcome) = get(&cache, &src, "q4_0");
    assert!(
        matches!(&outcome, Outcome::Remade { reason } if reason.contains("missing")),
        "{outcome:?}"
    );
    let manifest = cache.manifest_path(&made.key);
    std::fs::write(&manifest, b"{ not json").unwrap();
    let (_, outcome) = get(&cache, &src, "q4_0");
    assert!(
        matches!(&outcome, Outcome::Remade { reason } if reason.contains("malformed")),
        "{outcome:?}"
    );
    std::fs::remove_file(&manifest).unwrap();
    assert!(matches!(
        get(&cache, &src, "q4_0").1,
        Outcome::Remade { .. }
    ));
    assert_eq!(get(&cache, &src, "q4_0").1, Outcome::Hit);
    assert_eq!(std::fs::read(&made.path).unwrap(), original);
}

#[test]
fn a_source_that_is_not_a_model_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.gguf");
    std::fs::write(&junk, b"GGUF but not really").unwrap();
    let cache = RecipeCache::new(dir.path().join("recipes"));
    let e = cache
        .get_or_make(&junk, &"ab".repeat(32), &recipe("q4_0"), &())
        .unwrap_err();
    assert!(matches!(e, RecipeFileError::Source { .. }), "{e}");
    let text = format!("{:#}", anyhow::Error::from(e));
    assert!(text.contains("junk.gguf"), "{text}");
    // Nothing half made is left: no file, no manifest, no partial.
    let entries = recipe_files::list(dir.path()).unwrap();
    assert!(entries.is_empty(), "{entries:?}");
    let left: Vec<_> = std::fs::read_dir(cache.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn list_and_prune_by_last_use() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    let src = source(&models);
    let cache = RecipeCache::new(models.join("recipes"));
    let (q8, _) = get(&cache, &src, "q8_0");
    let (q4, _) = get(&cache, &src, "q4_0");
    // A partial file of an abandoned write, two hours old, and one of a
    // write that may still be running; a model of the user's own.
    let old_partial = models.join("recipes/.x.gguf.123.partial");
    std::fs::write(&old_partial, b"half").unwrap();
    let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
    std::fs::File::options()
        .append(true)
        .open(&old_partial)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    let fresh_partial = models.join("recipes/.y.gguf.124.partial");
    std::fs::write(&fresh_partial, b"half").unwrap();
    let own = models.join("my-model.gguf");
    std::fs::write(&own, b"not ours to prune").unwrap();

    let entries = recipe_files::list(&models).unwrap();
    let kinds: Vec<EntryKind> = entries.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == EntryKind::Recipe).count(),
        2,
        "{entries:?}"
    );
    assert!(kinds.contains(&EntryKind::Synthetic) && kinds.contains(&EntryKind::Partial));
    assert!(
        entries.iter().all(|e| !e.label.contains("my-model")),
        "{entries:?}"
    );
    let q8_entry = entries
        .iter()
        .find(|e| e.label.starts_with("q8_0 of"))
        .unwrap();
    assert_eq!(
        q8_entry.bytes,
        q8.bytes
            + std::fs::metadata(cache.manifest_path(&q8.key))
                .unwrap()
                .len()
    );
    assert!(q8_entry.problem.is_none());

    // Nothing is older than a day: a dry run and a real prune keep all.
    let now = SystemTime::now();
    let day = Duration::from_secs(86_400);
    let p = recipe_files::prune(&models, day, now, false).unwrap();
    assert!(p.removed.is_empty() && p.kept == entries.len());

    // A dry run of "nothing older than a moment ago" would remove all but
    // the fresh partial, and removes nothing.
    let cutoff_now = now + Duration::from_secs(1);
    let dry = recipe_files::prune(&models, Duration::ZERO, cutoff_now, true).unwrap();
    assert_eq!(dry.removed.len(), entries.len() - 1, "{dry:?}");
    assert!(q4.path.exists() && q8.path.exists() && old_partial.exists());

    // Used again since, q4_0 survives; so does q8_0 while a run holds its
    // lock (it is being made or looked up).
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(get(&cache, &src, "q4_0").1, Outcome::Hit);
    let held = std::fs::File::open(cache.lock_path(&q8.key)).unwrap();
    held.lock().unwrap();
    let p = recipe_files::prune(&models, Duration::ZERO, cutoff_now, false).unwrap();
    assert!(q4.path.exists() && q8.path.exists());
    assert_eq!(p.kept, 3, "q4_0, the locked q8_0, the fresh partial: {p:?}");
    drop(held);
    let p = recipe_files::prune(&models, Duration::ZERO, cutoff_now, false).unwrap();
    assert_eq!(p.kept, 2, "{p:?}");
    assert!(p.freed_bytes >= q8.bytes);
    assert!(q4.path.exists() && !q8.path.exists());
    assert!(!cache.manifest_path(&q8.key).exists());
    assert!(!src.0.exists(), "the synthetic source was pruned");
    assert!(!old_partial.exists() && fresh_partial.exists());
    assert!(own.exists(), "a model of the user's own is never pruned");
}
