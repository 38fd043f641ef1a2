#![no_main]
use libfuzzer_sys::fuzz_target;
fuzz_target!(|data: &[u8]| {
    let _ = demine_formats::gpx::read(std::path::Path::new("fuzz.gpx"), data, &Default::default());
});
