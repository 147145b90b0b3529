package dev.vmbench.fio;

import java.util.Map;
import java.util.TreeMap;

/**
 * A completion-latency distribution: fio's json+ bins (latency in ns → I/Os), merged over the VMs of a group, so
 * the group's percentiles are the group's own — the p99 of every I/O the group did, not the worst VM's p99.
 */
public record LatencyHistogram(Map<Long, Long> bins) {

    public LatencyHistogram {
        bins = java.util.Collections.unmodifiableMap(new TreeMap<>(bins));
    }

    /** Per job section and direction ({@code rand-read read}), the VMs' histograms added up. */
    public static Map<String, LatencyHistogram> merged(FioRun run) {
        Map<String, Map<Long, Long>> sums = new java.util.LinkedHashMap<>();
        run.rawJson().forEach((vm, raw) -> FioOutput.parse(vm, raw).bins().forEach((key, counts) ->
                counts.forEach((ns, n) -> sums.computeIfAbsent(key, k -> new TreeMap<>()).merge(ns, n, Long::sum))));
        Map<String, LatencyHistogram> merged = new java.util.LinkedHashMap<>();
        sums.forEach((key, counts) -> merged.put(key, new LatencyHistogram(counts)));
        return merged;
    }

    public long count() {
        return bins.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * The latency below which {@code percent} % of the I/Os completed, as fio reads its own bins: the first bin
     * whose running total reaches that share. NaN for an empty histogram.
     */
    public double percentile(double percent) {
        long total = count();
        if (total == 0) {
            return Double.NaN;
        }
        double wanted = total * percent / 100;
        long running = 0;
        long last = 0;
        for (Map.Entry<Long, Long> bin : bins.entrySet()) {
            running += bin.getValue();
            last = bin.getKey();
            if (running >= wanted) {
                return last;
            }
        }
        return last;
    }
}
