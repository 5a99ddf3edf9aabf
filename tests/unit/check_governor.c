/*
 * Check unit test for the pre-copy bandwidth governor arithmetic
 *
 * Builds the same migration/bandwidth-governor.c as QEMU against a
 * minimal qemu/osdep.h stub:
 *
 *   cc -std=gnu11 -I qemu-stub -I <qemu-tree>/migration check_governor.c \
 *      <qemu-tree>/migration/bandwidth-governor.c \
 *      $(pkg-config --cflags --libs check glib-2.0) -lm
 *
 * The cases mirror QEMU's tests/unit/test-migration-governor.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <check.h>
#include "bandwidth-governor.h"

#define T_MIB (1024ULL * 1024)
#define T_GIB (1024ULL * T_MIB)

/* Tolerances, written without exponents (checkpatch misparses them) */
#define T_EPS 0.000000000001
#define T_EPS_RATE 0.000001

/* M = 1 GiB, h = 64 MiB, N = 8: λ* = (1/16)^(1/8) = 2^(-1/2) */
#define T_LAMBDA_TYPICAL 0.70710678118654752

static MigGovernorConfig test_config(MigGovernorPolicy policy)
{
    MigGovernorConfig c = {
        .policy = policy,
        .ram_bytes = T_GIB,
        .max_rounds = 8,
        .remaining_threshold = 64 * T_MIB,
        .min_bandwidth = 16 * T_MIB,
        .max_bandwidth = 128 * T_MIB,
        .initial_bandwidth = 128 * T_MIB,
        .xen_step = MIG_GOVERNOR_DEFAULT_XEN_STEP,
        .exclude_first_round = false,
    };

    return c;
}

static uint64_t test_round(MigGovernorState *s, uint64_t ms,
                           uint64_t dirtied, uint64_t sent,
                           uint64_t remaining)
{
    MigGovernorRound r = {
        .duration_ms = ms,
        .dirtied_bytes = dirtied,
        .sent_bytes = sent,
        .remaining_bytes = remaining,
        .limit = 0,
    };

    return mig_governor_round_end(s, &r);
}

static void test_state_finite(const MigGovernorState *s)
{
    ck_assert(isfinite(s->target_factor));
    ck_assert(isfinite(s->last_dirty_rate));
    ck_assert(isfinite(s->last_bandwidth));
    ck_assert(isfinite(s->last_factor));
    ck_assert(isfinite(s->sum_factor));
    ck_assert(isfinite(s->sum_dirty_rate));
    ck_assert(isfinite(s->avg_factor));
}

START_TEST(test_target_factor)
{
    double l;

    /* h = M: nothing to gain, λ* = 1 */
    l = mig_governor_target_factor(T_GIB, 8, T_GIB);
    ck_assert_double_eq_tol(l, 1.0, T_EPS);
    /* h > M is clamped to M */
    l = mig_governor_target_factor(T_GIB, 8, 2 * T_GIB);
    ck_assert_double_eq_tol(l, 1.0, T_EPS);
    /* N = 1: λ* = h / M */
    l = mig_governor_target_factor(T_GIB, 1, 64 * T_MIB);
    ck_assert_double_eq_tol(l, 1.0 / 16, T_EPS);
    /* N = 0 behaves as N = 1 */
    l = mig_governor_target_factor(T_GIB, 0, 64 * T_MIB);
    ck_assert_double_eq_tol(l, 1.0 / 16, T_EPS);
    /* typical: M = 1 GiB, h = 64 MiB, N = 8 */
    l = mig_governor_target_factor(T_GIB, 8, 64 * T_MIB);
    ck_assert_double_eq_tol(l, T_LAMBDA_TYPICAL, T_EPS);
    ck_assert_double_eq_tol(pow(l, 8) * T_GIB, 64.0 * T_MIB, 1.0);
    /* M = 0: nothing to send */
    l = mig_governor_target_factor(0, 8, 0);
    ck_assert_double_eq_tol(l, 1.0, T_EPS);
    /* h = 0 still gives a factor in (0, 1] */
    l = mig_governor_target_factor(T_GIB, 8, 0);
    ck_assert_double_gt(l, 0.0);
    ck_assert_double_lt(l, 1.0);
}
END_TEST

