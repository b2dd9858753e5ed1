//! Re-embed the migrations when one is added or changed: `sqlx::migrate!` reads the directory
//! at compile time, and cargo does not know to look at it otherwise.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
