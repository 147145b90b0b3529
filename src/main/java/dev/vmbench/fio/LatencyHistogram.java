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

    /**
     * Per job section and direction ({@code rand-read read}), the VMs' histograms added up — only where every VM
     * of the run has one (a percentile of some of the VMs' I/Os would not be the group's).
     */
    public static Map<String, LatencyHistogram> merged(FioRun run) {
        Map<String, Map<Long, Long>> sums = new java.util.LinkedHashMap<>();
        Map<String, Integer> contributors = new java.util.HashMap<>();
        run.rawJson().forEach((vm, raw) -> {
            Map<String, Map<Long, Long>> bins;
            try {
                bins = FioOutput.parse(vm, raw).bins();
            } catch (FioOutputException unreadable) {
                return; // no histogram from this VM: its keys stay incomplete below
            }
            bins.forEach((key, counts) -> {
                contributors.merge(key, 1, Integer::sum);
                counts.forEach((ns, n) -> sums.computeIfAbsent(key, k -> new TreeMap<>()).merge(ns, n, Long::sum));
            });
        });
        Map<String, LatencyHistogram> merged = new java.util.LinkedHashMap<>();
        sums.forEach((key, counts) -> {
            if (contributors.get(key) == run.rawJson().size()) {
                merged.put(key, new LatencyHistogram(counts));
            }
        });
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
