package dev.vmbench.junit;

import dev.vmbench.cluster.VmGroup;
import dev.vmbench.fio.FioMetrics;
import dev.vmbench.fio.FioRun;
import dev.vmbench.fio.GroupMetrics;
import dev.vmbench.fio.Metric;
import dev.vmbench.gate.FioRunAssert;
import dev.vmbench.matrix.BlockSize;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.profile.Limit;
import dev.vmbench.profile.Limits;
import dev.vmbench.report.AllureReport;
import dev.vmbench.report.Charts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.OptionalInt;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.DynamicTest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many VMs a StorageClass holds within a latency SLA ({@code VmDensityIT}): {@code vmbench.density.profile} on
 * 1, 2, 4 … VMs of one growing group (up to {@code vmbench.density.maxVms}) until a step breaches
 * {@code vmbench.density.p99Sla} on some VM's read or write p99, then bisecting between the last step within it
 * and the first beyond. The group grows (new VMs join the ones already running, their files laid out); a step on
 * fewer VMs than the group has runs on the first ones. Each step is a test (passed within the SLA, failed beyond
 * it); {@code density.csv} and {@code density.json} in the run folder, the chart and the capacity sentence on the
 * last step.
 */
public final class DensitySearch {

    private static final Logger LOG = LoggerFactory.getLogger(DensitySearch.class);

    /**
     * One step: its VM count, the mean IOPS per VM of the busiest phase, the worst read and write p99 of any VM,
     * and whether every VM stayed within the SLA.
     */
    public record Step(int vms, double iopsPerVm, double worstReadP99Ns, double worstWriteP99Ns, boolean withinSla) {
    }

    private final Settings settings;
    private final VmGroupSpec group;
    /** The group, provisioned by the first step that needs it (so its evidence lands in that step's report). */
    private final java.util.function.Supplier<VmGroup> vms;
    private final List<Step> steps = new ArrayList<>();
    private final Duration sla;
    private final int maxVms;
    private boolean broken;

    DensitySearch(Settings settings, VmGroupSpec group, java.util.function.Supplier<VmGroup> vms) {
        this.vms = vms;
        this.settings = settings;
        this.group = group;
        this.sla = settings.config().densityP99Sla();
        this.maxVms = group.concurrency();
    }

    /** The steps as dynamic tests: each next VM count is decided once the step before it has run. */
    public Stream<DynamicTest> steps() {
        Iterator<DynamicTest> iterator = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return DensitySearch.this.next().isPresent();
            }

