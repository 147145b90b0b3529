package dev.vmbench.gate;

import dev.vmbench.fio.FioMetrics;
import dev.vmbench.fio.FioRun;
import dev.vmbench.fio.GroupMetrics;
import dev.vmbench.profile.Limit;
import dev.vmbench.profile.Limits;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.AbstractAssert;

/**
 * AssertJ assertions on a {@link FioRun}. {@link #meets(List)} checks every limit against every VM, job
 * section and direction and reports all breaches in one {@link AssertionError} — a failed test, as opposed
 * to the exceptions of a broken cluster or harness.
 *
 * <pre>{@code
 * FioRunAssert.assertThat(run).meets(thresholds.of(group, permutation))
 *         .doesNotRegressFrom(baseline);
 * }</pre>
 */
public final class FioRunAssert extends AbstractAssert<FioRunAssert, FioRun> {

    private FioRunAssert(FioRun actual) {
        super(actual, FioRunAssert.class);
    }

    public static FioRunAssert assertThat(FioRun actual) {
        return new FioRunAssert(actual);
    }

    /** The same limits for every job section. */
    public FioRunAssert meets(List<Limit> limits) {
        return meets(Limits.uniform(limits));
    }

    /**
     * Fails listing every breach as {@code metric measured vs limit (key from origin) on VM job direction}; a
     * group-level limit (fairness) is judged once per job section × direction over all VMs.
     */
    public FioRunAssert meets(Limits limits) {
        isNotNull();
        if (actual.metrics().isEmpty()) {
            failWithMessage("%s: fio reported no I/O on any VM, so no threshold can pass", actual);
        }
        requireMeasured(actual, limits);
        List<String> breaches = breaches(actual, limits).stream().map(Breach::message).toList();
        if (!breaches.isEmpty()) {
            failWithMessage("%s missed %d threshold(s):%n  - %s", actual, breaches.size(),
                    String.join(System.lineSeparator() + "  - ", breaches));
        }
        return this;
    }

    /**
     * What every study checks before it uses a run's numbers: each VM did all its job asks for without an I/O error
     * (a VM that did nothing in a direction would otherwise drop out of every limit and every sum; an
     * {@link AssertionError}, since the storage did not do it), and the VMs measured together
     * ({@link #requireConcurrent}).
     */
    public static void requireMeasured(FioRun run, Limits limits) {
        List<String> shortfalls = run.shortfalls();
        if (!shortfalls.isEmpty()) {
            throw new AssertionError(String.format("%s did not measure what its job asks for on every VM, so no limit "
                    + "can be judged for them:%n  - %s%nEvery VM must complete I/O in every job section and direction "
                    + "its job asks for, without an I/O error. Fix: see each VM's fio JSON (attached) and 'vmbench-guest "
                    + "diagnose'; a storage that errs or stalls one direction fails this test", run,
                    String.join(System.lineSeparator() + "  - ", shortfalls)));
        }
        requireConcurrent(run, limits);
    }

    /** Unless a thresholds file says otherwise, 95 % of a group's measured window must have every VM measuring. */
    static final double DEFAULT_MIN_OVERLAP = 0.95;

    /**
     * A group whose VMs did not measure together is no concurrent measurement: nothing about the storage can be
     * judged from it, so the test breaks (an {@link IllegalStateException}, not a failed assertion).
     */
    public static void requireConcurrent(FioRun run, Limits limits) {
        Limit limit = limits.all().stream().filter(l -> l.metric() == dev.vmbench.fio.Metric.OVERLAP).findFirst()
                .orElse(null);
        double minimum = limit == null ? DEFAULT_MIN_OVERLAP : limit.value();
        double overlap = run.timings().overlapPct() / 100;
        // NaN (the windows could not be measured) is no proof of concurrency: it fails like a low overlap
        if (!(overlap >= minimum)) {
            throw new IllegalStateException(String.format(java.util.Locale.ROOT, "%s: the VMs did not measure "
                    + "together: every VM was measuring during %.1f %% of the group's measured window, below "
                    + "min-overlap %.0f %% (%s), and their measuring starts spread over %d ms. This is not a "
                    + "concurrent measurement, so it is not judged and its sums are not group throughput. Fix: see "
                    + "start_spread_ms and overlap_pct in timings.csv (a guest that started late or ended early), then "
                    + "run it again", run, overlap * 100, minimum * 100, limit == null ? "the default" : limit.key()
                    + " " + limit.written() + " from " + limit.origin(), run.timings().startSpread().toMillis()));
        }
    }

    /**
     * One missed limit: where ({@code vm} is {@code all} for a group-level limit), which metric, and the sentence
     * that says it.
     */
    public record Breach(String vm, String job, String direction, dev.vmbench.fio.Metric metric, String message) {
    }

