package dev.vmbench.fio;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a permutation run several times on the same group varied ({@code vmbench.samples}): the number of samples,
 * and per job section × direction the range of the group's IOPS and of its worst VM's p99 across them. A run with
 * one sample has no range.
 *
 * @param range job key ({@code rand-read read}) → {iops min, iops max, worst p99 min, worst p99 max}
 */
public record Samples(int count, Map<String, double[]> range) {

    public static final Samples ONE = new Samples(1, Map.of());

    public Samples {
        range = Map.copyOf(range);
    }

    /**
     * The sample a test judges, with the spread of all of them: the median by the group's total IOPS (of an even
     * count, the lower middle one — the worse of the two, so a lucky sample never carries a test). Its timings carry
     * the widest start spread and the lowest overlap of all samples.
     */
    public static FioRun median(List<FioRun> samples) {
        if (samples.size() == 1) {
            return samples.get(0);
        }
        List<FioRun> byIops = samples.stream().sorted(Comparator.comparingDouble(GroupMetrics::peakIops)).toList();
        FioRun median = byIops.get((byIops.size() - 1) / 2);
        Map<String, double[]> range = new LinkedHashMap<>();
        for (FioRun sample : samples) {
            for (GroupMetrics g : GroupMetrics.of(sample)) {
                double[] r = range.computeIfAbsent(g.key(), k -> new double[] {Double.MAX_VALUE, -Double.MAX_VALUE,
                    Double.MAX_VALUE, -Double.MAX_VALUE});
                r[0] = Math.min(r[0], g.iops());
                r[1] = Math.max(r[1], g.iops());
                r[2] = Math.min(r[2], g.worstClatP99Ns());
                r[3] = Math.max(r[3], g.worstClatP99Ns());
            }
        }
        // every sample is a measurement: the judged run carries the widest start spread and the least overlap of
        // them all, so min-overlap holds for each one, not only for the median
        RunTimings t = median.timings();
        RunTimings together = new RunTimings(t.swap(), t.prefill(), samples.stream().map(r -> r.timings().startSpread())
                .max(Comparator.naturalOrder()).orElseThrow(), t.fio(), t.collect(), t.total(), t.reconnects(),
                samples.stream().mapToDouble(r -> r.timings().overlapPct()).reduce(Double.POSITIVE_INFINITY,
                        (a, b) -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b)));
        return new FioRun(median.group(), median.permutation(), median.rawJson(), median.metrics(), together,
                median.provisioning(), new Samples(samples.size(), range), median.series(), median.asked());
    }

    /** The spread of the group's IOPS of one job key across samples, relative to the judged sample's: (max − min) ÷ it. */
    public double iopsSpread(String job, double judged) {
        double[] r = range.get(job);
        return r == null || judged == 0 ? 0 : (r[1] - r[0]) / judged;
    }
}