START_TEST(test_target_threshold)
{
    MigGovernorConfig c = test_config(MIG_GOVERNOR_POLICY_DIRTY_FACTOR);
    MigGovernorState s;

    /* h given: the QEMU threshold does not matter */
    mig_governor_init(&s, &c, 4 * T_MIB);
    ck_assert_uint_eq(s.target_threshold, 64 * T_MIB);
    ck_assert_double_eq_tol(s.target_factor, T_LAMBDA_TYPICAL, T_EPS);

    /* h = 0: λ* from the QEMU threshold */
    c.remaining_threshold = 0;
    mig_governor_init(&s, &c, 64 * T_MIB);
    ck_assert_uint_eq(s.target_threshold, 64 * T_MIB);
    ck_assert_double_eq_tol(s.target_factor, T_LAMBDA_TYPICAL, T_EPS);

    /* h = 0 and no QEMU threshold: one page */
    mig_governor_init(&s, &c, 0);
    ck_assert_uint_eq(s.target_threshold, MIG_GOVERNOR_THRESHOLD_FLOOR);
    ck_assert_double_eq_tol(s.target_factor,
                            pow(4096.0 / T_GIB, 1.0 / 8), T_EPS);
    ck_assert_double_gt(s.target_factor, 0.0);

    /* h > M */
    c.remaining_threshold = 2 * T_GIB;
    mig_governor_init(&s, &c, 0);
    ck_assert_uint_eq(s.target_threshold, T_GIB);
    ck_assert_double_eq_tol(s.target_factor, 1.0, T_EPS);
}
END_TEST

START_TEST(test_init)
{
    MigGovernorConfig c = test_config(MIG_GOVERNOR_POLICY_DIRTY_FACTOR);
    MigGovernorState s;

    c.initial_bandwidth = 64 * T_MIB;
    mig_governor_init(&s, &c, 0);
    ck_assert_uint_eq(s.limit, 64 * T_MIB);
    ck_assert_uint_eq(s.rounds, 0);
    ck_assert_uint_eq(s.samples, 0);
    ck_assert_uint_eq(s.remaining, T_GIB);
    ck_assert_int_eq(s.stop_reason, MIG_GOVERNOR_STOP_NONE);
    ck_assert_double_eq(s.avg_factor, 0.0);

    /* N = 0 is normalised to 1 */
    c.max_rounds = 0;
    mig_governor_init(&s, &c, 0);
    ck_assert_uint_eq(s.config.max_rounds, 1);
}
END_TEST

START_TEST(test_first_round)
{
    MigGovernorConfig c = test_config(MIG_GOVERNOR_POLICY_DIRTY_FACTOR);
    MigGovernorState s;
    double rate = 32.0 * T_MIB, req;
    uint64_t limit;

    /* Round 1 sends all of RAM at 128 MiB/s in 8 s, 256 MiB dirtied */
    mig_governor_init(&s, &c, 0);
    limit = test_round(&s, 8000, 256 * T_MIB, T_GIB, 256 * T_MIB);
    ck_assert_uint_eq(s.rounds, 1);
    ck_assert_uint_eq(s.samples, 1);
    ck_assert_uint_eq(s.remaining, 256 * T_MIB);
    ck_assert_double_eq_tol(s.last_dirty_rate, rate, T_EPS_RATE);
    ck_assert_double_eq_tol(s.last_bandwidth, 128.0 * T_MIB, T_EPS_RATE);
    ck_assert_double_eq_tol(s.last_factor, 0.25, T_EPS);
    ck_assert_double_eq_tol(s.avg_factor, 0.25, T_EPS);
    ck_assert_double_eq_tol(s.sum_factor, 0.25, T_EPS);
    ck_assert_double_eq_tol(s.sum_dirty_rate, rate, T_EPS_RATE);

    /* F_1 <= λ*: keep or lower, to B_req = P_1 / (2λ* - f_1) */
    req = ceil(rate / (2 * T_LAMBDA_TYPICAL - 0.25));
    ck_assert_double_eq_tol((double)s.required_bandwidth, req, 1.0);
    ck_assert_uint_eq(limit, s.required_bandwidth);
    ck_assert_uint_eq(limit, s.limit);
    /* the first-round credit: the rate collapses to under a quarter */
    ck_assert_uint_lt(limit, c.max_bandwidth / 4);
    ck_assert_uint_ge(limit, c.min_bandwidth);

    /* Improved rule: round 1 is reported but not averaged */
    c.exclude_first_round = true;
    mig_governor_init(&s, &c, 0);
    limit = test_round(&s, 8000, 256 * T_MIB, T_GIB, 256 * T_MIB);
    ck_assert_uint_eq(s.rounds, 1);
    ck_assert_uint_eq(s.samples, 0);
    ck_assert_double_eq_tol(s.last_factor, 0.25, T_EPS);
    ck_assert_double_eq(s.sum_factor, 0.0);
    ck_assert_double_eq(s.avg_factor, 0.0);
    ck_assert_uint_eq(limit, c.initial_bandwidth);

    /* Round 2 (f = 0.78 > λ*) is the first averaged one and raises */
    limit = test_round(&s, 2000, 200 * T_MIB, 256 * T_MIB, 200 * T_MIB);
    ck_assert_uint_eq(s.samples, 1);
    ck_assert_double_eq_tol(s.avg_factor, 200.0 / 256, T_EPS);
    ck_assert_uint_eq(limit, c.max_bandwidth);
}
END_TEST

