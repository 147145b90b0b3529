package dev.vmbench.junit;

import dev.vmbench.cluster.VmGroup;
import dev.vmbench.fio.FioMetrics;
import dev.vmbench.fio.FioRun;
import dev.vmbench.fio.GroupMetrics;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.report.AllureReport;
import dev.vmbench.report.Charts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A queue-depth sweep on one group ({@code QueueDepthIT}): {@code vmbench.qd.profile} at {@code vmbench.qd.blockSize}
 * run at each of {@code vmbench.qd.depths} on the same VMs and test file, then where the rate stops growing (the
 * knee) and the highest rate whose worst p99 stays within {@code vmbench.qd.p99Target}; {@code qd.csv} and the
 * group's {@code qd.html} in the run folder, the chart and table in the test's description. Resolved as a test
 * parameter of a {@link VmGroupSource} class.
 */
public final class QueueDepthSweep {

    private static final Logger LOG = LoggerFactory.getLogger(QueueDepthSweep.class);
    /** A depth no deeper one beats by this share of IOPS is the knee. */
    static final double KNEE_GAIN = 0.10;

    /**
     * One depth's result: the group's busiest phase's IOPS and bandwidth (as {@code totalIops}), the worst p99 of any
     * VM, section and direction, and the highest of the group's merged p99s.
     */
    public record Step(int iodepth, double iops, double bandwidthBytes, double worstP99Ns, double mergedP99Ns) {
    }

    /**
     * What the sweep found: every step in depth order, the knee (the shallowest depth that no deeper one beats by 10 %
     * IOPS or more — one noisy step does not make a knee; none if the deepest still grew), and the best step within
     * the target (none if no depth met it).
     */
    public record Result(VmGroupSpec group, List<Step> steps, Duration p99Target, Optional<Step> knee,
            Optional<Step> best) {

        /** One sentence: the best rate within the target and the knee. */
        public String headline() {
            String best = this.best.map(s -> String.format(Locale.ROOT, "%.0f IOPS at queue depth %d within %s p99",
                    s.iops(), s.iodepth(), latency(p99Target.toNanos()))).orElse("no queue depth kept p99 within "
                    + latency(p99Target.toNanos()));
            String knee = this.knee.map(s -> "; the knee is at queue depth " + s.iodepth() + String.format(Locale.ROOT,
                    " (%.0f IOPS, p99 %s)", s.iops(), latency(s.worstP99Ns()))).orElse("; no knee within the depths "
                    + "swept");
            return group + ": " + best + knee;
        }
    }

    private final Settings settings;
    private final VmGroupSpec group;

    QueueDepthSweep(Settings settings, VmGroupSpec group) {
        this.settings = settings;
        this.group = group;
    }

