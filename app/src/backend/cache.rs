//! A one-value cache with a time to live, for hot read-mostly lists. Each app instance keeps
//! its own, so a value can be up to one TTL stale on other instances; callers that change the
//! underlying data clear it locally.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct TtlCache<T> {
    ttl: Duration,
    slot: Arc<RwLock<Option<(Instant, T)>>>,
}

impl<T: Clone> TtlCache<T> {
    pub fn new(ttl: Duration) -> Self {
        TtlCache {
            ttl,
            slot: Arc::new(RwLock::new(None)),
        }
    }

    pub fn get(&self) -> Option<T> {
        let slot = self.slot.read().ok()?;
        slot.as_ref()
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    pub fn put(&self, value: T) {
        if let Ok(mut slot) = self.slot.write() {
            *slot = Some((Instant::now(), value));
        }
    }

    pub fn clear(&self) {
        if let Ok(mut slot) = self.slot.write() {
            *slot = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_expire_and_can_be_cleared() {
        let cache = TtlCache::new(Duration::from_millis(30));
        assert_eq!(cache.get(), None::<u8>);
        cache.put(7);
        assert_eq!(cache.get(), Some(7));
        cache.clear();
        assert_eq!(cache.get(), None);
        cache.put(8);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(cache.get(), None, "expired");
    }
}