/* Each round runs 1 s at its limit and dirties factor × sent bytes */
START_TEST(test_factor_below_target)
{
    MigGovernorConfig c = test_config(MIG_GOVERNOR_POLICY_DIRTY_FACTOR);
    MigGovernorState s;
    uint64_t prev, limit;
    int i;

    mig_governor_init(&s, &c, 0);
    prev = s.limit;
    for (i = 0; i < 40; i++) {
        limit = test_round(&s, 1000, prev / 2, prev, 512 * T_MIB);
        ck_assert_double_eq_tol(s.last_factor, 0.5, T_EPS_RATE);
        ck_assert_double_le(s.avg_factor, s.target_factor);
        ck_assert_uint_le(limit, prev);
        ck_assert_uint_ge(limit, c.min_bandwidth);
        ck_assert_uint_le(limit, c.max_bandwidth);
        prev = limit;
    }
    ck_assert_uint_eq(prev, c.min_bandwidth);
}
END_TEST

START_TEST(test_factor_above_target)
{
    MigGovernorConfig c = test_config(MIG_GOVERNOR_POLICY_DIRTY_FACTOR);
    MigGovernorState s;
    uint64_t prev, limit;
    int i;

    c.initial_bandwidth = c.min_bandwidth;
    mig_governor_init(&s, &c, 0);
    prev = s.limit;
    ck_assert_uint_eq(prev, c.min_bandwidth);
    for (i = 0; i < 20; i++) {
        limit = test_round(&s, 1000, prev / 10 * 9, prev, 512 * T_MIB);
        ck_assert_double_gt(s.avg_factor, s.target_factor);
        ck_assert_uint_ge(limit, prev);
        ck_assert_uint_ge(limit, c.min_bandwidth);
        ck_assert_uint_le(limit, c.max_bandwidth);
        if (i == 0) {
            ck_assert_uint_gt(limit, prev);
        }
        prev = limit;
    }
    ck_assert_uint_eq(prev, c.max_bandwidth);
}
END_TEST

START_TEST(test_denominator_nonpositive)
{
    MigGovernorConfig c = test_config(MIG_GOVERNOR_POLICY_DIRTY_FACTOR);
    MigGovernorState s;
    uint64_t limit;

    /* f_1 = 2 >= 2λ*: no bandwidth can bring F_2 under λ* */
    c.initial_bandwidth = c.min_bandwidth;
    mig_governor_init(&s, &c, 0);
    limit = test_round(&s, 1000, 32 * T_MIB, 16 * T_MIB, 512 * T_MIB);
    ck_assert_double_eq_tol(s.last_factor, 2.0, T_EPS);
    ck_assert_uint_eq(s.required_bandwidth, c.max_bandwidth);
    ck_assert_uint_eq(limit, c.max_bandwidth);

    /* exactly zero: λ* = 1 (h = M), f_1 = 2 */
    c.remaining_threshold = c.ram_bytes;
    mig_governor_init(&s, &c, 0);
    limit = test_round(&s, 1000, 32 * T_MIB, 16 * T_MIB, 512 * T_MIB);
    ck_assert_uint_eq(s.required_bandwidth, c.max_bandwidth);
    ck_assert_uint_eq(limit, c.max_bandwidth);
}
END_TEST

START_TEST(test_clamps)
{
    MigGovernorConfig c = test_config(MIG_GOVERNOR_POLICY_DIRTY_FACTOR);
    MigGovernorState s;
    MigGovernorRound r = {
        .duration_ms = 1000,
        .dirtied_bytes = 1,
        .sent_bytes = 1,
        .remaining_bytes = 512 * T_MIB,
        .limit = 0,
    };
    uint64_t limit;

    c.initial_bandwidth = 10 * T_GIB;
    mig_governor_init(&s, &c, 0);
    ck_assert_uint_eq(s.limit, c.max_bandwidth);

    c.initial_bandwidth = 1;
    mig_governor_init(&s, &c, 0);
    ck_assert_uint_eq(s.limit, c.min_bandwidth);

    c.initial_bandwidth = 0;
    mig_governor_init(&s, &c, 0);
    ck_assert_uint_eq(s.limit, c.max_bandwidth);

    /* max < min: min wins */
    c.max_bandwidth = c.min_bandwidth / 2;
    mig_governor_init(&s, &c, 0);
    ck_assert_uint_eq(s.config.max_bandwidth, c.min_bandwidth);
    ck_assert_uint_eq(s.limit, c.min_bandwidth);
    limit = mig_governor_round_end(&s, &r);
    ck_assert_uint_eq(limit, c.min_bandwidth);

    /* a limit in force outside [min, max] is clamped (f = 1 raises) */
    c = test_config(MIG_GOVERNOR_POLICY_DIRTY_FACTOR);
    mig_governor_init(&s, &c, 0);
    r.limit = 10 * T_GIB;
    limit = mig_governor_round_end(&s, &r);
    ck_assert_uint_eq(limit, c.max_bandwidth);

    /* f = 0 lowers, but never under min */
    mig_governor_init(&s, &c, 0);
    r.limit = 1;
    r.dirtied_bytes = 0;
    limit = mig_governor_round_end(&s, &r);
    ck_assert_uint_eq(limit, c.min_bandwidth);
}
END_TEST

