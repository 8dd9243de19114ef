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

/// Like [`TtlCache`], one value per key (e.g. per campaign). Bounded: when it holds `max` keys it
/// starts over, which only costs a few cache misses.
#[derive(Clone)]
pub struct KeyedTtlCache<T> {
    ttl: Duration,
    max: usize,
    slots: Arc<RwLock<std::collections::HashMap<String, (Instant, T)>>>,
}

impl<T: Clone> KeyedTtlCache<T> {
    pub fn new(ttl: Duration, max: usize) -> Self {
        KeyedTtlCache {
            ttl,
            max,
            slots: Arc::new(RwLock::new(std::collections::HashMap::new())),
        }
    }

    pub fn get(&self, key: &str) -> Option<T> {
        let slots = self.slots.read().ok()?;
        slots
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    pub fn put(&self, key: &str, value: T) {
        if let Ok(mut slots) = self.slots.write() {
            if slots.len() >= self.max {
                slots.clear();
            }
            slots.insert(key.to_string(), (Instant::now(), value));
        }
    }

    pub fn remove(&self, key: &str) {
        if let Ok(mut slots) = self.slots.write() {
            slots.remove(key);
        }
    }
}
