//! Rebuild when a migration is added or changed: `sqlx::migrate!` embeds the folders at
//! compile time but cannot tell cargo to watch them.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