START_TEST(test_stop_max_rounds)
{
    MigGovernorConfig c = test_config(MIG_GOVERNOR_POLICY_DIRTY_FACTOR);
    MigGovernorState s;
    MigGovernorStopReason reason;
    int i;

    c.max_rounds = 3;
    mig_governor_init(&s, &c, 0);
    for (i = 0; i < 3; i++) {
        reason = mig_governor_check_stop(&s, 512 * T_MIB, 0);
        ck_assert_int_eq(reason, MIG_GOVERNOR_STOP_NONE);
        ck_assert_int_eq(s.stop_reason, MIG_GOVERNOR_STOP_NONE);
        test_round(&s, 1000, 512 * T_MIB, 512 * T_MIB, 512 * T_MIB);
    }
    ck_assert_uint_eq(s.rounds, 3);
    reason = mig_governor_stop_reason(&s, 512 * T_MIB, 0);
    ck_assert_int_eq(reason, MIG_GOVERNOR_STOP_MAX_ROUNDS);
    ck_assert_int_eq(s.stop_reason, MIG_GOVERNOR_STOP_NONE);
    reason = mig_governor_check_stop(&s, 512 * T_MIB, 0);
    ck_assert_int_eq(reason, MIG_GOVERNOR_STOP_MAX_ROUNDS);
    ck_assert_int_eq(s.stop_reason, MIG_GOVERNOR_STOP_MAX_ROUNDS);

    /* the first reason stays latched */
    reason = mig_governor_check_stop(&s, 0, 0);
    ck_assert_int_eq(reason, MIG_GOVERNOR_STOP_REMAINING_BELOW_THRESHOLD);
    ck_assert_int_eq(s.stop_reason, MIG_GOVERNOR_STOP_MAX_ROUNDS);
}
END_TEST

START_TEST(test_stop_remaining)
{
    MigGovernorConfig c = test_config(MIG_GOVERNOR_POLICY_DIRTY_FACTOR);
    MigGovernorState s;
    MigGovernorStopReason reason;

    mig_governor_init(&s, &c, 0);
    test_round(&s, 1000, 64 * T_MIB, 128 * T_MIB, 64 * T_MIB + 1);
    reason = mig_governor_check_stop(&s, 64 * T_MIB + 1, 0);
    ck_assert_int_eq(reason, MIG_GOVERNOR_STOP_NONE);
    reason = mig_governor_check_stop(&s, 64 * T_MIB, 0);
    ck_assert_int_eq(reason, MIG_GOVERNOR_STOP_REMAINING_BELOW_THRESHOLD);
    ck_assert_int_eq(s.stop_reason,
                     MIG_GOVERNOR_STOP_REMAINING_BELOW_THRESHOLD);

    /* remaining <= h wins over N rounds */
    c.max_rounds = 1;
    mig_governor_init(&s, &c, 0);
    test_round(&s, 1000, 64 * T_MIB, 128 * T_MIB, 64 * T_MIB);
    reason = mig_governor_stop_reason(&s, 1, 0);
    ck_assert_int_eq(reason, MIG_GOVERNOR_STOP_REMAINING_BELOW_THRESHOLD);
}
END_TEST

