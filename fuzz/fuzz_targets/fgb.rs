#![no_main]
use libfuzzer_sys::fuzz_target;
fuzz_target!(|data: &[u8]| {
    let _ = demine_formats::fgb::read_bytes(std::path::Path::new("fuzz.fgb"), data);
});