    /** Every limit {@code run} misses, in the order {@link #meets(Limits)} lists them. */
    public static List<Breach> breaches(FioRun run, Limits limits) {
        List<Breach> breaches = new ArrayList<>();
        for (GroupMetrics g : GroupMetrics.of(run)) {
            for (Limit limit : limits.forJob(g.job())) {
                if (limit.metric() == dev.vmbench.fio.Metric.IOPS_CV && !g.direction().equals("sync")
                        && !limit.accepts(g.iopsCv())) {
                    breaches.add(new Breach("all", g.job(), g.direction(), limit.metric(), String.format(
                            "%s %s is above the maximum %s (%s %s from %s) across %d VMs job %s %s",
                            limit.metric().spelling(), limit.metric().format(g.iopsCv()),
                            limit.metric().format(limit.value()), limit.key(), limit.written(), limit.origin(), g.vms(),
                            g.job(), g.direction())));
                }
            }
        }
        // provisioning is storage work too: each VM's time to ready, and the group's
        for (Limit limit : limits.all()) {
            if (limit.metric() == dev.vmbench.fio.Metric.VM_READY) {
                run.provisioning().vmReady().forEach((vm, ready) -> {
                    if (!limit.accepts(ready.toNanos())) {
                        breaches.add(new Breach(vm, "provisioning", "-", limit.metric(), String.format(
                                "%s %s is above the maximum %s (%s %s from %s) for VM %s (create to guest ready)",
                                limit.metric().spelling(), limit.metric().format(ready.toNanos()),
                                limit.metric().format(limit.value()), limit.key(), limit.written(), limit.origin(), vm)));
                    }
                });
            } else if (limit.metric() == dev.vmbench.fio.Metric.GROUP_READY && run.provisioning() != dev.vmbench.fio
                    .Provisioning.NONE && !limit.accepts(run.provisioning().groupReady().toNanos())) {
                breaches.add(new Breach("all", "provisioning", "-", limit.metric(), String.format(
                        "%s %s is above the maximum %s (%s %s from %s) for the group of %d VM(s) (create to every "
                                + "guest ready)", limit.metric().spelling(),
                        limit.metric().format(run.provisioning().groupReady().toNanos()),
                        limit.metric().format(limit.value()), limit.key(), limit.written(), limit.origin(),
                        run.provisioning().vmReady().size())));
            }
        }
        // steadiness, per VM over time: its whole job, so only the general limit (not a job section's) applies
        for (Limit limit : limits.all()) {
            if (limit.metric() == dev.vmbench.fio.Metric.IOPS_DRIFT) {
                run.series().iopsDrift().forEach((vm, drift) -> {
                    if (Double.isNaN(drift)) {
                        breaches.add(new Breach(vm, "all", "-", limit.metric(), String.format("%s not measured on VM "
                                + "%s: fewer than %d log intervals of %s in every phase (%s %s from %s). Fix: lengthen "
                                + "vmbench.runtime or shorten vmbench.logInterval", limit.metric().spelling(), vm,
                                dev.vmbench.fio.TimeSeries.MIN_INTERVALS, interval(run.series().interval()),
                                limit.key(), limit.written(), limit.origin())));
                    } else if (!limit.accepts(drift)) {
                        breaches.add(new Breach(vm, "all", "-", limit.metric(), String.format(
                                "%s %s is above the maximum %s (%s %s from %s) on VM %s (coefficient of variation of "
                                        + "its IOPS per %s interval, least steady phase)", limit.metric().spelling(),
                                limit.metric().format(drift), limit.metric().format(limit.value()), limit.key(),
                                limit.written(), limit.origin(), vm, interval(run.series().interval()))));
                    }
                });
                if (run.series().vms().isEmpty()) {
                    breaches.add(new Breach("all", "all", "-", limit.metric(), String.format("%s not measured: fio "
                            + "wrote no interval logs (%s %s from %s needs them; vmbench.logInterval must not be 0)",
                            limit.metric().spelling(), limit.key(), limit.written(), limit.origin())));
                }
            }
        }
        for (FioMetrics m : run.metrics()) {
            for (Limit limit : limits.forJob(m.job())) {
                if (limit.metric().isGroupLevel() || limit.metric().isProvisioning() || limit.metric().isCapability()
                        || !limit.metric().appliesTo(m)) {
                    continue;
                }
                double measured = limit.metric().of(m);
                if (!limit.accepts(measured)) {
                    breaches.add(new Breach(m.vm(), m.job(), m.direction(), limit.metric(), String.format(
                            "%s %s %s %s (%s %s from %s) on VM %s job %s %s", limit.metric().spelling(),
                            Double.isNaN(measured) ? "not measured" : limit.metric().format(measured),
                            limit.minimum() ? "is below the minimum" : "is above the maximum",
                            limit.metric().format(limit.value()), limit.key(), limit.written(), limit.origin(),
                            m.vm(), m.job(), m.direction())));
                }
            }
        }
        return breaches;
    }

    private static String interval(java.time.Duration interval) {
        return interval.toMillisPart() == 0 ? interval.toSeconds() + " s" : interval.toMillis() + " ms";
    }

    /** Fails listing every job section × direction that regressed beyond the baseline's tolerance. */
    public FioRunAssert doesNotRegressFrom(Baseline baseline) {
        isNotNull();
        List<String> regressions = baseline.regressions(actual);
        if (!regressions.isEmpty()) {
            failWithMessage("%s regressed against baseline %s:%n  - %s", actual, baseline,
                    String.join(System.lineSeparator() + "  - ", regressions));
        }
        return this;
    }
}