START_TEST(test_stop_qemu_threshold)
{
    MigGovernorConfig c = test_config(MIG_GOVERNOR_POLICY_DIRTY_FACTOR);
    MigGovernorState s;
    MigGovernorStopReason reason;

    /* QEMU's threshold above h */
    mig_governor_init(&s, &c, 0);
    reason = mig_governor_stop_reason(&s, 100 * T_MIB, 100 * T_MIB - 1);
    ck_assert_int_eq(reason, MIG_GOVERNOR_STOP_NONE);
    reason = mig_governor_stop_reason(&s, 100 * T_MIB, 100 * T_MIB);
    ck_assert_int_eq(reason, MIG_GOVERNOR_STOP_REMAINING_BELOW_THRESHOLD);

    /* h = 0: QEMU's threshold only */
    c.remaining_threshold = 0;
    mig_governor_init(&s, &c, 0);
    reason = mig_governor_stop_reason(&s, 1, 0);
    ck_assert_int_eq(reason, MIG_GOVERNOR_STOP_NONE);
    reason = mig_governor_stop_reason(&s, 0, 0);
    ck_assert_int_eq(reason, MIG_GOVERNOR_STOP_REMAINING_BELOW_THRESHOLD);
    reason = mig_governor_stop_reason(&s, 30 * T_MIB, 30 * T_MIB);
    ck_assert_int_eq(reason, MIG_GOVERNOR_STOP_REMAINING_BELOW_THRESHOLD);
}
END_TEST

START_TEST(test_zero_duration)
{
    MigGovernorConfig c = test_config(MIG_GOVERNOR_POLICY_DIRTY_FACTOR);
    MigGovernorState s;
    uint64_t limit;

    c.max_rounds = 2;
    mig_governor_init(&s, &c, 0);
    limit = test_round(&s, 1000, 64 * T_MIB, 128 * T_MIB, 300 * T_MIB);
    ck_assert_uint_eq(s.samples, 1);

    /* counted as a round, not as a sample; limit unchanged */
    ck_assert_uint_eq(test_round(&s, 0, 64 * T_MIB, 128 * T_MIB, 200 * T_MIB),
                      limit);
    ck_assert_uint_eq(s.rounds, 2);
    ck_assert_uint_eq(s.invalid_rounds, 1);
    ck_assert_uint_eq(s.samples, 1);
    ck_assert_uint_eq(s.remaining, 200 * T_MIB);
    ck_assert_double_eq_tol(s.last_factor, 0.5, T_EPS);
    ck_assert_double_eq_tol(s.avg_factor, 0.5, T_EPS);
    test_state_finite(&s);
    ck_assert_int_eq(mig_governor_check_stop(&s, 200 * T_MIB, 0),
                     MIG_GOVERNOR_STOP_MAX_ROUNDS);

    /* only invalid rounds, with everything zero */
    mig_governor_init(&s, &c, 0);
    limit = s.limit;
    ck_assert_uint_eq(test_round(&s, 0, 0, 0, 0), limit);
    ck_assert_uint_eq(s.samples, 0);
    test_state_finite(&s);
}
END_TEST

START_TEST(test_zero_bandwidth)
{
    MigGovernorConfig c = test_config(MIG_GOVERNOR_POLICY_DIRTY_FACTOR);
    MigGovernorState s;
    uint64_t limit;

    /* dirtied but sent nothing: capped factor, raise to max */
    c.initial_bandwidth = c.min_bandwidth;
    mig_governor_init(&s, &c, 0);
    limit = test_round(&s, 1000, 64 * T_MIB, 0, 512 * T_MIB);
    ck_assert_double_eq(s.last_bandwidth, 0.0);
    ck_assert_double_eq(s.last_factor, MIG_GOVERNOR_FACTOR_MAX);
    ck_assert_double_eq(s.avg_factor, MIG_GOVERNOR_FACTOR_MAX);
    ck_assert_uint_eq(limit, c.max_bandwidth);
    test_state_finite(&s);

    /* huge factors are capped too */
    limit = test_round(&s, 1000, 64 * T_GIB, 1, 512 * T_MIB);
    ck_assert_double_eq(s.last_factor, MIG_GOVERNOR_FACTOR_MAX);
    ck_assert_uint_eq(limit, c.max_bandwidth);
    test_state_finite(&s);

    /* idle: nothing dirtied, nothing sent, factor 0, lower to min */
    mig_governor_init(&s, &c, 0);
    limit = test_round(&s, 1000, 0, 0, 0);
    ck_assert_double_eq(s.last_factor, 0.0);
    ck_assert_double_eq(s.last_dirty_rate, 0.0);
    ck_assert_uint_eq(limit, c.min_bandwidth);
    test_state_finite(&s);

    /* all zero, including M, N and the bandwidth bounds */
    memset(&c, 0, sizeof(c));
    c.policy = MIG_GOVERNOR_POLICY_DIRTY_FACTOR;
    mig_governor_init(&s, &c, 0);
    ck_assert_double_eq(s.target_factor, 1.0);
    ck_assert_uint_eq(test_round(&s, 0, 0, 0, 0), 0);
    ck_assert_uint_eq(test_round(&s, 1, 0, 0, 0), 0);
    ck_assert_uint_eq(test_round(&s, 1, 5, 0, 0), 0);
    test_state_finite(&s);
}
END_TEST

