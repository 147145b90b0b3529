package dev.vmbench.fio;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One job section × direction of a run, over all VMs of the group. Throughput adds up over VMs (and is never
 * summed across job sections: stonewalled sections run one after another); latency is reported for the worst VM
 * and the median VM, and as the group's own percentiles from the VMs' merged json+ histograms; fairness is the
 * coefficient of variation of per-VM IOPS (0 = every VM got the same).
 */
public record GroupMetrics(String job, String direction, int vms, double iops, double bandwidthBytes,
        double worstClatP99Ns, double medianClatP99Ns, double iopsCv, double mergedClatP50Ns, double mergedClatP99Ns,
        double mergedClatP999Ns) {

    /** {@code rand-read read}: the key a baseline matches on. */
    public String key() {
        return job + " " + direction;
    }

    /**
     * The group's total IOPS over what ran at the same time: summed over VMs, job sections and directions within
     * each phase (sections between stonewalls run together), the busiest phase — never a sum across phases that
     * ran one after another. fdatasync counts ({@code sync}) are not I/Os and are left out.
     */
    public static double peakIops(FioRun run) {
        return phaseTotal(run, busiestPhase(run), FioMetrics::iops);
    }

    /**
     * The group's bandwidth in the phase {@link #peakIops} reports, every section and direction of it added (a 70/30
     * mix moves its reads and its writes): the two figures describe the same phase.
     */
    public static double peakBandwidthBytes(FioRun run) {
        return phaseTotal(run, busiestPhase(run), FioMetrics::bandwidthBytes);
    }

    /** The phase with the most I/Os per second, summed over VMs, sections and directions (-1 when none did I/O). */
    private static int busiestPhase(FioRun run) {
        Map<Integer, Double> byPhase = new java.util.HashMap<>();
        run.metrics().stream().filter(m -> !m.direction().equals("sync"))
                .forEach(m -> byPhase.merge(m.phase(), m.iops(), Double::sum));
        return byPhase.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(-1);
    }

    private static double phaseTotal(FioRun run, int phase, java.util.function.ToDoubleFunction<FioMetrics> figure) {
        return run.metrics().stream().filter(m -> !m.direction().equals("sync") && m.phase() == phase)
                .mapToDouble(figure).sum();
    }

    public static List<GroupMetrics> of(FioRun run) {
        // the group's own percentiles, from every VM's json+ bins added up (NaN where fio wrote plain JSON)
        Map<String, LatencyHistogram> merged = LatencyHistogram.merged(run);
        LatencyHistogram none = new LatencyHistogram(Map.of());
        Map<String, List<FioMetrics>> byJob = new LinkedHashMap<>();
        for (FioMetrics m : run.metrics()) {
            byJob.computeIfAbsent(m.job() + " " + m.direction(), k -> new ArrayList<>()).add(m);
        }
        List<GroupMetrics> groups = new ArrayList<>();
        byJob.forEach((key, ms) -> {
            double[] iops = ms.stream().mapToDouble(FioMetrics::iops).toArray();
            double mean = java.util.Arrays.stream(iops).average().orElse(0);
            double variance = java.util.Arrays.stream(iops).map(v -> (v - mean) * (v - mean)).average().orElse(0);
            double[] p99 = ms.stream().mapToDouble(FioMetrics::clatP99Ns).sorted().toArray();
            LatencyHistogram h = merged.getOrDefault(key, none);
            groups.add(new GroupMetrics(ms.get(0).job(), ms.get(0).direction(), ms.size(),
                    java.util.Arrays.stream(iops).sum(), ms.stream().mapToDouble(FioMetrics::bandwidthBytes).sum(),
                    p99[p99.length - 1], p99[p99.length / 2], mean == 0 ? 0 : Math.sqrt(variance) / mean,
                    h.percentile(50), h.percentile(99), h.percentile(99.9)));
        });
        return groups;
    }
}