            @Override
            public DynamicTest next() {
                int count = DensitySearch.this.next().orElseThrow(NoSuchElementException::new);
                return DynamicTest.dynamicTest(settings.config().densityProfile() + " on " + count + " VM"
                        + (count == 1 ? "" : "s"), () -> step(count));
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator, Spliterator.ORDERED), false);
    }

    /**
     * The next VM count: doubling from 1 while every step is within the SLA (up to the maximum), then halfway
     * between the largest count within it and the smallest beyond; none when those are adjacent, the maximum
     * passed, or a step broke.
     */
    synchronized OptionalInt next() {
        return broken ? OptionalInt.empty() : next(steps, maxVms);
    }

    static OptionalInt next(List<Step> steps, int maxVms) {
        if (steps.isEmpty()) {
            return OptionalInt.of(1);
        }
        int within = capacity(steps);
        OptionalInt beyond = steps.stream().filter(s -> !s.withinSla()).mapToInt(Step::vms).min();
        if (beyond.isEmpty()) {
            return within >= maxVms ? OptionalInt.empty() : OptionalInt.of(Math.min(maxVms, within * 2));
        }
        return beyond.getAsInt() - within <= 1 ? OptionalInt.empty() : OptionalInt.of((within + beyond.getAsInt()) / 2);
    }

    /** The largest VM count found within the SLA (0: not even one VM). */
    synchronized int capacity() {
        return capacity(steps);
    }

    static int capacity(List<Step> steps) {
        return steps.stream().filter(Step::withinSla).mapToInt(Step::vms).max().orElse(0);
    }

    private void step(int count) {
        FioPermutation permutation = permutation();
        VmGroupSpec measured = new VmGroupSpec(group.pool(), group.vmSize(), group.pvcSize(), count);
        AllureReport.name(measured, permutation);
        FioRun run;
        try {
            VmGroup vms = this.vms.get();
            if (count > vms.vms().size()) {
                AllureReport.step("grow the group to " + count + " VMs", () -> {
                    vms.grow(count);
                    return null;
                });
            }
            run = vms.run(permutation, count);
            // VMs that did not measure together say nothing about how many the storage holds at once
            FioRunAssert.requireMeasured(run, settings.thresholds().of(measured, permutation));
        } catch (RuntimeException | AssertionError e) {
            synchronized (this) {
                broken = true;
            }
            settings.results().writeOutcome(measured, permutation, "broken", e.getMessage());
            writeSearch();
            throw e;
        }
        Limit limit = new Limit("max-clat-p99", Metric.CLAT_P99, false, sla.toNanos(), written(sla),
                "vmbench.density.p99Sla");
        List<FioRunAssert.Breach> breaches = FioRunAssert.breaches(run, Limits.uniform(List.of(limit)));
        Step step = new Step(count, GroupMetrics.peakIops(run) / count, worst(run, "read"), worst(run, "write"),
                breaches.isEmpty());
        synchronized (this) {
            steps.add(step);
        }
        settings.results().writeDensityStep(run, step.iopsPerVm(), step.worstReadP99Ns(), step.worstWriteP99Ns(),
                step.withinSla());
        String why = breaches.isEmpty() ? null : count + " VMs exceed the SLA: " + breaches.stream()
                .map(FioRunAssert.Breach::message).reduce((a, b) -> a + "; " + b).orElse("");
        settings.results().writeOutcome(measured, permutation, breaches.isEmpty() ? "passed" : "failed", why);
        AllureReport.description(run, breaches.stream().map(b -> AllureReport.cell(b.vm(), b.job(), b.direction(),
                b.metric())).collect(java.util.stream.Collectors.toSet()), breaches.stream()
                .map(FioRunAssert.Breach::message).toList());
        LOG.info("Density {} · {} VMs: {} IOPS per VM, worst p99 read {} write {} — {}", group, count,
                String.format(Locale.ROOT, "%.0f", step.iopsPerVm()), latency(step.worstReadP99Ns()),
                latency(step.worstWriteP99Ns()), step.withinSla() ? "within the SLA" : "beyond the SLA");
        writeSearch();
        if (next().isEmpty()) {
            String chart = Charts.density(group.pool() + " " + group.vmSize() + " " + group.pvcSize() + " · "
                    + permutation, chartRows(), sla.toNanos() / 1e6);
            settings.results().writeDensityChart(group, chart);
            AllureReport.html("density chart " + group.pool(), chart);
            AllureReport.appendDescriptionHtml("<p><b>" + Charts.escape(sentence()) + "</b></p>" + chart);
            LOG.info("Density: {}", sentence());
        }
        if (!breaches.isEmpty()) {
            throw new AssertionError(why);
        }
    }

    /** The workload every step runs: the density profile, at 4k if it takes a block size. */
    private FioPermutation permutation() {
        String profile = settings.config().densityProfile();
        return new FioPermutation(profile, settings.profiles().get(profile).takesBlockSize() ? BlockSize.parse("4k")
                : BlockSize.NATIVE);
    }

    /** One sentence for the summary: {@code ceph-rbd holds 24 VMs at 500 IOPS each within 5 ms p99}. */
    synchronized String sentence() {
        int capacity = capacity();
        String suffix = capacity == maxVms ? " (the most tried: raise vmbench.density.maxVms to look further)" : "";
        if (capacity == 0) {
            return group.pool() + " holds no VM of " + group.vmSize() + " within " + written(sla) + " p99 on "
                    + settings.config().densityProfile();
        }
        double iops = steps.stream().filter(s -> s.vms() == capacity).findFirst().map(Step::iopsPerVm).orElse(0.0);
        return String.format(Locale.ROOT, "%s holds %d VM%s at %.0f IOPS each within %s p99%s", group.pool(), capacity,
                capacity == 1 ? "" : "s", iops, written(sla), suffix);
    }

    /** density.json's entry of this search, rewritten after every step. */
    private synchronized void writeSearch() {
        Map<String, Object> search = new LinkedHashMap<>();
        search.put("group", group.pool() + " " + group.vmSize() + " " + group.pvcSize());
        search.put("profile", settings.config().densityProfile());
        search.put("p99SlaNs", sla.toNanos());
        search.put("maxVms", maxVms);
        search.put("capacityVms", capacity());
        search.put("finished", next().isEmpty() && !broken);
        search.put("broken", broken);
        search.put("sentence", sentence());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Step s : steps) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("vms", s.vms());
            row.put("iopsPerVm", s.iopsPerVm());
            row.put("worstReadP99Ns", s.worstReadP99Ns());
            row.put("worstWriteP99Ns", s.worstWriteP99Ns());
            row.put("withinSla", s.withinSla());
            rows.add(row);
        }
        search.put("steps", rows);
        settings.results().writeDensity(group.slug(), search);
    }

    private synchronized Map<String, double[]> chartRows() {
        Map<String, double[]> rows = new LinkedHashMap<>();
        steps.stream().sorted(java.util.Comparator.comparingInt(Step::vms)).forEach(s -> rows.put(s.vms() + " VMs",
                new double[] {s.iopsPerVm(), Math.max(nanOrZero(s.worstReadP99Ns()), nanOrZero(s.worstWriteP99Ns()))
                        / 1e6}));
        return rows;
    }

    private static double nanOrZero(double v) {
        return Double.isNaN(v) ? 0 : v;
    }

    private static double worst(FioRun run, String direction) {
        return run.metrics().stream().filter(m -> m.direction().equals(direction)).mapToDouble(FioMetrics::clatP99Ns)
                .max().orElse(Double.NaN);
    }

    private static String written(Duration d) {
        return d.toNanos() % 1_000_000 == 0 ? d.toMillis() + " ms" : d.toNanos() / 1000 + " µs";
    }

    private static String latency(double ns) {
        if (Double.isNaN(ns)) {
            return "-";
        }
        return ns >= 1e6 ? String.format(Locale.ROOT, "%.2f ms", ns / 1e6) : String.format(Locale.ROOT, "%.0f µs", ns / 1e3);
    }
}