START_TEST(test_xen_adaptive)
{
    MigGovernorConfig c = test_config(MIG_GOVERNOR_POLICY_XEN_ADAPTIVE);
    MigGovernorState s;
    uint64_t step = MIG_GOVERNOR_DEFAULT_XEN_STEP;

    ck_assert_uint_eq(step, 50 * 1000 * 1000 / 8);
    c.min_bandwidth = 10000000;
    c.max_bandwidth = 100000000;
    c.initial_bandwidth = 50000000;
    c.max_rounds = 30;
    mig_governor_init(&s, &c, 0);
    /* starts at min, whatever the initial rate */
    ck_assert_uint_eq(s.limit, c.min_bandwidth);

    /* next = P_i + step */
    ck_assert_uint_eq(test_round(&s, 1000, 20000000, 10000000, 900000000),
                      20000000 + step);
    ck_assert(!(s.xen_at_max));
    ck_assert_int_eq(mig_governor_check_stop(&s, 900000000, 0),
                     MIG_GOVERNOR_STOP_NONE);
    ck_assert_uint_eq(test_round(&s, 2000, 100000000, 52500000, 800000000),
                      50000000 + step);
    ck_assert_int_eq(mig_governor_check_stop(&s, 800000000, 0),
                     MIG_GOVERNOR_STOP_NONE);
    /* clamped to max; the round that set it did not run at max */
    ck_assert_uint_eq(test_round(&s, 1000, 95000000, 56250000, 700000000),
                      c.max_bandwidth);
    ck_assert(!(s.xen_at_max));
    ck_assert_int_eq(mig_governor_check_stop(&s, 700000000, 0),
                     MIG_GOVERNOR_STOP_NONE);
    /* a round ran at max: pre-copy ends */
    test_round(&s, 1000, 10000000, 100000000, 600000000);
    ck_assert(s.xen_at_max);
    ck_assert_int_eq(mig_governor_check_stop(&s, 600000000, 0),
                     MIG_GOVERNOR_STOP_XEN_MAX_RATE);
    ck_assert_int_eq(s.stop_reason, MIG_GOVERNOR_STOP_XEN_MAX_RATE);

    /* a low dirty rate goes back to min, never under */
    mig_governor_init(&s, &c, 0);
    ck_assert_uint_eq(test_round(&s, 1000, 0, 10000000, 900000000),
                      c.min_bandwidth);
    test_state_finite(&s);
}
END_TEST

START_TEST(test_policy_none)
{
    MigGovernorConfig c = test_config(MIG_GOVERNOR_POLICY_NONE);
    MigGovernorState s;
    MigGovernorRound r = {
        .duration_ms = 1000,
        .dirtied_bytes = 512 * T_MIB,
        .sent_bytes = 1,
        .remaining_bytes = 0,
        .limit = 0,
    };
    int i;

    c.max_rounds = 2;
    mig_governor_init(&s, &c, 0);
    ck_assert_uint_eq(s.limit, c.max_bandwidth);
    for (i = 0; i < 5; i++) {
        ck_assert_uint_eq(mig_governor_round_end(&s, &r), c.max_bandwidth);
        ck_assert_int_eq(mig_governor_check_stop(&s, 0, 64 * T_MIB),
                         MIG_GOVERNOR_STOP_NONE);
    }
    /* still measures */
    ck_assert_uint_eq(s.rounds, 5);
    ck_assert_double_eq(s.last_factor, MIG_GOVERNOR_FACTOR_MAX);
    ck_assert_int_eq(s.stop_reason, MIG_GOVERNOR_STOP_NONE);

    /* the limit in force is returned untouched, even above max */
    r.limit = 10 * T_GIB;
    ck_assert_uint_eq(mig_governor_round_end(&s, &r), 10 * T_GIB);
    r.duration_ms = 0;
    r.limit = 3;
    ck_assert_uint_eq(mig_governor_round_end(&s, &r), 3);
}
END_TEST

