#![no_main]
use libfuzzer_sys::fuzz_target;
fuzz_target!(|data: &[u8]| {
    let _ = demine_formats::kml::read(std::path::Path::new("fuzz.kml"), data, &Default::default());
});
