//! Sampling-plan invariants over random lots: the plan meets beta with the smallest n, the OC
//! falls as lots get worse and as samples grow, and the reverse (budget) question inverts the plan.

use demine_field::qa::{defective_units, hypergeom_cdf, lq_for_budget, p_accept, plan, PlanRequest, TIE_TOLERANCE};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn plan_is_minimal_and_the_oc_is_monotone(
        lot in 1u64..20_000, lq in 0.001f64..0.6, beta in 0.01f64..0.5, c in 0u64..4,
    ) {
        let d = defective_units(lot, lq);
        prop_assume!(c < d);
        let p = plan(&PlanRequest { lot_units: lot, lq, beta, c }).unwrap();
        prop_assert!(p.n <= lot && p.n > c);
        prop_assert!(p.p_accept_at_lq <= beta + TIE_TOLERANCE);
        if p.n > c + 1 {
            prop_assert!(p_accept(lot, d, p.n - 1, c) > beta + TIE_TOLERANCE);
        }
        // Worse lots are accepted less often; so are lots inspected more.
        prop_assert!(p.oc.windows(2).all(|w| w[1].p_accept <= w[0].p_accept + 1e-15));
        if p.n < lot {
            prop_assert!(p_accept(lot, d, p.n + 1, c) <= p.p_accept_at_lq + 1e-15);
        }
        // The budget question with the plan's n guarantees at least the plan's LQ.
        let b = lq_for_budget(lot, p.n, beta, c).unwrap();
        prop_assert!(b.defective_units <= d);
    }

    #[test]
    fn the_cdf_is_a_distribution(lot in 1u64..3_000, d_share in 0.0f64..1.0, n_share in 0.0f64..1.0) {
        let d = (d_share * lot as f64) as u64;
        let n = (n_share * lot as f64) as u64;
        prop_assert_eq!(hypergeom_cdf(n, lot, d, n), 1.0);
        let mut last = 0.0;
        for c in 0..=n.min(d) {
            let x = hypergeom_cdf(c, lot, d, n);
            prop_assert!((0.0..=1.0).contains(&x) && x + 1e-15 >= last);
            last = x;
        }
        prop_assert!((last - 1.0).abs() < 1e-12);
    }
}