START_TEST(test_strings)
{
    ck_assert_str_eq(mig_governor_policy_str(MIG_GOVERNOR_POLICY_NONE), "none");
    ck_assert_str_eq(mig_governor_policy_str(MIG_GOVERNOR_POLICY_DIRTY_FACTOR),
                     "dirty-factor");
    ck_assert_str_eq(mig_governor_policy_str(MIG_GOVERNOR_POLICY_XEN_ADAPTIVE),
                     "xen-adaptive");
    ck_assert_str_eq(mig_governor_policy_str(MIG_GOVERNOR_POLICY__MAX),
                     "invalid");
    ck_assert_str_eq(mig_governor_stop_reason_str(MIG_GOVERNOR_STOP_NONE),
                     "none");
    ck_assert_str_eq(mig_governor_stop_reason_str(MIG_GOVERNOR_STOP_MAX_ROUNDS),
                     "max-rounds");
    ck_assert_str_eq(mig_governor_stop_reason_str(
                         MIG_GOVERNOR_STOP_REMAINING_BELOW_THRESHOLD),
                     "remaining-below-threshold");
    ck_assert_str_eq(mig_governor_stop_reason_str(
                         MIG_GOVERNOR_STOP_XEN_MAX_RATE),
                     "xen-max-rate");
    ck_assert_str_eq(mig_governor_stop_reason_str(MIG_GOVERNOR_STOP__MAX),
                     "invalid");
}
END_TEST

START_TEST(test_milli)
{
    ck_assert_uint_eq(mig_governor_to_milli(0.0), 0);
    ck_assert_uint_eq(mig_governor_to_milli(T_LAMBDA_TYPICAL), 707);
    ck_assert_uint_eq(mig_governor_to_milli(0.2505), 251);
    ck_assert_uint_eq(mig_governor_to_milli(1.0), 1000);
    ck_assert_uint_eq(mig_governor_to_milli(MIG_GOVERNOR_FACTOR_MAX), 1000000);
    ck_assert_uint_eq(mig_governor_to_milli(-1.0), 0);
    ck_assert_uint_eq(mig_governor_to_milli(NAN), 0);
    ck_assert_uint_eq(mig_governor_to_milli(INFINITY), UINT64_MAX);
    ck_assert_uint_eq(mig_governor_to_milli((double)UINT64_MAX),
                      UINT64_MAX);
    ck_assert_uint_eq(mig_governor_to_u64(134217728.4), 134217728);
    ck_assert_uint_eq(mig_governor_to_u64(-INFINITY), 0);
    ck_assert_uint_eq(mig_governor_to_u64(18446744073709551616.0), UINT64_MAX);
}
END_TEST

/*
 * Round model: guest RAM @ram, a writable working set @wss dirtied at
 * @dirty_rate bytes/s that saturates (a round of t seconds dirties
 * min(wss, dirty_rate × t) bytes), and a link of @link bytes/s.  Round
 * 1 sends all of RAM, round k sends what round k-1 dirtied, at
 * min(limit, link).  QEMU's threshold is that rate × @downtime_ms.
 */
typedef struct TestSimModel {
    uint64_t ram;
    uint64_t wss;
    uint64_t dirty_rate;
    uint64_t link;
    uint64_t downtime_ms;
} TestSimModel;

typedef struct TestSimResult {
    uint64_t rounds;
    uint64_t total_ms;
    uint64_t second_limit;
    uint64_t lowest_limit;
    uint64_t highest_limit;
    MigGovernorStopReason reason;
} TestSimResult;

#define TEST_SIM_MAX_ROUNDS 1000

static void test_sim_run(const MigGovernorConfig *c, const TestSimModel *m,
                         TestSimResult *res)
{
    MigGovernorState s;
    MigGovernorRound r;
    uint64_t to_send = m->ram, rate, ms, dirtied, threshold;

    memset(res, 0, sizeof(*res));
    res->lowest_limit = UINT64_MAX;
    mig_governor_init(&s, c, c->max_bandwidth * m->downtime_ms / 1000);
    while (res->rounds < TEST_SIM_MAX_ROUNDS) {
        res->lowest_limit = MIN(res->lowest_limit, s.limit);
        res->highest_limit = MAX(res->highest_limit, s.limit);
        if (res->rounds == 1) {
            res->second_limit = s.limit;
        }
        rate = MIN(s.limit, m->link);
        ms = MAX((to_send * 1000 + rate - 1) / rate, 1);
        dirtied = MIN(m->wss, m->dirty_rate * ms / 1000);
        r.duration_ms = ms;
        r.dirtied_bytes = dirtied;
        r.sent_bytes = to_send;
        r.remaining_bytes = dirtied;
        r.limit = s.limit;
        mig_governor_round_end(&s, &r);
        res->rounds++;
        res->total_ms += ms;
        test_state_finite(&s);

        threshold = rate * m->downtime_ms / 1000;
        res->reason = mig_governor_check_stop(&s, dirtied, threshold);
        if (res->reason != MIG_GOVERNOR_STOP_NONE) {
            break;
        }
        /* stock QEMU switches over on its own threshold too */
        if (dirtied <= threshold) {
            break;
        }
        to_send = dirtied;
    }
    /* stop-and-copy runs unlimited */
    res->total_ms += (to_send * 1000 + m->link - 1) / m->link;
}