    /** Runs every depth on {@code vms} (an Allure step each), records and reports the sweep, and returns it. */
    public Result run(VmGroup vms) {
        FioPermutation base = new FioPermutation(settings.config().qdProfile(), settings.config().qdBlockSize());
        List<Integer> depths = settings.config().qdDepths();
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < depths.size(); i++) {
            FioPermutation permutation = base.atIodepth(depths.get(i));
            FioRun run;
            try {
                run = AllureReport.step("queue depth " + depths.get(i), () -> vms.run(permutation));
                // a depth whose VMs did not measure together, or did not do all the job asks, is no step of the curve
                dev.vmbench.gate.FioRunAssert.requireMeasured(run, settings.thresholds().of(group, permutation));
            } catch (RuntimeException | AssertionError e) {
                settings.results().writeOutcome(group, permutation, "broken", e.getMessage());
                throw e;
            }
            Step step = step(permutation.iodepth(), run);
            steps.add(step);
            settings.results().writeQueueDepth(run, step.iops(), step.bandwidthBytes(), step.worstP99Ns(),
                    step.mergedP99Ns(), step.worstP99Ns() <= settings.config().qdP99Target().toNanos());
            LOG.info("Queue-depth sweep {} · {} ({} of {}): {} IOPS, worst p99 {}", group, permutation, i + 1,
                    depths.size(), String.format(Locale.ROOT, "%.0f", step.iops()), latency(step.worstP99Ns()));
        }
        Result result = analyse(group, steps, settings.config().qdP99Target());
        // each depth is a measurement: they pass together, or fail together when no depth met the target
        for (Step step : steps) {
            settings.results().writeOutcome(group, base.atIodepth(step.iodepth()), result.best().isPresent()
                    ? "passed" : "failed", result.best().isPresent() ? null : result.headline());
        }
        String chart = Charts.queueDepth(group + " · " + base + " by queue depth", chartRows(steps),
                result.p99Target().toNanos() / 1e6);
        settings.results().writeQueueDepthChart(group, chart);
        AllureReport.html("queue-depth chart " + group, chart);
        AllureReport.descriptionHtml("<p><b>" + Charts.escape(result.headline()) + "</b></p>" + table(result) + chart);
        LOG.info("Queue-depth sweep {}", result.headline());
        return result;
    }

    static Step step(int iodepth, FioRun run) {
        double worst = run.metrics().stream().filter(m -> !m.direction().equals("sync"))
                .mapToDouble(FioMetrics::clatP99Ns).max().orElse(Double.NaN);
        double merged = GroupMetrics.of(run).stream().filter(g -> !g.direction().equals("sync"))
                .mapToDouble(GroupMetrics::mergedClatP99Ns).filter(v -> !Double.isNaN(v)).max().orElse(Double.NaN);
        return new Step(iodepth, GroupMetrics.peakIops(run), GroupMetrics.peakBandwidthBytes(run), worst, merged);
    }

    /** The knee and the best step within the target, of steps taken in any order. */
    static Result analyse(VmGroupSpec group, List<Step> steps, Duration p99Target) {
        List<Step> byDepth = steps.stream().sorted(Comparator.comparingInt(Step::iodepth)).toList();
        Optional<Step> knee = Optional.empty();
        for (int i = 0; i + 1 < byDepth.size() && knee.isEmpty(); i++) {
            double deeper = byDepth.subList(i + 1, byDepth.size()).stream().mapToDouble(Step::iops).max().orElse(0);
            if (deeper < byDepth.get(i).iops() * (1 + KNEE_GAIN)) {
                knee = Optional.of(byDepth.get(i));
            }
        }
        Optional<Step> best = byDepth.stream().filter(s -> s.worstP99Ns() <= p99Target.toNanos())
                .max(Comparator.comparingDouble(Step::iops));
        return new Result(group, byDepth, p99Target, knee, best);
    }

    private static Map<String, double[]> chartRows(List<Step> steps) {
        Map<String, double[]> rows = new LinkedHashMap<>();
        steps.forEach(s -> rows.put("qd " + s.iodepth(), new double[] {s.iops(), s.worstP99Ns() / 1e6}));
        return rows;
    }

    private static String table(Result result) {
        StringBuilder html = new StringBuilder("<table border='1' cellpadding='4' style='border-collapse:collapse;"
                + "font-family:sans-serif;font-size:13px'><tr><th>queue depth</th><th>IOPS</th><th>MiB/s</th>"
                + "<th>worst p99</th><th>merged p99</th><th></th></tr>");
        for (Step s : result.steps()) {
            boolean within = s.worstP99Ns() <= result.p99Target().toNanos();
            html.append(String.format(Locale.ROOT, "<tr><td>%d</td><td>%.0f</td><td>%.1f</td><td%s>%s</td><td>%s</td>"
                    + "<td>%s</td></tr>", s.iodepth(), s.iops(), s.bandwidthBytes() / (1024 * 1024),
                    within ? "" : " style='background:#f8c8c8'", latency(s.worstP99Ns()), latency(s.mergedP99Ns()),
                    (result.knee().filter(s::equals).isPresent() ? "knee " : "")
                            + (result.best().filter(s::equals).isPresent() ? "best within target" : "")));
        }
        return html.append("</table>").toString();
    }

    private static String latency(double ns) {
        if (Double.isNaN(ns)) {
            return "-";
        }
        return ns >= 1e6 ? String.format(Locale.ROOT, "%.2f ms", ns / 1e6) : String.format(Locale.ROOT, "%.0f µs", ns / 1e3);
    }
}
