//! What `hvcfg build` produces, in memory: the blob, the linker fragments
//! and the flash image store. Tools that embed the config step (a runner, a
//! build script) call [`build`] instead of running `hvcfg`.

use crate::blob::{self, BlobError};

use super::diag::{codes, Diagnostic};
use super::image::{self, Flat};
use super::report;
use super::validate::Compiled;

/// The build output of one system.
#[derive(Clone, Debug)]
pub struct Artifacts {
    /// The system, images attached.
    pub compiled: Compiled,
    /// The blob, to load at `hypervisor.blob.base`.
    pub blob: Vec<u8>,
    /// `(file name, text)` of each partition's linker fragment (`<name>.ld`).
    pub fragments: Vec<(String, String)>,
    /// The flash contents holding the images, to load at the first ROM
    /// bank's base; `None` without images.
    pub flash: Option<Vec<u8>>,
}

/// Attaches `images` (partition name, flattened ELF), encodes the blob and
/// writes the fragments. `source` names the system file in the fragments.
pub fn build(
    mut compiled: Compiled,
    images: &[(String, Flat)],
    source: &str,
) -> Result<Artifacts, Vec<Diagnostic>> {
    let flash = if images.is_empty() {
        None
    } else {
        Some(image::attach(&mut compiled, images)?)
    };
    let mut buf = vec![0u8; compiled.hyp_blob.size as usize];
    let len = match blob::encode(&compiled.system, &mut buf) {
        Ok(n) => n,
        Err(BlobError::BufferTooSmall) => {
            let need =
                postcard::experimental::serialized_size(&compiled.system).map_or(0, |n| n + blob::HEADER_LEN);
            return Err(vec![Diagnostic::new(
                codes::BLOB_SIZE,
                None,
                "hypervisor.blob.size",
                format!(
                    "the blob needs {need} bytes but `hypervisor.blob` holds {}",
                    compiled.hyp_blob.size
                ),
            )
            .hint(
                "make `hypervisor.blob` larger (and the BLOB region of linker.ld), or the system smaller",
            )]);
        }
        Err(e) => {
            return Err(vec![Diagnostic::new(
                codes::INTERNAL,
                None,
                "",
                format!("cannot encode the blob: {}", e.message()),
            )
            .hint(super::diag::default_hint(codes::INTERNAL))])
        }
    };
    buf.truncate(len);
    let fragments = (0..compiled.partitions.len())
        .filter_map(|pi| {
            let text = report::linker_fragment(&compiled, pi, source)?;
            Some((format!("{}.ld", compiled.partitions[pi].name), text))
        })
        .collect();
    Ok(Artifacts {
        compiled,
        blob: buf,
        fragments,
        flash,
    })
}
