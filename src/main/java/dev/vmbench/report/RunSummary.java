package dev.vmbench.report;

import dev.vmbench.fio.FioMetrics;
import dev.vmbench.fio.FioRun;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The run at a glance, per StorageClass: how many tests passed, failed (missed a threshold) or broke, and the
 * median over its permutations of total IOPS and of worst-VM p99 latency — ranked with the fewest misses and
 * then the highest IOPS first, so several StorageClasses tested together can be compared.
 */
public final class RunSummary {

    private final Map<String, Pool> pools = new LinkedHashMap<>();

    /** One StorageClass's tally. */
    public record Row(String pool, int passed, int failed, int broken, double medianIops, double medianP99Ms) {
    }

    private static final class Pool {
        int passed;
        int failed;
        int broken;
        final List<Double> iops = new ArrayList<>();
        final List<Double> p99Ms = new ArrayList<>();
    }

    public synchronized void add(FioRun run) {
        Pool pool = pools.computeIfAbsent(run.group().pool(), k -> new Pool());
        pool.iops.add(run.metrics().stream().mapToDouble(FioMetrics::iops).sum());
        pool.p99Ms.add(run.metrics().stream().mapToDouble(FioMetrics::clatP99Ns).max().orElse(0) / 1_000_000);
    }

    public synchronized void outcome(String pool, String outcome) {
        Pool p = pools.computeIfAbsent(pool, k -> new Pool());
        switch (outcome) {
            case "passed" -> p.passed++;
            case "failed" -> p.failed++;
            default -> p.broken++;
        }
    }

    public synchronized List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        pools.forEach((name, p) -> rows.add(new Row(name, p.passed, p.failed, p.broken, median(p.iops), median(p.p99Ms))));
        rows.sort(Comparator.comparingInt((Row r) -> r.failed() + r.broken()).thenComparing(Row::medianIops,
                Comparator.reverseOrder()));
        return rows;
    }

    public synchronized boolean allPassed() {
        return pools.values().stream().allMatch(p -> p.failed == 0 && p.broken == 0);
    }

    public String html(String runId) {
        StringBuilder html = new StringBuilder("<html><head><meta charset='utf-8'><title>vmbench run " + runId
                + "</title></head><body style='font-family:sans-serif'><h2>vmbench run " + runId + "</h2>"
                + "<table border='1' cellpadding='5' style='border-collapse:collapse'><tr><th>rank</th>"
                + "<th>StorageClass</th><th>passed</th><th>failed (missed a threshold)</th><th>broken</th>"
                + "<th>median total IOPS</th><th>median worst p99 (ms)</th></tr>");
        List<Row> rows = rows();
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            html.append(String.format(Locale.ROOT, "<tr><td>%d</td><td>%s</td><td>%d</td><td>%d</td><td>%d</td>"
                    + "<td>%.0f</td><td>%.2f</td></tr>", i + 1, Charts.escape(r.pool()), r.passed(), r.failed(),
                    r.broken(), r.medianIops(), r.medianP99Ms()));
        }
        Map<String, double[]> bars = new LinkedHashMap<>();
        rows.forEach(r -> bars.put(r.pool(), new double[] {r.medianIops(), r.medianP99Ms()}));
        return html.append("</table>").append(Charts.bars("median total IOPS by StorageClass", bars, 0, "%.0f"))
                .append(Charts.bars("median worst p99 (ms) by StorageClass", bars, 1, "%.2f"))
                .append("</body></html>").toString();
    }

    private static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }
}
