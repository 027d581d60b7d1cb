//! The SHA-256 of a stream being written, computed on a thread of its own in blocks of about
//! 1 MiB, so that hashing runs beside receiving and writing instead of between them.

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::error::{AppError, AppResult};

/// How many bytes go to the hashing thread at a time: each hand-off can wake it.
const BATCH: usize = 1 << 20;

/// How many batches may wait for the hashing thread before the writer waits for it.
const QUEUED: usize = 4;

/// A digest in progress.
pub struct Digesting {
    batch: Vec<Bytes>,
    batched: usize,
    sender: mpsc::Sender<Vec<Bytes>>,
    hashing: tokio::task::JoinHandle<String>,
}

impl Digesting {
    pub fn start() -> Self {
        let (sender, mut receiver) = mpsc::channel::<Vec<Bytes>>(QUEUED);
        let hashing = tokio::task::spawn_blocking(move || {
            let mut hasher = Sha256::new();
            while let Some(batch) = receiver.blocking_recv() {
                for chunk in batch {
                    hasher.update(&chunk);
                }
            }
            hex::encode(hasher.finalize())
        });
        Self {
            batch: Vec::new(),
            batched: 0,
            sender,
            hashing,
        }
    }

    /// Adds `chunk` (shared, not copied).
    pub async fn update(&mut self, chunk: &Bytes) -> AppResult<()> {
        self.batched += chunk.len();
        self.batch.push(chunk.clone());
        if self.batched >= BATCH {
            self.hand_off().await?;
        }
        Ok(())
    }

    /// The hex digest of everything added.
    pub async fn finish(mut self) -> AppResult<String> {
        self.hand_off().await?;
        drop(self.sender);
        self.hashing.await.map_err(AppError::internal)
    }

    async fn hand_off(&mut self) -> AppResult<()> {
        self.batched = 0;
        let batch = std::mem::take(&mut self.batch);
        // The thread stops reading only when it panicked, which `finish` reports.
        if self.sender.send(batch).await.is_err() {
            return Err(AppError::internal(anyhow::anyhow!(
                "the hashing thread stopped"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chunks of any size, across hand-offs, hash as the whole stream does.
    #[tokio::test]
    async fn the_digest_is_the_streams_sha256() {
        let whole: Vec<u8> = (0..3 * BATCH + 12_345)
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        let mut digest = Digesting::start();
        let mut rest = &whole[..];
        for size in [1, 65_536, BATCH - 1, 7, BATCH + 3].into_iter().cycle() {
            let (chunk, after) = rest.split_at(size.min(rest.len()));
            digest.update(&Bytes::copy_from_slice(chunk)).await.unwrap();
            rest = after;
            if rest.is_empty() {
                break;
            }
        }
        assert_eq!(
            digest.finish().await.unwrap(),
            hex::encode(Sha256::digest(&whole))
        );
        assert_eq!(
            Digesting::start().finish().await.unwrap(),
            hex::encode(Sha256::digest(b"")),
            "nothing hashed is the empty digest"
        );
    }
}
