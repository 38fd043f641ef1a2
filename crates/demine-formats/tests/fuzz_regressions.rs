//! Inputs the fuzzers of `fuzz/` found (scripts/fuzz.sh), read as the fuzz targets read them:
//! each must give an error that names the problem, never a panic or an allocation of gigabytes.

use std::path::Path;

/// The shp target's split: the first two bytes give the length of the .shp part.
fn shp_parts(data: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let cut = (usize::from(data[0]) << 8 | usize::from(data[1])).min(data.len() - 2);
    let (shp, dbf) = data[2..].split_at(cut);
    (shp.to_vec(), dbf.to_vec())
}

#[test]
fn a_shp_record_announcing_more_points_than_the_file_holds_is_refused_before_allocating() {
    // Found by the shp fuzzer: a null shape whose record is longer than its type; the shapefile
    // crate read on inside it and reserved 4 GiB for the point count it found there.
    let (shp, dbf) = shp_parts(include_bytes!("fuzz/shp-oom-1.bin"));
    let e = demine_formats::shp::read_bytes(Path::new("fuzz.shp"), shp, Some(dbf), None, None, &Default::default())
        .expect_err("a damaged .shp is refused");
    let text = e.to_string();
    assert!(text.contains("fuzz.shp"), "{text}");
    assert!(text.contains("unreadable geometry: the geometry announces"), "{text}");
    assert!(text.contains("export it again"), "{text}");
}

#[test]
fn a_fgb_feature_size_reaching_past_the_end_is_refused_before_allocating() {
    // Found by the fgb fuzzer: a feature size prefix of ~3.6 GB.
    let e = demine_formats::fgb::read_bytes(Path::new("fuzz.fgb"), include_bytes!("fuzz/fgb-oom-1.bin"))
        .expect_err("a damaged .fgb is refused");
    let text = e.to_string();
    assert!(text.contains("fuzz.fgb"), "{text}");
    assert!(text.contains("bytes but") && text.contains("are left"), "{text}");
    assert!(text.contains("truncated or damaged"), "{text}");
}

#[test]
fn inputs_reported_slow_by_the_fuzzers_are_read_without_panicking() {
    // Reported as slow units (over 10 s under AddressSanitizer on a loaded machine); read here
    // to keep them in the suite, with no assertion on time.
    let kml = include_bytes!("fuzz/kml-slow-1.bin");
    let _ = demine_formats::kml::read(Path::new("fuzz.kml"), kml, &Default::default());
    if let Ok(s) = std::str::from_utf8(include_bytes!("fuzz/prj-slow-1.bin")) {
        let _ = demine_formats::crs::Crs::from_wkt(s);
        let _ = demine_formats::crs::Crs::parse(s);
    }
}

#[test]
fn a_parquet_column_with_a_negative_start_is_refused_not_a_panic() {
    // Found by the geoparquet fuzzer: the parquet crate asserts that a column chunk's start is
    // not negative; the reader catches that and refuses the file.
    let e = demine_formats::geoparquet::read_bytes(
        Path::new("fuzz.parquet"),
        include_bytes!("fuzz/geoparquet-panic-1.bin"),
        &Default::default(),
    )
    .expect_err("a damaged .parquet is refused");
    let text = e.to_string();
    assert!(text.contains("fuzz.parquet"), "{text}");
    assert!(text.contains("export it again"), "{text}");
}

#[test]
fn a_parquet_dictionary_announcing_more_values_than_its_bytes_is_refused_before_allocating() {
    // Found by the geoparquet fuzzer: a dictionary page header announcing 26 GB of values.
    let e = demine_formats::geoparquet::read_bytes(
        Path::new("fuzz.parquet"),
        include_bytes!("fuzz/geoparquet-oom-1.bin"),
        &Default::default(),
    )
    .expect_err("a damaged .parquet is refused");
    let text = e.to_string();
    assert!(text.contains("fuzz.parquet") && text.contains("dictionary"), "{text}");
}
