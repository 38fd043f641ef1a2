#![no_main]
use libfuzzer_sys::fuzz_target;
fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = demine_formats::crs::Crs::from_wkt(s);
        let _ = demine_formats::crs::Crs::parse(s);
    }
});
