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
 * interval logs.
 */
public record FioRun(
        VmGroupSpec group,
        FioPermutation permutation,
        Map<String, String> rawJson,
        List<FioMetrics> metrics,
        RunTimings timings,
        Provisioning provisioning,
        Samples samples,
        TimeSeries series) {

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
    }

    @Override
    public String toString() {
        return group + " / " + permutation + " (" + rawJson.size() + " VMs)";
    }
}
