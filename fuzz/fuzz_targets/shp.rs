#![no_main]
use libfuzzer_sys::fuzz_target;
// The first two bytes split the input into .shp and .dbf.
fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let cut = (usize::from(data[0]) << 8 | usize::from(data[1])).min(data.len() - 2);
    let (shp, dbf) = data[2..].split_at(cut);
    let _ = demine_formats::shp::read_bytes(
        std::path::Path::new("fuzz.shp"),
        shp.to_vec(),
        Some(dbf.to_vec()),
        None,
        None,
        &Default::default(),
    );
});
