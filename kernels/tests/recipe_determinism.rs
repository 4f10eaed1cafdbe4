//! Recipe files are the same bytes on every machine: the SHA-256 of the
//! files of a fixed model is pinned here, and this test runs on x86-64 and
//! on aarch64 (under qemu in the test command). A change of writer that
//! changes these bytes must bump `WRITER_VERSION` (so caches keyed by it
//! make their files again) and update the hashes.

mod recipe_support;

use edgebench_kernels::quant::GgmlType;
use edgebench_kernels::recipe::{WRITER_VERSION, write_recipe_file};
use recipe_support::{Draft, Spec, TempPath, recipe};
use sha2::{Digest, Sha256};

const PINNED: [(&str, &str); 7] = [
    (
        "f32",
        "d62e4d374fa00bbcd38452126f6b63d53e588ae266e56c32a428b80774f7e8ae",
    ),
    (
        "f16",
        "7bfed964dd4c925681387ada3a016be37001eadfaacadc6d2a3df43d5a11c4fc",
    ),
    (
        "q8_0",
        "4d91e33c33b25d64fab2f6e83a401a103830fc5122c926a648e8ca827a02a3f3",
    ),
    (
        "q4_0",
        "880314c0cdebaf0efd6d10286181486e5bb759a646b01d17073b2a23caa8a6d5",
    ),
    (
        "q4_1",
        "c79a5a34dbefa5aff31af3c9fb545e5b7a8e3a1f48396b228893fa50bb0c6d12",
    ),
    (
        "q4_0+heads25+ffn25+token_embd=q8_0",
        "e63c30b9bc8ca73911702fa20d66668dec434ac40627bcf020b4ecb1c3ec5833",
    ),
    (
        "q8_0+sparse50",
        "e888ab547967c03ab21caf876fe4edc99eb6feac48b7e1d319bedf481c0d1392",
    ),
];

#[test]
fn recipe_files_have_the_pinned_bytes_on_every_machine() {
    assert_eq!(
        WRITER_VERSION, 1,
        "update the pinned hashes with the version"
    );
    let m = Draft::new(Spec::gqa(), 2026).build(GgmlType::F32);
    let mut found = Vec::new();
    for (i, (name, _)) in PINNED.iter().enumerate() {
        let out = TempPath::new(&format!("pinned-{i}"));
        write_recipe_file(&m.file, &recipe(name), &out.0, &()).unwrap();
        let hex: String = Sha256::digest(std::fs::read(&out.0).unwrap())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        found.push((*name, hex));
    }
    for ((name, want), (_, got)) in PINNED.iter().zip(&found) {
        assert_eq!(got, want, "recipe {name}; all found: {found:#?}");
    }
}
