package dev.vmbench.fio;

import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One permutation run on every VM of a group: the raw fio JSON of each VM (as received), the metrics
 * parsed from it, where the time went, how long the group took to provision, — when the permutation ran
 * several times — how the samples varied (this run being their median), and its course over time from fio's
 * interval logs. {@code asked} is what the job the harness installed asks of each section (section → read, write,
 * trim), so a direction a VM never did is seen even though fio's JSON lists only what it did; empty when unknown
 * (then each VM's own JSON options say what it was asked).
 */
public record FioRun(
        VmGroupSpec group,
        FioPermutation permutation,
        Map<String, String> rawJson,
        List<FioMetrics> metrics,
        RunTimings timings,
        Provisioning provisioning,
        Samples samples,
        TimeSeries series,
        Map<String, java.util.Set<String>> asked) {

    /** A run whose job's directions are read from fio's own JSON. */
    public FioRun(VmGroupSpec group, FioPermutation permutation, Map<String, String> rawJson, List<FioMetrics> metrics,
            RunTimings timings, Provisioning provisioning, Samples samples, TimeSeries series) {
        this(group, permutation, rawJson, metrics, timings, provisioning, samples, series, Map.of());
    }

    /** A run without interval logs. */
    public FioRun(VmGroupSpec group, FioPermutation permutation, Map<String, String> rawJson, List<FioMetrics> metrics,
            RunTimings timings, Provisioning provisioning, Samples samples) {
        this(group, permutation, rawJson, metrics, timings, provisioning, samples, TimeSeries.NONE);
    }

    /** A run of one sample. */
    public FioRun(VmGroupSpec group, FioPermutation permutation, Map<String, String> rawJson, List<FioMetrics> metrics,
            RunTimings timings, Provisioning provisioning) {
        this(group, permutation, rawJson, metrics, timings, provisioning, Samples.ONE);
    }

    /** A run with nothing known of its group's provisioning. */
    public FioRun(VmGroupSpec group, FioPermutation permutation, Map<String, String> rawJson, List<FioMetrics> metrics,
            RunTimings timings) {
        this(group, permutation, rawJson, metrics, timings, Provisioning.NONE);
    }

    public FioRun {
        rawJson = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(rawJson));
        metrics = List.copyOf(metrics);
        asked = Map.copyOf(asked);
    }

    /**
     * What this run did not measure although its job asked for it, and every error fio counted: per VM × job section
     * × direction asked for, no completed I/O (in any of the section's clones) is one sentence; so is each of
     * {@link FioOutput#errors()}. Empty when every VM did all it was asked, without an error.
     */
    public List<String> shortfalls() {
        List<String> found = new java.util.ArrayList<>();
        rawJson.forEach((vm, raw) -> {
            FioOutput output = FioOutput.parse(vm, raw);
            Map<String, java.util.Set<String>> wanted = asked.isEmpty() ? output.askedByOptions() : asked;
            wanted.forEach((section, directions) -> {
                for (String direction : new java.util.TreeSet<>(directions)) {
                    long ios = metrics.stream().filter(m -> m.vm().equals(vm) && m.direction().equals(direction)
                            && (m.job().equals(section) || m.job().startsWith(section + "#")))
                            .mapToLong(FioMetrics::ios).sum();
                    if (ios == 0) {
                        found.add("VM " + vm + " completed no " + direction + " I/O in job section " + section
                                + ", which asks for " + String.join(" and ", new java.util.TreeSet<>(directions)));
                    }
                }
            });
            found.addAll(output.errors());
        });
        return found;
    }

    @Override
    public String toString() {
        return group + " / " + permutation + " (" + rawJson.size() + " VMs)";
    }
}
