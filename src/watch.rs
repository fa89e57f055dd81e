//! Watch mode (placeholder while the core lands).
use crate::app::App;
use anyhow::Result;
pub async fn watch(_app: &mut App, _manual_next: bool) -> Result<u8> {
    anyhow::bail!("watch is not available yet")
}
