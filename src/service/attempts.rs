//! Rate limits on public-link passwords: wrong guesses are counted per link and per client
//! address over a window; past the limit even the right password is refused until it ends.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::AppError;

/// How long wrong guesses are remembered.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Wrong guesses allowed per link in a window.
const PER_LINK: u32 = 10;
/// Wrong guesses allowed per client address in a window (over all links).
const PER_ADDRESS: u32 = 30;
/// Past this many tracked keys, expired ones are dropped.
const PRUNE_ABOVE: usize = 10_000;

struct Window {
    started: Instant,
    failures: u32,
}

/// Wrong password guesses, by link and by client address.
#[derive(Default)]
pub struct PasswordAttempts {
    windows: Mutex<HashMap<String, Window>>,
}

fn keys(link: &str, client: Option<IpAddr>) -> Vec<(String, u32)> {
    let mut keys = vec![(format!("link:{link}"), PER_LINK)];
    if let Some(address) = client {
        keys.push((format!("address:{address}"), PER_ADDRESS));
    }
    keys
}

impl PasswordAttempts {
    /// Refuses (401) when the link or the address has guessed wrong too often lately.
    pub fn check(&self, link: &str, client: Option<IpAddr>) -> Result<(), AppError> {
        let windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for (key, limit) in keys(link, client) {
            if let Some(window) = windows.get(&key) {
                let elapsed = window.started.elapsed();
                if elapsed < WINDOW && window.failures >= limit {
                    let wait = (WINDOW - elapsed).as_secs() + 1;
                    return Err(AppError::unauthenticated(format!(
                        "too many wrong passwords for this public link; retry in {wait} s"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Counts a wrong guess.
    pub fn fail(&self, link: &str, client: Option<IpAddr>) {
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, window| window.started.elapsed() < WINDOW);
        }
        for (key, _) in keys(link, client) {
            let window = windows.entry(key).or_insert(Window {
                started: Instant::now(),
                failures: 0,
            });
            if window.started.elapsed() >= WINDOW {
                *window = Window {
                    started: Instant::now(),
                    failures: 0,
                };
            }
            window.failures += 1;
        }
    }
}
