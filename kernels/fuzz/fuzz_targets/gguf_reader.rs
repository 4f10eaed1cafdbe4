//! Parses arbitrary bytes as GGUF and touches every tensor's data and every
//! metadata value; the reader must return an error, never panic.
#![no_main]

use edgebench_kernels::gguf::GgufFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = GgufFile::from_bytes(data.to_vec()) {
        let mut sum = 0u64;
        for t in file.tensors() {
            sum = file
                .tensor_data(t)
                .iter()
                .fold(sum, |acc, &b| acc.wrapping_add(u64::from(b)));
            sum = sum.wrapping_add(t.n_elements());
        }
        for (key, value) in file.metadata() {
            sum = sum.wrapping_add(key.len() as u64 + value.to_string().len() as u64);
        }
        std::hint::black_box(sum);
    }
});
