//! The stored OpenAPI descriptions, imported once and kept in memory for the API and the
//! pipeline worker. Changes through the API replace the whole set at once; readers keep
//! the set they took until they are done with it.

pub mod drift;

use std::sync::{Arc, RwLock};

use palisade_openapi::ImportSettings;
use palisade_openapi::stored::SpecSet;
use palisade_store::{Store, StoreError};

use crate::config::OpenApiSettings;

/// The current [`SpecSet`], swapped as a whole when descriptions are added or removed.
#[derive(Debug)]
pub struct SpecRegistry {
    current: RwLock<Arc<SpecSet>>,
    /// `(id, imported_ms)` of each description in `current`, to notice changes made by
    /// another process.
    loaded: RwLock<Vec<(i64, i64)>>,
    settings: ImportSettings,
}

impl SpecRegistry {
    /// Loads every stored description. Drift checks report at most
    /// `openapi.max_violations_per_trace` violations per trace.
    pub fn load(store: &dyn Store, openapi: &OpenApiSettings) -> Result<Self, StoreError> {
        let settings =
            ImportSettings { max_violations_per_trace: openapi.max_violations_per_trace, ..ImportSettings::default() };
        let registry =
            Self { current: RwLock::new(Arc::new(SpecSet::default())), loaded: RwLock::new(Vec::new()), settings };
        registry.reload(store)?;
        Ok(registry)
    }

    /// Returns the import limits that descriptions are read with, for checking new ones.
    pub fn settings(&self) -> &ImportSettings {
        &self.settings
    }

    /// Returns the descriptions as last loaded.
    pub fn current(&self) -> Arc<SpecSet> {
        // A poisoned lock means a panic while swapping an `Arc`, which leaves the old
        // value in place, so it is still consistent.
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Loads every stored description again and swaps the set. Descriptions that no
    /// longer import are logged and left out.
    pub fn reload(&self, store: &dyn Store) -> Result<(), StoreError> {
        let (set, skipped) = SpecSet::load(store, &self.settings)?;
        for skip in &skipped {
            tracing::warn!(spec_id = skip.id, error = %skip.error, "stored OpenAPI description no longer imports; it is ignored");
        }
        let mut ids: Vec<(i64, i64)> = set.specs().iter().map(|s| (s.stored.id, s.stored.imported_ms)).collect();
        ids.extend(skipped.iter().map(|skip| (skip.id, 0)));
        ids.sort_unstable();
        let count = set.specs().len();
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(set);
        *self.loaded.write().unwrap_or_else(|p| p.into_inner()) = ids;
        tracing::debug!(specs = count, "OpenAPI descriptions loaded");
        Ok(())
    }

    /// Reloads when the stored descriptions differ from the loaded ones; true when it did.
    pub fn reload_if_changed(&self, store: &dyn Store) -> Result<bool, StoreError> {
        let mut stored: Vec<(i64, i64)> = store.specs()?.iter().map(|s| (s.id, s.imported_ms)).collect();
        stored.sort_unstable();
        let same = {
            let loaded = self.loaded.read().unwrap_or_else(|p| p.into_inner());
            // Descriptions that failed to import are recorded with time 0; compare ids only
            // for them.
            loaded.len() == stored.len()
                && loaded.iter().zip(&stored).all(|(a, b)| a.0 == b.0 && (a.1 == b.1 || a.1 == 0))
        };
        if same {
            return Ok(false);
        }
        self.reload(store)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use crate::Config;

    #[test]
    fn openapi_section_is_read() {
        let text = "version: 1\nopenapi:\n  drift: false\n  max_violations_per_trace: 3\n  zombie_after_days: 7\n";
        let config = Config::parse(text, "c.yaml").unwrap();
        assert!(!config.openapi.drift);
        assert_eq!(config.openapi.max_violations_per_trace, 3);
        assert_eq!(config.openapi.zombie_after_days, 7);
        assert_eq!(config.openapi.reload_interval_secs, 10, "unset keys keep their defaults");
    }

    #[test]
    fn openapi_unknown_key_is_rejected() {
        let error = Config::parse("version: 1\nopenapi:\n  drfit: false\n", "c.yaml").unwrap_err().to_string();
        assert!(error.contains("drfit"), "{error}");
    }
}
