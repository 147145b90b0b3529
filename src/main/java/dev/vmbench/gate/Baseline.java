package dev.vmbench.gate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vmbench.fio.FioRun;
import dev.vmbench.fio.GroupMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An earlier run to compare with: its {@code summary.json} (or the run folder holding it). A permutation
 * regresses when, for any job section × direction, total IOPS fell by more than {@code maxThroughputDrop} or
 * worst-VM p99 rose by more than {@code maxLatencyRise} (fractions: 0.10 = 10 %). {@link #NONE} compares nothing.
 */
public final class Baseline {

    /** No baseline: every comparison passes. */
    public static final Baseline NONE = new Baseline("none", Map.of(), 0, 0);

    private final String source;
    private final Map<String, Map<String, double[]>> permutations;
    private final double maxThroughputDrop;
    private final double maxLatencyRise;

    private Baseline(String source, Map<String, Map<String, double[]>> permutations, double maxThroughputDrop,
            double maxLatencyRise) {
        this.source = source;
        this.permutations = permutations;
        this.maxThroughputDrop = maxThroughputDrop;
        this.maxLatencyRise = maxLatencyRise;
    }

    /**
     * Reads a run's results.
     *
     * @throws IllegalArgumentException naming the path, what is wrong and the fix
     */
    public static Baseline load(Path path, double maxThroughputDrop, double maxLatencyRise) {
        return load(path, maxThroughputDrop, maxLatencyRise, Map.of());
    }

    /**
     * Reads an earlier vmbench run, or the results of the bash suite vmbench replaces (its results folder or its
     * results CSV), whose pool aliases {@code poolAliases} maps to StorageClasses.
     *
     * @throws IllegalArgumentException naming the path, what is wrong and the fix
     */
    public static Baseline load(Path path, double maxThroughputDrop, double maxLatencyRise,
            Map<String, String> poolAliases) {
        Path file = Files.isDirectory(path) ? path.resolve("summary.json") : path;
        // no vmbench summary where one would be, and the bash suite's CSV or results tree instead
        if (!Files.isRegularFile(path.resolve("summary.json")) && BashSuiteResults.isOne(path)) {
            return new Baseline(path + " (bash suite)", BashSuiteResults.read(path, poolAliases), maxThroughputDrop,
                    maxLatencyRise);
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("Baseline [" + path + "] has no summary.json. Fix: point "
                    + "-Dvmbench.baseline at an earlier run's folder (target/vmbench/<run-id>) or its summary.json, or "
                    + "at the bash suite's results folder or results-<RUN_ID>.csv.");
        }
        JsonNode summary;
        try {
            summary = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("Baseline [" + file + "] is not valid JSON: "
                    + e.getMessage().lines().findFirst().orElse("") + ". Fix: use a summary.json written by vmbench.");
        }
        // summary.json holds {"run", "status", "permutations": [...]}; early versions held the list alone
        JsonNode entries = summary.isArray() ? summary : summary.path("permutations");
        if (!entries.isArray()) {
            throw new IllegalArgumentException("Baseline [" + file + "] is not a vmbench summary (expected "
                    + "\"permutations\"). Fix: use a summary.json written by vmbench.");
        }
        Map<String, Map<String, double[]>> permutations = new HashMap<>();
        for (JsonNode entry : entries) {
            if (!entry.has("jobs")) {
                continue; // a permutation that broke or was skipped measured nothing to compare with
            }
            Map<String, double[]> jobs = new HashMap<>();
            for (JsonNode job : entry.path("jobs")) {
                // {iops, worst p99, bandwidth, and the range of the baseline's samples (NaN with one sample)}
                jobs.put(job.path("job").asText() + " " + job.path("direction").asText(),
                        new double[] {job.path("iops").asDouble(), job.path("worstClatP99Ns").asDouble(),
                            job.path("bandwidthBytes").asDouble(), job.path("iopsMin").asDouble(Double.NaN),
                            job.path("iopsMax").asDouble(Double.NaN), job.path("worstClatP99NsMin").asDouble(Double.NaN),
                            job.path("worstClatP99NsMax").asDouble(Double.NaN)});
            }
            permutations.put(entry.path("group").asText() + " / " + entry.path("permutation").asText(), jobs);
        }
        return new Baseline(file.toString(), permutations, maxThroughputDrop, maxLatencyRise);
    }

    /**
     * The tests of {@code tests} ({@code "<group> / <permutation>"}, as a run names them) this baseline holds no
     * numbers for, so they are not compared. None compared at all is no comparison: a gate with a baseline that
     * matches nothing would pass every run without a word.
     *
     * @throws IllegalArgumentException when the baseline holds none of {@code tests}, naming what it holds and the fix
     */
    public List<String> notCompared(java.util.Collection<String> tests) {
        if (isNone()) {
            return List.of();
        }
        List<String> missing = tests.stream().filter(t -> !permutations.containsKey(t)).toList();
        if (!tests.isEmpty() && missing.size() == tests.size()) {
            java.util.Set<String> pools = new java.util.TreeSet<>();
            java.util.SortedSet<String> held = new java.util.TreeSet<>(permutations.keySet());
            held.forEach(key -> pools.add(key.substring(0, key.indexOf(' '))));
            java.util.Set<String> runPools = new java.util.TreeSet<>();
            tests.forEach(key -> runPools.add(key.substring(0, key.indexOf(' '))));
            boolean bash = source.endsWith("(bash suite)");
            throw new IllegalArgumentException("Baseline [" + source + "] shares no test with this run, so nothing "
                    + "would be compared and no regression could be found: it holds pool(s) " + pools + " and "
                    + held.size() + " test(s) " + sample(held) + ", this run has pool(s) " + runPools + " and tests "
                    + sample(new java.util.TreeSet<>(tests)) + ". Fix: " + (bash && !pools.equals(runPools)
                            ? "map the bash suite's pool aliases to StorageClasses with -Dvmbench.baselinePools="
                            + pools.stream().map(a -> a + "=<StorageClass>").collect(java.util.stream.Collectors
                                    .joining(",")) + ", or "
                            : "") + "run the matrix the baseline measured (the same pools, VM sizes, PVC sizes, "
                    + "concurrency, profiles and block sizes), or leave out -Dvmbench.baseline.");
        }
        return missing;
    }

    private static String sample(java.util.SortedSet<String> keys) {
        return keys.size() <= 3 ? keys.toString() : "[" + String.join(", ", keys.stream().limit(3).toList())
                + ", … " + (keys.size() - 3) + " more]";
    }

    /** Every regression of {@code run}, as {@code rand-read read IOPS 1200 vs 2000 (-40.0 %, allowed -10 %)}. */
    public List<String> regressions(FioRun run) {
        Map<String, double[]> before = permutations.get(run.group() + " / " + run.permutation());
        List<String> found = new ArrayList<>();
        if (before != null) {
            for (GroupMetrics now : GroupMetrics.of(run)) {
                regressed(now.key(), new double[] {now.iops(), now.worstClatP99Ns(), now.bandwidthBytes()},
                        before.get(now.key()), found);
            }
        }
        return found;
    }

    /**
     * Every regression of a later run's results (read like a baseline) against this one, per permutation both ran,
     * each prefixed with its permutation.
     */
    public List<String> regressions(Baseline later) {
        List<String> found = new ArrayList<>();
        both(later, (permutation, job, now, then) -> {
            List<String> here = new ArrayList<>();
            regressed(job, now, then, here);
            here.forEach(r -> found.add(permutation + ": " + r));
        });
        return found;
    }

    private void regressed(String job, double[] now, double[] then, List<String> found) {
        if (then == null) {
            return;
        }
        double iopsChange = then[0] == 0 ? 0 : (now[0] - then[0]) / then[0];
        // a baseline of several samples: a change inside its own spread is noise, whatever its size
        boolean belowSpread = then.length < 7 || Double.isNaN(then[3]) || now[0] < then[3];
        boolean aboveSpread = then.length < 7 || Double.isNaN(then[6]) || now[1] > then[6];
        if (iopsChange < -maxThroughputDrop && belowSpread) {
            found.add(String.format(Locale.ROOT, "%s IOPS %.0f vs %.0f (%+.1f %%, allowed -%.0f %%)", job, now[0],
                    then[0], iopsChange * 100, maxThroughputDrop * 100));
        }
        double p99Change = then[1] == 0 ? 0 : (now[1] - then[1]) / then[1];
        if (p99Change > maxLatencyRise && aboveSpread) {
            found.add(String.format(Locale.ROOT, "%s p99 %.2f ms vs %.2f ms (%+.1f %%, allowed +%.0f %%)", job,
                    now[1] / 1e6, then[1] / 1e6, p99Change * 100, maxLatencyRise * 100));
        }
    }

    /**
     * This run next to the baseline, one row per permutation × job section × direction both ran:
     * {@code [permutation, job direction, iops now vs then, MiB/s now vs then, p99 now vs then]}.
     */
    public List<String[]> compare(List<FioRun> runs) {
        List<String[]> rows = new ArrayList<>();
        for (FioRun run : runs) {
            Map<String, double[]> before = permutations.get(run.group() + " / " + run.permutation());
            if (before == null) {
                continue;
            }
            for (GroupMetrics now : GroupMetrics.of(run)) {
                double[] then = before.get(now.key());
                if (then != null) {
                    rows.add(row(run.group() + " / " + run.permutation(), now.key(),
                            new double[] {now.iops(), now.worstClatP99Ns(), now.bandwidthBytes()}, then));
                }
            }
        }
        return rows;
    }

    /** A later run's results (read like a baseline) next to this one, as {@link #compare(List)} has them. */
    public List<String[]> compare(Baseline later) {
        List<String[]> rows = new ArrayList<>();
        both(later, (permutation, job, now, then) -> rows.add(row(permutation, job, now, then)));
        return rows;
    }

    private interface Pair {
        void accept(String permutation, String job, double[] now, double[] then);
    }

    /** Every permutation × job both this and {@code later} hold, in a stable order. */
    private void both(Baseline later, Pair pair) {
        new java.util.TreeMap<>(later.permutations).forEach((permutation, jobs) -> {
            Map<String, double[]> before = permutations.get(permutation);
            if (before != null) {
                new java.util.TreeMap<>(jobs).forEach((job, now) -> {
                    if (before.containsKey(job)) {
                        pair.accept(permutation, job, now, before.get(job));
                    }
                });
            }
        });
    }

    private static String[] row(String permutation, String job, double[] now, double[] then) {
        return new String[] {permutation, job, delta(now[0], then[0], "%.0f"),
            delta(now[2] / 1048576, then[2] / 1048576, "%.1f"), delta(now[1] / 1e6, then[1] / 1e6, "%.2f")};
    }

    private static String delta(double now, double then, String format) {
        double percent = then == 0 ? 0 : (now - then) / then * 100;
        // sums of the same numbers in another order differ in the last bits: no "-0.0 %" for an unchanged value
        String change = then == 0 ? "n/a"
                : String.format(Locale.ROOT, "%+.1f %%", Math.abs(percent) < 0.05 ? 0 : percent);
        return String.format(Locale.ROOT, format + " vs " + format + " (%s)", now, then, change);
    }

    public boolean isNone() {
        return this == NONE;
    }

    @Override
    public String toString() {
        return isNone() ? "Baseline[none]" : "Baseline[" + source + "]";
    }
}
