package dev.vmbench.report;

import dev.vmbench.fio.FioMetrics;
import dev.vmbench.fio.FioRun;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Inline-SVG bar charts, readable without scripts or a server: per group, total IOPS (all VMs) and worst-VM
 * p99 completion latency for every permutation × job section × direction.
 */
public final class Charts {

    private static final int BAR_HEIGHT = 18;
    private static final int LABEL_WIDTH = 300;
    private static final int BAR_WIDTH = 360;

    private Charts() {
    }

    /** One HTML page with two charts for the group's runs. */
    public static String group(String title, List<FioRun> runs) {
        Map<String, double[]> rows = new LinkedHashMap<>();
        for (FioRun run : runs) {
            Map<String, List<FioMetrics>> byJob = new LinkedHashMap<>();
            for (FioMetrics m : run.metrics()) {
                byJob.computeIfAbsent(run.permutation() + " · " + m.job() + " " + m.direction(), k -> new ArrayList<>())
                        .add(m);
            }
            byJob.forEach((label, metrics) -> rows.put(label, new double[] {
                    metrics.stream().mapToDouble(FioMetrics::iops).sum(),
                    metrics.stream().mapToDouble(FioMetrics::clatP99Ns).max().orElse(0) / 1_000_000}));
        }
        return "<html><head><meta charset='utf-8'><title>" + escape(title) + "</title></head>"
                + "<body style='font-family:sans-serif'><h3>" + escape(title) + "</h3>"
                + bars("IOPS, all VMs", rows, 0, "%.0f") + bars("p99 completion latency, worst VM (ms)", rows, 1, "%.2f")
                + "</body></html>";
    }

    /**
     * A group's latency distribution for one job section and direction: the merged histogram's I/Os per
     * power-of-two latency bucket (up to 1 µs, 2 µs, 4 µs …), with the group's p50, p99 and p99.9 in the caption.
     */
    public static String histogram(String title, dev.vmbench.fio.LatencyHistogram histogram) {
        Map<Integer, Long> buckets = new java.util.TreeMap<>();
        histogram.bins().forEach((ns, count) -> buckets.merge(64 - Long.numberOfLeadingZeros(Math.max(1, ns - 1)),
                count, Long::sum));
        Map<String, double[]> rows = new java.util.LinkedHashMap<>();
        buckets.forEach((power, count) -> rows.put("≤ " + latency(Math.pow(2, power)), new double[] {count}));
        return bars(String.format(Locale.ROOT, "%s — %d I/Os, p50 %s, p99 %s, p99.9 %s", title, histogram.count(),
                latency(histogram.percentile(50)), latency(histogram.percentile(99)),
                latency(histogram.percentile(99.9))), rows, 0, "%.0f");
    }

    private static String latency(double ns) {
        return ns >= 1e6 ? String.format(Locale.ROOT, "%.2f ms", ns / 1e6)
                : String.format(Locale.ROOT, "%.0f µs", Math.max(1, ns / 1e3));
    }

    /** A horizontal bar chart of column {@code index} of {@code rows}. */
    static String bars(String caption, Map<String, double[]> rows, int index, String format) {
        double max = rows.values().stream().mapToDouble(v -> v[index]).max().orElse(1);
        int height = BAR_HEIGHT * rows.size() + 30;
        StringBuilder svg = new StringBuilder(String.format(Locale.ROOT,
                "<figure><figcaption><b>%s</b></figcaption><svg xmlns='http://www.w3.org/2000/svg' width='%d' "
                        + "height='%d' role='img' aria-label='%s'>", escape(caption), LABEL_WIDTH + BAR_WIDTH + 90,
                height, escape(caption)));
        int y = 5;
        for (Map.Entry<String, double[]> row : rows.entrySet()) {
            double value = row.getValue()[index];
            int width = max <= 0 ? 0 : (int) Math.round(BAR_WIDTH * value / max);
            svg.append(String.format(Locale.ROOT, "<text x='%d' y='%d' font-size='12' text-anchor='end'>%s</text>"
                    + "<rect x='%d' y='%d' width='%d' height='%d' fill='%s'/>"
                    + "<text x='%d' y='%d' font-size='12'>" + format + "</text>",
                    LABEL_WIDTH - 6, y + 13, escape(row.getKey()), LABEL_WIDTH, y + 2, Math.max(width, 1),
                    BAR_HEIGHT - 4, index == 0 ? "#4a90d9" : "#d9804a", LABEL_WIDTH + width + 6, y + 13, value));
            y += BAR_HEIGHT;
        }
        return svg.append("</svg></figure>").toString();
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
    }
}
