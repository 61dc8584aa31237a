//! README.md's signature table is the one the signatures' own metadata produces
//! (`vigil signatures list --markdown`): this test fails while they differ, and
//! `make signature-table` brings README back in line.

use std::process::Command;

use crate::harness::workspace;

const BEGIN: &str = "<!-- signatures:begin -->\n";
const END: &str = "<!-- signatures:end -->";

#[test]
fn readme_signature_table_is_generated_from_metadata() {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["signatures", "list", "--markdown", "--no-cache"])
        .output()
        .expect("running vigil signatures list");
    assert!(
        out.status.success(),
        "vigil signatures list --markdown failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generated = String::from_utf8(out.stdout).unwrap();
    assert!(generated.contains("| VGL-0001 |"), "{generated}");

    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let in_readme = readme
        .split_once(BEGIN)
        .and_then(|(_, rest)| rest.split_once(END))
        .map(|(table, _)| table)
        .expect("README.md has no <!-- signatures:begin --> ... <!-- signatures:end --> block");
    assert!(
        in_readme == generated,
        "README.md's signature table differs from the signatures' metadata: run \
         `make signature-table`.\n--- README.md\n{in_readme}\n--- generated\n{generated}"
    );
}
