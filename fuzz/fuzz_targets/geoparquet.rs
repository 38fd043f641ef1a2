#![no_main]
use libfuzzer_sys::fuzz_target;
fuzz_target!(|data: &[u8]| {
    let _ = demine_formats::geoparquet::read_bytes(std::path::Path::new("fuzz.parquet"), data, &Default::default());
});
