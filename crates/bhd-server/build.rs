//! Rebuild when the dashboard's static export changes (or appears), so the embedded copy is
//! never stale or empty.
fn main() {
    println!("cargo:rerun-if-changed=../../web/out");
}
