//! The store's operations on real temporary directories.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::*;

/// A temporary store directory with its `.tmp`.
struct Fixture {
    _dir: tempfile::TempDir,
    store: ObjectStore,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir(dir.path().join(".tmp")).unwrap();
    let store = ObjectStore::open(dir.path()).unwrap();
    Fixture { _dir: dir, store }
}

fn id_of(bytes: &[u8]) -> ObjectId {
    ObjectId::parse(&sha256_hex(bytes).unwrap().0).unwrap()
}

fn set_mtime(path: &Path, t: SystemTime) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(t).unwrap();
}

fn mtime(path: &Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

/// Uploads `bytes` as `name` in `.tmp`.
fn upload(f: &Fixture, name: &str, bytes: &[u8]) -> PathBuf {
    let p = f.store.tmp_dir().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn days_ago(days: u64) -> SystemTime {
    SystemTime::now() - Duration::from_secs(days * 86_400)
}

#[test]
fn a_dir_anyone_may_write_needs_the_sticky_bit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let e = ObjectStore::open(dir.path()).unwrap_err();
    assert!(
        matches!(e, StoreError::WorldWritable { mode: 0o777, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("sticky bit"), "{e}");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    assert!(ObjectStore::open(dir.path()).is_ok());

    let e = ObjectStore::open(dir.path().join("absent")).unwrap_err();
    assert!(matches!(e, StoreError::Dir { .. }), "{e}");
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    let e = ObjectStore::open(&file).unwrap_err();
    assert!(e.to_string().contains("not a directory"), "{e}");
}

#[test]
fn commit_checks_the_hash_then_renames_with_a_marker() {
    let f = fixture();
    let id = id_of(b"the agent");
    let tmp = upload(&f, "agent.part", b"the agent");
    let c = commit(&f.store, &tmp, &id, true).unwrap();
    assert_eq!(
        c,
        Committed {
            committed: id.clone(),
            bytes: 9
        }
    );
    let object = f.store.object_path(&id);
    assert!(!tmp.exists());
    assert_eq!(std::fs::read(&object).unwrap(), b"the agent");
    let mode = std::fs::metadata(&object).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o755);
    assert!(f.store.trusted(&id).is_some());

    // The same object again, not executable: replaced in place.
    let tmp = upload(&f, "again", b"the agent");
    commit(&f.store, &tmp, &id, false).unwrap();
    let mode = std::fs::metadata(&object).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
    assert!(f.store.trusted(&id).is_some());
}

#[test]
fn a_commit_of_the_wrong_bytes_deletes_the_upload() {
    let f = fixture();
    let id = id_of(b"expected");
    let tmp = upload(&f, "model.part", b"truncated");
    let e = commit(&f.store, &tmp, &id, false).unwrap_err();
    let text = e.to_string();
    assert!(
        matches!(e, StoreError::HashMismatch { bytes: 9, .. }),
        "{e}"
    );
    assert!(text.contains(id.as_str()), "{text}");
    assert!(text.contains(id_of(b"truncated").as_str()), "{text}");
    assert!(text.contains("9 bytes"), "{text}");
    assert!(!tmp.exists());
    assert!(!f.store.object_path(&id).exists());
}

#[test]
fn commit_takes_uploads_only_from_the_tmp_dir() {
    let f = fixture();
    let id = id_of(b"x");
    let outside = f.store.dir().join("x");
    std::fs::write(&outside, b"x").unwrap();
    let sneaky = f.store.tmp_dir().join("..").join("x");
    let nested = f.store.tmp_dir().join("sub");
    std::fs::create_dir(&nested).unwrap();
    std::fs::write(nested.join("x"), b"x").unwrap();
    for tmp in [
        outside.clone(),
        sneaky,
        nested.join("x"),
        PathBuf::from("x"),
        f.store.tmp_dir().join(".."),
        PathBuf::from("/etc/passwd"),
    ] {
        let e = commit(&f.store, &tmp, &id, false).unwrap_err();
        assert!(
            matches!(e, StoreError::OutsideTmp { .. }),
            "{}: {e}",
            tmp.display()
        );
    }
    assert!(outside.exists());

    // A link in .tmp is not followed.
    let link = f.store.tmp_dir().join("link");
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let e = commit(&f.store, &link, &id, false).unwrap_err();
    assert!(matches!(e, StoreError::Io { .. }), "{e}");
    assert!(!f.store.object_path(&id).exists());
}

#[test]
fn verify_hashes_once_then_trusts_the_marker() {
    let f = fixture();
    let (a, b) = (id_of(b"alpha"), id_of(b"beta"));
    let path = f.store.object_path(&a);
    std::fs::write(&path, b"alpha").unwrap();
    let r = verify(&f.store, &[a.clone(), b.clone(), a.clone()]).unwrap();
    assert_eq!(
        r,
        VerifyReport {
            present: vec![a.clone()],
            missing: vec![b.clone()],
            corrupt: vec![],
        }
    );
    assert!(f.store.marker_path(&a).exists());

    // Same size, mtime and inode: trusted without reading the bytes, and
    // the marker records the use.
    let old = mtime(&path);
    std::fs::write(&path, b"ALPHA").unwrap();
    set_mtime(&path, old);
    set_mtime(&f.store.marker_path(&a), days_ago(3));
    let r = verify(&f.store, std::slice::from_ref(&a)).unwrap();
    assert_eq!(r.present, vec![a.clone()]);
    assert!(mtime(&f.store.marker_path(&a)) > days_ago(1));

    // Written since: the marker is stale, the bytes are hashed, and the
    // object and its marker go.
    set_mtime(&path, old + Duration::from_secs(1));
    let r = verify(&f.store, std::slice::from_ref(&a)).unwrap();
    assert_eq!(r.corrupt, vec![a.clone()]);
    assert!(!path.exists() && !f.store.marker_path(&a).exists());
}

#[test]
fn a_tampered_or_odd_object_is_corrupt() {
    let f = fixture();
    let id = id_of(b"model");
    let tmp = upload(&f, "m", b"model");
    commit(&f.store, &tmp, &id, false).unwrap();
    // Another size: the marker no longer vouches for it.
    std::fs::write(f.store.object_path(&id), b"model, edited").unwrap();
    let r = verify(&f.store, std::slice::from_ref(&id)).unwrap();
    assert_eq!(r.corrupt, vec![id.clone()]);

    // A link under an object's name is not followed.
    let elsewhere = f.store.dir().join("elsewhere");
    std::fs::write(&elsewhere, b"model").unwrap();
    std::os::unix::fs::symlink(&elsewhere, f.store.object_path(&id)).unwrap();
    let r = verify(&f.store, std::slice::from_ref(&id)).unwrap();
    assert_eq!(r.corrupt, vec![id.clone()]);
    assert!(elsewhere.exists());
    assert!(std::fs::symlink_metadata(f.store.object_path(&id)).is_err());

    // Without a marker, matching bytes are present and get one.
    std::fs::write(f.store.object_path(&id), b"model").unwrap();
    let r = verify(&f.store, std::slice::from_ref(&id)).unwrap();
    assert_eq!(r.present, vec![id.clone()]);
    assert!(f.store.trusted(&id).is_some());
}

#[test]
fn verify_creates_the_upload_dir() {
    let dir = tempfile::tempdir().unwrap();
    let store = ObjectStore::open(dir.path()).unwrap();
    verify(&store, &[]).unwrap();
    assert!(store.tmp_dir().is_dir());
}

#[test]
fn list_shows_objects_and_uploads() {
    let f = fixture();
    let id = id_of(b"obj");
    let tmp = upload(&f, "o", b"obj");
    commit(&f.store, &tmp, &id, false).unwrap();
    set_mtime(&f.store.marker_path(&id), days_ago(2));
    let part = upload(&f, "half", b"12345");
    set_mtime(&part, SystemTime::now() - Duration::from_secs(100));
    std::fs::write(f.store.dir().join("notes.txt"), b"not an object").unwrap();
    let now = SystemTime::now();
    let l = list(&f.store, now).unwrap();
    assert_eq!(l.objects.len(), 1);
    assert_eq!((&l.objects[0].sha256, l.objects[0].bytes), (&id, 3));
    let two_days = fs_util::unix_seconds(days_ago(2));
    assert!((l.objects[0].last_used_unix - two_days).abs() <= 2, "{l:?}");
    assert_eq!(l.partial.len(), 1);
    assert_eq!(
        (l.partial[0].name.as_str(), l.partial[0].bytes),
        ("half", 5)
    );
    assert!((99..=110).contains(&l.partial[0].age_seconds), "{l:?}");
}

#[test]
fn clean_removes_unused_objects_and_old_uploads() {
    let f = fixture();
    let put = |bytes: &[u8], last_used: SystemTime| {
        let id = id_of(bytes);
        let tmp = upload(&f, "up", bytes);
        commit(&f.store, &tmp, &id, false).unwrap();
        set_mtime(&f.store.marker_path(&id), last_used);
        id
    };
    let old = put(b"old", days_ago(40));
    let kept = put(b"kept, though old", days_ago(40));
    let recent = put(b"recent", days_ago(1));
    // No marker: the file's mtime is its last use.
    let bare = id_of(b"bare");
    std::fs::write(f.store.object_path(&bare), b"bare").unwrap();
    set_mtime(&f.store.object_path(&bare), days_ago(50));
    let stale = upload(&f, "stale", b"1234567");
    set_mtime(&stale, SystemTime::now() - Duration::from_secs(7200));
    let fresh = upload(&f, "fresh", b"12");
    let orphan = f.store.marker_path(&id_of(b"gone"));
    std::fs::write(&orphan, b"{}").unwrap();

    let mut options = CleanOptions {
        keep_days: 30,
        keep: vec![kept.clone()],
        dry_run: true,
    };
    let dry = clean(&f.store, &options, SystemTime::now()).unwrap();
    assert!(dry.dry_run);
    assert!(f.store.object_path(&old).exists() && stale.exists() && orphan.exists());

    options.dry_run = false;
    let r = clean(&f.store, &options, SystemTime::now()).unwrap();
    assert_eq!(r.removed, dry.removed);
    assert_eq!(r.freed_bytes, dry.freed_bytes);
    let mut removed: Vec<_> = r.removed.iter().map(|x| x.sha256.clone()).collect();
    removed.sort();
    let mut want = vec![old.clone(), bare.clone()];
    want.sort();
    assert_eq!(removed, want);
    assert_eq!(r.removed_partial.len(), 1);
    assert_eq!(r.removed_partial[0].name, "stale");
    assert_eq!(r.freed_bytes, 3 + 4 + 7);
    assert_eq!(r.kept_bytes, 16 + 6);
    assert!(!r.dry_run);
    for id in [&old, &bare] {
        assert!(!f.store.object_path(id).exists());
        assert!(!f.store.marker_path(id).exists());
    }
    for id in [&kept, &recent] {
        assert!(f.store.trusted(id).is_some());
    }
    assert!(!stale.exists() && fresh.exists() && !orphan.exists());
}

#[test]
fn a_model_in_a_store_is_trusted_by_its_marker() {
    let f = fixture();
    let id = id_of(b"weights");
    let tmp = upload(&f, "w", b"weights");
    commit(&f.store, &tmp, &id, false).unwrap();
    let path = f.store.object_path(&id);
    assert_eq!(trusted_size(&path, id.as_str()), Some(7));
    assert_eq!(
        trusted_size(&path, &id.as_str().to_ascii_uppercase()),
        Some(7)
    );
    // Another name, another hash, or a changed file: hash it.
    assert_eq!(trusted_size(&path, id_of(b"other").as_str()), None);
    let copy = f.store.dir().join("weights.gguf");
    std::fs::copy(&path, &copy).unwrap();
    assert_eq!(trusted_size(&copy, id.as_str()), None);
    std::fs::write(&path, b"WEIGHTS").unwrap();
    assert_eq!(trusted_size(&path, id.as_str()), None);
}
