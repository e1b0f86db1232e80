//! The set of active fault rules and the decision taken for each call.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Effect, Endpoint, FaultRule};
use crate::ids::IdGen;

/// Identifies an active fault rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FaultId(pub u64);

/// An active rule, as listed by the admin API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveFault {
    /// Its id (for removal).
    pub id: FaultId,
    /// The rule.
    pub rule: FaultRule,
    /// Times it has fired.
    pub fired: u64,
    /// Eligible calls still to let through before it fires.
    pub skip_remaining: u32,
    /// Firings left (`None`: unlimited).
    pub remaining: Option<u32>,
}

/// What to do with one call.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Decision {
    /// Added latency.
    pub latency: Duration,
    /// The effect replacing the answer, and whether the real operation runs first.
    pub terminal: Option<(Effect, bool)>,
}

/// Active rules, in insertion order.
#[derive(Debug, Default)]
pub(crate) struct FaultBook {
    next_id: u64,
    rules: Vec<ActiveFault>,
}

impl FaultBook {
    pub(crate) fn add(&mut self, rule: FaultRule) -> FaultId {
        self.next_id += 1;
        let id = FaultId(self.next_id);
        self.rules.push(ActiveFault {
            id,
            skip_remaining: rule.skip,
            remaining: rule.count,
            rule,
            fired: 0,
        });
        id
    }

    pub(crate) fn remove(&mut self, id: FaultId) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        self.rules.len() != before
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    pub(crate) fn list(&self) -> Vec<ActiveFault> {
        self.rules.clone()
    }

    /// Decides the fate of one call to `endpoint` on an object aged `age_ms` (when the call
    /// reads an object). Consumes `skip` and `count` of the rules that are considered.
    pub(crate) fn decide(
        &mut self,
        endpoint: Endpoint,
        age_ms: Option<i64>,
        ids: &mut IdGen,
    ) -> Decision {
        let mut decision = Decision::default();
        for active in self.rules.iter_mut() {
            if active.rule.endpoint != endpoint {
                continue;
            }
            let terminal = active.rule.effect.is_terminal();
            if terminal && decision.terminal.is_some() {
                continue;
            }
            if let Effect::FreshReadError { younger_than_ms } = active.rule.effect {
                let young = age_ms
                    .is_some_and(|age| age < i64::try_from(younger_than_ms).unwrap_or(i64::MAX));
                if !young {
                    continue;
                }
            }
            if active.skip_remaining > 0 {
                active.skip_remaining -= 1;
                continue;
            }
            if !ids.chance(active.rule.rate) {
                continue;
            }
            active.fired += 1;
            if let Some(left) = active.remaining.as_mut() {
                *left = left.saturating_sub(1);
            }
            match &active.rule.effect {
                Effect::Latency { ms } => decision.latency += Duration::from_millis(*ms),
                effect => {
                    decision.terminal = Some((effect.clone(), active.rule.after_success));
                }
            }
        }
        self.rules.retain(|r| r.remaining != Some(0));
        decision
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::FaultBook;
    use crate::faults::{Effect, Endpoint, FaultRule};
    use crate::ids::IdGen;

    #[test]
    fn count_skip_and_latency() {
        let mut book = FaultBook::default();
        let mut ids = IdGen::new(Some(1));
        book.add(FaultRule::always(Endpoint::Me, Effect::Latency { ms: 5 }));
        book.add(FaultRule::next(Endpoint::Me, 1, Effect::Drop).with_skip(1));
        let first = book.decide(Endpoint::Me, None, &mut ids);
        assert_eq!(first.latency, Duration::from_millis(5));
        assert!(first.terminal.is_none());
        let second = book.decide(Endpoint::Me, None, &mut ids);
        assert_eq!(second.terminal, Some((Effect::Drop, false)));
        let third = book.decide(Endpoint::Me, None, &mut ids);
        assert!(third.terminal.is_none());
        assert_eq!(book.list().len(), 1);
        assert!(book.decide(Endpoint::MediaCreate, None, &mut ids) == Default::default());
    }

    #[test]
    fn fresh_read_needs_young_object() {
        let mut book = FaultBook::default();
        let mut ids = IdGen::new(Some(1));
        book.add(FaultRule::always(
            Endpoint::ContainerStatus,
            Effect::FreshReadError {
                younger_than_ms: 1000,
            },
        ));
        assert!(
            book.decide(Endpoint::ContainerStatus, Some(10), &mut ids)
                .terminal
                .is_some()
        );
        assert!(
            book.decide(Endpoint::ContainerStatus, Some(5000), &mut ids)
                .terminal
                .is_none()
        );
        assert!(
            book.decide(Endpoint::ContainerStatus, None, &mut ids)
                .terminal
                .is_none()
        );
    }

    #[test]
    fn rate_zero_never_fires() {
        let mut book = FaultBook::default();
        let mut ids = IdGen::new(Some(1));
        book.add(FaultRule::always(Endpoint::Me, Effect::Drop).with_rate(0.0));
        for _ in 0..50 {
            assert!(book.decide(Endpoint::Me, None, &mut ids).terminal.is_none());
        }
    }
}
