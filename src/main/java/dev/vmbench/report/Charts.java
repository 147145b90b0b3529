package dev.vmbench.report;

import dev.vmbench.fio.FioMetrics;
import dev.vmbench.fio.FioRun;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Inline-SVG charts, readable without scripts or a server: per group, total IOPS (all VMs) and worst-VM p99
 * completion latency for every permutation × job section × direction; per test, the merged latency histogram and
 * every VM's IOPS and latency over time.
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

    private static final String[] COLORS = {"#4a90d9", "#d9804a", "#50a060", "#b04ab0", "#c0a020", "#40b0b0",
        "#d04a60", "#7070d0", "#808080", "#a06030"};
    private static final int PLOT_WIDTH = 640;
    private static final int PLOT_HEIGHT = 180;

    /**
     * A run's course over time from fio's interval logs: IOPS and mean completion latency per interval, a line per
     * VM on one clock (seconds since the first interval of any VM), each VM's steadiness (iops-drift) in the legend.
     * Nothing when the run has no logs.
     */
    public static String timeSeries(dev.vmbench.fio.TimeSeries series) {
        if (series.vms().values().stream().allMatch(List::isEmpty)) {
            return "";
        }
        String every = series.interval().toMillisPart() == 0 ? series.interval().toSeconds() + " s"
                : series.interval().toMillis() + " ms";
        return lines("IOPS per VM over time (every " + every + ")", series, dev.vmbench.fio.TimeSeries.Point::iops, 1,
                "%.0f") + lines("mean completion latency per VM over time, ms (every " + every + ")", series,
                dev.vmbench.fio.TimeSeries.Point::clatMeanNs, 1e6, "%.2f");
    }

    private static String lines(String caption, dev.vmbench.fio.TimeSeries series,
            java.util.function.ToDoubleFunction<dev.vmbench.fio.TimeSeries.Point> value, double unit, String format) {
        List<dev.vmbench.fio.TimeSeries.Point> all = series.vms().values().stream().flatMap(List::stream).toList();
        double t0 = all.stream().mapToDouble(dev.vmbench.fio.TimeSeries.Point::epochSeconds).min().orElse(0);
        double span = Math.max(1e-3, all.stream().mapToDouble(dev.vmbench.fio.TimeSeries.Point::epochSeconds).max()
                .orElse(0) - t0);
        double max = all.stream().mapToDouble(value).filter(v -> !Double.isNaN(v)).max().orElse(0) / unit;
        double top = max <= 0 ? 1 : max * 1.05;
        int left = 70;
        int legend = 16 * series.vms().size();
        StringBuilder svg = new StringBuilder(String.format(Locale.ROOT, "<figure><figcaption><b>%s</b></figcaption>"
                + "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' role='img' aria-label='%s'>"
                + "<line x1='%d' y1='10' x2='%d' y2='%d' stroke='#999'/><line x1='%d' y1='%d' x2='%d' y2='%d' "
                + "stroke='#999'/><text x='%d' y='16' font-size='11' text-anchor='end'>" + format + "</text>"
                + "<text x='%d' y='%d' font-size='11' text-anchor='end'>0</text>"
                + "<text x='%d' y='%d' font-size='11' text-anchor='end'>%.1f s</text>",
                escape(caption), left + PLOT_WIDTH + 20, PLOT_HEIGHT + 40 + legend, escape(caption), left, left,
                PLOT_HEIGHT + 10, left, PLOT_HEIGHT + 10, left + PLOT_WIDTH, PLOT_HEIGHT + 10, left - 4, top, left - 4,
                PLOT_HEIGHT + 10, left + PLOT_WIDTH, PLOT_HEIGHT + 24, span));
        Map<String, Double> drift = series.iopsDrift();
        int index = 0;
        for (Map.Entry<String, List<dev.vmbench.fio.TimeSeries.Point>> vm : series.vms().entrySet()) {
            String color = COLORS[index % COLORS.length];
            // a line per stretch: broken where no I/O completed (no latency) and between stonewalled phases
            StringBuilder path = new StringBuilder();
            int phase = -1;
            boolean open = false;
            for (dev.vmbench.fio.TimeSeries.Point p : vm.getValue()) {
                double v = value.applyAsDouble(p) / unit;
                if (Double.isNaN(v) || p.phase() != phase) {
                    open = false;
                    phase = p.phase();
                }
                if (Double.isNaN(v)) {
                    continue;
                }
                double x = left + (p.epochSeconds() - t0) / span * PLOT_WIDTH;
                double y = 10 + PLOT_HEIGHT - v / top * PLOT_HEIGHT;
                path.append(String.format(Locale.ROOT, "%s%.1f %.1f ", open ? "L" : "M", x, y));
                open = true;
            }
            svg.append(String.format(Locale.ROOT, "<path d='%s' fill='none' stroke='%s' stroke-width='1.5'/>",
                    path.toString().strip(), color));
            double d = drift.getOrDefault(vm.getKey(), Double.NaN);
            svg.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='10' height='10' fill='%s'/>"
                    + "<text x='%d' y='%d' font-size='11'>%s — iops-drift %s</text>", left, PLOT_HEIGHT + 32 + 16 * index,
                    color, left + 16, PLOT_HEIGHT + 41 + 16 * index, escape(vm.getKey()),
                    Double.isNaN(d) ? "not measured (too few intervals)" : String.format(Locale.ROOT, "%.1f %%", d * 100)));
            index++;
        }
        return svg.append("</svg></figure>").toString();
    }

    /**
     * A queue-depth sweep: per depth ({@code qd 8} → {IOPS, worst p99 in ms}), the group's IOPS and its worst p99,
     * the target named in the caption.
     */
    public static String queueDepth(String title, Map<String, double[]> byDepth, double targetMs) {
        return "<h4>" + escape(title) + "</h4>" + bars("IOPS, all VMs, by queue depth", byDepth, 0, "%.0f")
                + bars(String.format(Locale.ROOT, "p99 completion latency, worst VM (ms), by queue depth — target %.2f ms",
                        targetMs), byDepth, 1, "%.2f");
    }

    /**
     * A density search: per VM count ({@code 8 VMs} → {IOPS per VM, worst p99 in ms}), the rate each VM got and the
     * worst p99, with the SLA drawn as a line across the latency bars.
     */
    public static String density(String title, Map<String, double[]> byCount, double slaMs) {
        double max = Math.max(slaMs, byCount.values().stream().mapToDouble(v -> v[1]).max().orElse(0));
        String latency = bars(String.format(Locale.ROOT, "p99 completion latency, worst VM (ms), by VM count — SLA "
                + "%.2f ms (line)", slaMs), byCount, 1, "%.2f", max);
        int x = LABEL_WIDTH + (int) Math.round(BAR_WIDTH * slaMs / max);
        int height = BAR_HEIGHT * byCount.size() + 30;
        String line = String.format(Locale.ROOT, "<line x1='%d' y1='0' x2='%d' y2='%d' stroke='#c00' "
                + "stroke-dasharray='4 3'/></svg>", x, x, height);
        return "<h4>" + escape(title) + "</h4>" + bars("IOPS per VM, by VM count", byCount, 0, "%.0f")
                + latency.substring(0, latency.lastIndexOf("</svg>")) + line + "</figure>";
    }

    private static String latency(double ns) {
        return ns >= 1e6 ? String.format(Locale.ROOT, "%.2f ms", ns / 1e6)
                : String.format(Locale.ROOT, "%.0f µs", Math.max(1, ns / 1e3));
    }

    /** A horizontal bar chart of column {@code index} of {@code rows}. */
    static String bars(String caption, Map<String, double[]> rows, int index, String format) {
        return bars(caption, rows, index, format, rows.values().stream().mapToDouble(v -> v[index]).max().orElse(1));
    }

    /** The same, scaled so that {@code max} spans the whole bar width. */
    static String bars(String caption, Map<String, double[]> rows, int index, String format, double max) {
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

    public static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
    }
}