START_TEST(test_simulation)
{
    static const TestSimModel models[] = {
        /* saturated working set, converges at max only */
        { T_GIB, 256 * T_MIB, 100 * T_MIB, 1250000000, 300 },
        /* idle guest */
        { T_GIB, 0, 0, 1250000000, 300 },
        /* dirties faster than max: never converges */
        { T_GIB, 512 * T_MIB, T_GIB, 1250000000, 300 },
        /* link slower than min */
        { T_GIB, 64 * T_MIB, 4 * T_MIB, 8 * T_MIB, 300 },
        /* light load */
        { 4 * T_GIB, 32 * T_MIB, 8 * T_MIB, 1250000000, 300 },
    };
    static const MigGovernorPolicy policies[] = {
        MIG_GOVERNOR_POLICY_DIRTY_FACTOR,
        MIG_GOVERNOR_POLICY_XEN_ADAPTIVE,
    };
    MigGovernorConfig c;
    TestSimResult res;
    size_t i, j;
    int k;

    for (i = 0; i < G_N_ELEMENTS(models); i++) {
        for (j = 0; j < G_N_ELEMENTS(policies); j++) {
            for (k = 0; k < 4; k++) {
                c = test_config(policies[j]);
                c.ram_bytes = models[i].ram;
                c.exclude_first_round = k & 1;
                c.remaining_threshold = k & 2 ? 0 : c.remaining_threshold;
                test_sim_run(&c, &models[i], &res);
                ck_assert_uint_ge(res.rounds, 1);
                ck_assert_uint_le(res.rounds, c.max_rounds);
                ck_assert_int_ne(res.reason, MIG_GOVERNOR_STOP_NONE);
                ck_assert_uint_ge(res.lowest_limit, c.min_bandwidth);
                ck_assert_uint_le(res.highest_limit, c.max_bandwidth);
            }
        }

        /* none never changes the limit */
        c = test_config(MIG_GOVERNOR_POLICY_NONE);
        c.ram_bytes = models[i].ram;
        test_sim_run(&c, &models[i], &res);
        ck_assert_uint_eq(res.lowest_limit, c.max_bandwidth);
        ck_assert_uint_eq(res.highest_limit, c.max_bandwidth);
        ck_assert_int_eq(res.reason, MIG_GOVERNOR_STOP_NONE);
    }
}
END_TEST

/*
 * The saturated working set of the design notes: the pure rule drops
 * to a fraction of the rate after round 1 (first-round credit); the
 * improved rule keeps the rate and finishes sooner.
 */
START_TEST(test_first_round_credit)
{
    static const TestSimModel m = {
        T_GIB, 256 * T_MIB, 100 * T_MIB, 1250000000, 300
    };
    MigGovernorConfig c = test_config(MIG_GOVERNOR_POLICY_DIRTY_FACTOR);
    TestSimResult pure, improved;

    test_sim_run(&c, &m, &pure);
    c.exclude_first_round = true;
    test_sim_run(&c, &m, &improved);

    ck_assert_uint_lt(pure.second_limit, c.max_bandwidth / 4);
    ck_assert_uint_eq(improved.second_limit, c.initial_bandwidth);
    ck_assert_uint_ge(improved.lowest_limit, c.max_bandwidth / 2);
    ck_assert_uint_lt(improved.total_ms, pure.total_ms);
    ck_assert_uint_le(improved.rounds, pure.rounds);
    ck_assert_int_eq(improved.reason,
                     MIG_GOVERNOR_STOP_REMAINING_BELOW_THRESHOLD);
}
END_TEST

static Suite *governor_suite(void)
{
    Suite *s = suite_create("governor");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_target_factor);
    tcase_add_test(tc, test_target_threshold);
    tcase_add_test(tc, test_init);
    tcase_add_test(tc, test_first_round);
    tcase_add_test(tc, test_factor_below_target);
    tcase_add_test(tc, test_factor_above_target);
    tcase_add_test(tc, test_denominator_nonpositive);
    tcase_add_test(tc, test_clamps);
    tcase_add_test(tc, test_stop_max_rounds);
    tcase_add_test(tc, test_stop_remaining);
    tcase_add_test(tc, test_stop_qemu_threshold);
    tcase_add_test(tc, test_zero_duration);
    tcase_add_test(tc, test_zero_bandwidth);
    tcase_add_test(tc, test_xen_adaptive);
    tcase_add_test(tc, test_policy_none);
    tcase_add_test(tc, test_strings);
    tcase_add_test(tc, test_milli);
    tcase_add_test(tc, test_simulation);
    tcase_add_test(tc, test_first_round_credit);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(governor_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
