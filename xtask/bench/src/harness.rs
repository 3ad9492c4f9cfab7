//! A small measuring harness for process-spawning figures, where criterion's
//! model (many iterations of a cheap closure) does not fit: each sample is one
//! spawn, the compared variants are interleaved round by round so that machine
//! noise hits them alike, and the figures are medians and percentiles.

use std::time::{Duration, Instant};

/// The measured durations of one variant.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    durations: Vec<Duration>,
}

impl Samples {
    /// Samples from already measured durations.
    pub fn from_durations(durations: Vec<Duration>) -> Self {
        Self { durations }
    }

    /// Adds one measurement.
    pub fn push(&mut self, d: Duration) {
        self.durations.push(d);
    }

    /// How many measurements there are.
    pub fn len(&self) -> usize {
        self.durations.len()
    }

    /// Whether nothing was measured.
    pub fn is_empty(&self) -> bool {
        self.durations.is_empty()
    }

    /// The median (the lower middle for an even count); zero when empty.
    pub fn median(&self) -> Duration {
        self.percentile(50.0)
    }

    /// The nearest-rank percentile `p` (0..=100); zero when empty.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.durations.is_empty() {
            return Duration::ZERO;
        }
        let mut sorted = self.durations.clone();
        sorted.sort_unstable();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }

    /// The sum of all measurements.
    pub fn total(&self) -> Duration {
        self.durations.iter().sum()
    }
}

/// One variant of a comparison: a name and what to run per sample.
pub struct Variant<'a> {
    /// Shown in errors.
    pub name: &'a str,
    /// Runs once per sample; only the time it takes is measured.
    pub run: Box<dyn FnMut() -> Result<(), String> + 'a>,
}

impl<'a> Variant<'a> {
    /// A named variant.
    pub fn new(name: &'a str, run: impl FnMut() -> Result<(), String> + 'a) -> Self {
        Self {
            name,
            run: Box::new(run),
        }
    }
}

/// Runs every variant once per round, `warmup` rounds unmeasured first, and
/// returns the samples in the variants' order. The start of each round rotates
/// which variant goes first, so none always runs on a cold or warm cache.
pub fn interleaved(
    warmup: usize,
    rounds: usize,
    variants: &mut [Variant<'_>],
) -> Result<Vec<Samples>, String> {
    let count = variants.len();
    let mut samples = vec![Samples::default(); count];
    for round in 0..warmup + rounds {
        for k in 0..count {
            let index = (round + k) % count;
            let variant = &mut variants[index];
            let started = Instant::now();
            (variant.run)().map_err(|e| format!("{}: {e}", variant.name))?;
            let took = started.elapsed();
            if round >= warmup {
                samples[index].push(took);
            }
        }
    }
    Ok(samples)
}

/// `a / b` as a plain number, for ratios of medians.
pub fn ratio(a: Duration, b: Duration) -> f64 {
    if b.is_zero() {
        f64::INFINITY
    } else {
        a.as_secs_f64() / b.as_secs_f64()
    }
}

/// A duration in the unit that keeps it readable.
pub fn fmt_duration(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros < 1_000.0 {
        format!("{micros:.0} µs")
    } else if micros < 1_000_000.0 {
        format!("{:.2} ms", micros / 1e3)
    } else {
        format!("{:.2} s", micros / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let s = Samples::from_durations(vec![ms(5), ms(1), ms(4), ms(2), ms(3)]);
        assert_eq!(s.median(), ms(3));
        assert_eq!(s.percentile(99.0), ms(5));
        assert_eq!(s.percentile(0.0), ms(1));
        assert_eq!(s.total(), ms(15));
        let even = Samples::from_durations(vec![ms(4), ms(1), ms(3), ms(2)]);
        assert_eq!(even.median(), ms(2));
        assert_eq!(Samples::default().median(), Duration::ZERO);
    }

    #[test]
    fn interleaving_rotates_the_order_and_skips_warmup() {
        let order = std::cell::RefCell::new(Vec::new());
        let mut variants = [
            Variant::new("a", || {
                order.borrow_mut().push('a');
                Ok(())
            }),
            Variant::new("b", || {
                order.borrow_mut().push('b');
                Ok(())
            }),
        ];
        let samples = interleaved(1, 2, &mut variants).expect("no variant fails");
        drop(variants);
        assert_eq!(order.into_inner(), vec!['a', 'b', 'b', 'a', 'a', 'b']);
        assert_eq!(samples[0].len(), 2);
        assert_eq!(samples[1].len(), 2);
    }

    #[test]
    fn a_failing_variant_is_named() {
        let mut variants = [Variant::new("broken", || Err("boom".to_owned()))];
        let err = interleaved(0, 1, &mut variants).expect_err("the variant fails");
        assert_eq!(err, "broken: boom");
    }

    #[test]
    fn durations_are_readable() {
        assert_eq!(fmt_duration(Duration::from_micros(850)), "850 µs");
        assert_eq!(fmt_duration(ms(12)), "12.00 ms");
        assert_eq!(fmt_duration(ms(2500)), "2.50 s");
        assert!((ratio(ms(3), ms(2)) - 1.5).abs() < 1e-9);
        assert!(ratio(ms(1), Duration::ZERO).is_infinite());
    }
}
