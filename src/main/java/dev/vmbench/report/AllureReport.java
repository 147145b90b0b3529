package dev.vmbench.report;

import dev.vmbench.fio.FioMetrics;
import dev.vmbench.fio.FioRun;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import io.qameta.allure.Allure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What goes into the Allure report, through Allure's lambda API: each test's parameters, each VM's raw fio
 * JSON (attached before any assertion), a metrics table, diagnostics; and per run the environment and the
 * failure categories.
 */
public final class AllureReport {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AllureReport.class);

    private AllureReport() {
    }

    /**
     * Names the test {@code <group> · <permutation>} and gives it the run's dimensions as parameters. Called
     * before the test's parameters are resolved, so a test whose group failed to provision is named too.
     */
    public static void name(VmGroupSpec group, FioPermutation permutation) {
        Allure.getLifecycle().updateTestCase(result -> result.setName(group + " · " + permutation));
        Allure.parameter("pool", group.pool());
        Allure.parameter("vm size", group.vmSize().name());
        Allure.parameter("pvc size", group.pvcSize());
        Allure.parameter("concurrency", group.concurrency());
        Allure.parameter("profile", permutation.profile());
        Allure.parameter("block size", permutation.blockSize().toString());
    }

    /** Drops the method arguments Allure records by itself (the live group, the thresholds, the permutation). */
    public static void hideArguments(List<String> argumentsShown) {
        Allure.getLifecycle().updateTestCase(result -> result.getParameters().removeIf(p ->
                argumentsShown.contains(p.getValue()) && !DIMENSIONS.contains(p.getName())));
    }

    private static final List<String> DIMENSIONS = List.of("pool", "vm size", "pvc size", "concurrency", "profile",
            "block size");

    /** Runs {@code work} as a report step; its failure fails the step and propagates unchanged. */
    public static <T> T step(String name, java.util.function.Supplier<T> work) {
        return Allure.step(name, work::get);
    }

    public static void rawOutput(String vm, String raw) {
        Allure.addAttachment("fio " + vm + ".json", "application/json", raw, ".json");
    }

    public static void text(String name, String text) {
        Allure.addAttachment(name, "text/plain", text, ".txt");
    }

    /** A compact HTML table of every VM × job × direction, and the timings, attached to the test. */
    public static void metricsTable(FioRun run) {
        Allure.addAttachment("metrics", "text/html", table(run, java.util.Set.of()), ".html");
    }

    /**
     * The test's description: the metrics table with the cells in {@code missed} (see {@link #cell}) highlighted,
     * and the missed limits in words — the numbers without opening an attachment.
     */
    public static void description(FioRun run, java.util.Set<String> missed, List<String> breaches) {
        StringBuilder html = new StringBuilder(table(run, missed));
        html.append(Charts.timeSeries(run.series()));
        dev.vmbench.fio.LatencyHistogram.merged(run).forEach((key, histogram) ->
                html.append(Charts.histogram("latency of " + key + " over " + run.rawJson().size() + " VM(s)",
                        histogram)));
        if (!breaches.isEmpty()) {
            html.append("<p><b>Missed:</b></p><ul>");
            breaches.forEach(b -> html.append("<li>").append(Charts.escape(b)).append("</li>"));
            html.append("</ul>");
        }
        // before what the test body added (a pod baseline's ratios)
        Allure.getLifecycle().updateTestCase(result -> result.setDescriptionHtml(html
                + (result.getDescriptionHtml() == null ? "" : result.getDescriptionHtml())));
    }

    private static final List<String> COLUMNS = List.of("IOPS", "MiB/s", "clat mean", "p50", "p90", "p95", "p99",
            "p99.9");

    /** The key of one table cell: a VM ({@code all} for the group's row), its job and direction, a metric's column. */
    public static String cell(String vm, String job, String direction, dev.vmbench.fio.Metric metric) {
        String column = switch (metric) {
            case IOPS, IOPS_CV, OVERLAP -> "IOPS";
            case BW -> "MiB/s";
            case CLAT_MEAN, SYNC_MEAN -> "clat mean";
            case CLAT_P50, SYNC_P50 -> "p50";
            case CLAT_P90, SYNC_P90 -> "p90";
            case CLAT_P95, SYNC_P95 -> "p95";
            case CLAT_P99, SYNC_P99 -> "p99";
            case CLAT_P99_9, SYNC_P99_9 -> "p99.9";
            case VM_READY, GROUP_READY -> "ready";
            case IOPS_DRIFT -> "drift";
            case SNAPSHOT_READY, RESTORE, CLONE, MIGRATION, IO_STALL, EXPANSION -> "capability";
        };
        return vm + "\u0000" + job + "\u0000" + direction + "\u0000" + column;
    }

    private static String table(FioRun run, java.util.Set<String> missed) {
        StringBuilder html = new StringBuilder("<table border='1' cellpadding='4' "
                + "style='border-collapse:collapse;font-family:sans-serif;font-size:13px'><tr><th>VM</th><th>job</th>"
                + "<th>dir</th>");
        COLUMNS.forEach(c -> html.append("<th>").append(c).append("</th>"));
        html.append("</tr>");
        for (FioMetrics m : run.metrics()) {
            row(html, m.vm(), m.vm(), m.job(), m.direction(), false, missed, m.iops(), m.bandwidthBytes(), m.clatMeanNs(),
                    m.clatP50Ns(), m.clatP90Ns(), m.clatP95Ns(), m.clatP99Ns(), m.clatP999Ns());
        }
        // the group as a whole: throughput adds up over VMs, latency is the worst VM's
        Map<String, List<FioMetrics>> byJob = new java.util.LinkedHashMap<>();
        run.metrics().forEach(m -> byJob.computeIfAbsent(m.job() + "\u0000" + m.direction(),
                k -> new java.util.ArrayList<>()).add(m));
        // and the group's own percentiles, from the VMs' merged histograms (json+)
        for (dev.vmbench.fio.GroupMetrics g : dev.vmbench.fio.GroupMetrics.of(run)) {
            if (!Double.isNaN(g.mergedClatP99Ns())) {
                row(html, "merged " + g.vms() + " VMs", "merged", g.job(), g.direction(), true, missed, Double.NaN,
                        Double.NaN, Double.NaN, g.mergedClatP50Ns(), Double.NaN, Double.NaN, g.mergedClatP99Ns(),
                        g.mergedClatP999Ns());
            }
        }
        byJob.forEach((key, ms) -> row(html, "all " + ms.size() + " VMs", "all", ms.get(0).job(), ms.get(0).direction(), true, missed,
                ms.stream().mapToDouble(FioMetrics::iops).sum(), ms.stream().mapToDouble(FioMetrics::bandwidthBytes).sum(),
                worst(ms, FioMetrics::clatMeanNs), worst(ms, FioMetrics::clatP50Ns), worst(ms, FioMetrics::clatP90Ns),
                worst(ms, FioMetrics::clatP95Ns), worst(ms, FioMetrics::clatP99Ns), worst(ms, FioMetrics::clatP999Ns)));
        html.append("</table><p>swap ").append(run.timings().swap().toMillis()).append(" ms · prefill ")
                .append(run.timings().prefill().toMillis()).append(" ms · start spread ")
                .append(run.timings().startSpread().toMillis()).append(" ms · overlap ")
                .append(String.format(java.util.Locale.ROOT, "%.1f", run.timings().overlapPct())).append(" % · fio ")
                .append(run.timings().fio().toMillis()).append(" ms · collect ")
                .append(run.timings().collect().toMillis()).append(" ms · SSH reconnects ")
                .append(run.timings().reconnects()).append("</p>");
        if (run.samples().count() > 1) {
            html.append("<p>The median of ").append(run.samples().count()).append(" samples (by total IOPS); the group's "
                    + "IOPS across them:");
            run.samples().range().forEach((job, r) -> html.append(String.format(java.util.Locale.ROOT,
                    " %s %.0f–%.0f;", Charts.escape(job), r[0], r[1])));
            html.append("</p>");
        }
        return html.toString();
    }

    private static void row(StringBuilder html, String label, String vm, String job, String direction, boolean group,
            java.util.Set<String> missed, double... values) {
        html.append(group ? "<tr style='font-weight:bold'>" : "<tr>").append("<td>")
                .append(Charts.escape(label)).append("</td><td>")
                .append(Charts.escape(job)).append("</td><td>").append(direction).append("</td>");
        for (int i = 0; i < COLUMNS.size(); i++) {
            String text = Double.isNaN(values[i]) ? "–" : i == 0 ? String.format(Locale.ROOT, "%.0f", values[i])
                    : i == 1 ? String.format(Locale.ROOT, "%.1f", values[i] / 1048576) : us(values[i]);
            boolean breached = missed.contains(vm + "\u0000" + job + "\u0000" + direction + "\u0000" + COLUMNS.get(i));
            html.append(breached ? "<td style='background:#f8c8c8'>" : "<td>").append(text).append("</td>");
        }
        html.append("</tr>");
    }

    private static double worst(List<FioMetrics> metrics, java.util.function.ToDoubleFunction<FioMetrics> value) {
        return metrics.stream().mapToDouble(value).max().orElse(Double.NaN);
    }

    private static String us(double ns) {
        return Double.isNaN(ns) ? "–" : String.format(Locale.ROOT, "%.0f us", ns / 1000);
    }

    /**
     * Copies the failure categories ({@code allure/categories.json}) into the results, through Allure's own
     * writer so they land wherever Allure writes. Allure's writer never replaces a file: one already there was
     * written by this JVM (earlier runs' files are gone, see {@link #removeEarlierResults}), so it is kept.
     */
    public static void categories(Path categories) {
        if (!Files.isRegularFile(categories)) {
            return;
        }
        try (java.io.InputStream in = Files.newInputStream(categories)) {
            writeOnce("categories.json", in);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + categories.toAbsolutePath(), e);
        }
    }

    /** Rewrites {@code environment.properties}. */
    static void environment(Map<String, String> environment) {
        StringBuilder props = new StringBuilder();
        new TreeMap<>(environment).forEach((k, v) -> props.append(k.replace(' ', '_')).append('=')
                .append(v.replace("\\", "\\\\").replace("\n", " ")).append('\n'));
        writeOnce("environment.properties",
                new java.io.ByteArrayInputStream(props.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private static void writeOnce(String name, java.io.InputStream in) {
        try {
            Allure.getLifecycle().writeAttachment(name, in);
        } catch (io.qameta.allure.AllureResultsWriteException e) {
            if (!(e.getCause() instanceof java.nio.file.FileAlreadyExistsException)) {
                throw e;
            }
            LOG.debug("{} is already in the Allure results (written earlier by this JVM)", name);
        }
    }

    /** Where Allure writes by default: {@code allure.results.directory} of allure.properties or -D. */
    public static Path resultsDirectory() {
        return Path.of(io.qameta.allure.util.PropertiesUtils.loadAllureProperties()
                .getProperty("allure.results.directory", "allure-results"));
    }

    /** Where a run lists what it wrote into Allure's results folder: {@code vmbench-run-<pid>-<start ms>.files}. */
    private static final java.util.regex.Pattern MANIFEST = java.util.regex.Pattern.compile(
            "vmbench-run-(\\d+)-(\\d+)\\.files");

    /**
     * Removes from Allure's results folder what earlier vmbench runs wrote there, as their manifests list it
     * ({@link #recordWritten}), so the report shows the latest run and not a mix; nothing else goes — another run's
     * results still being written (its JVM alive), other tools' files, {@code history/}. Returns how many files went.
     */
    public static int removeEarlierResults(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        int removed = 0;
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path manifest : files.filter(f -> MANIFEST.matcher(f.getFileName().toString()).matches()).toList()) {
                java.util.regex.Matcher m = MANIFEST.matcher(manifest.getFileName().toString());
                m.matches();
                // a run still going in another JVM keeps its files; an earlier run of this JVM does not
                long pid = Long.parseLong(m.group(1));
                if (pid != ProcessHandle.current().pid() && alive(pid, Long.parseLong(m.group(2)))) {
                    continue;
                }
                for (String name : Files.readAllLines(manifest)) {
                    // a plain name in this folder, and only that
                    if (!name.isBlank() && !name.contains("/") && !name.contains("\\") && !name.startsWith(".")
                            && Files.deleteIfExists(dir.resolve(name))) {
                        removed++;
                    }
                }
                Files.delete(manifest);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot clear earlier results from " + dir.toAbsolutePath()
                    + ". Fix: make the folder writable, or delete it.", e);
        }
        return removed;
    }

    private static boolean alive(long pid, long startMillis) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().startInstant())
                .filter(started -> Math.abs(started.toEpochMilli() - startMillis) < 1_000).isPresent();
    }

    /**
     * Lists in a manifest what this JVM wrote into Allure's results folder: its test results (their {@code thread}
     * label names this process), the attachments they reference, and the containers of them — so the next run removes
     * exactly these ({@link #removeEarlierResults}).
     */
    public static void recordWritten(Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        ProcessHandle self = ProcessHandle.current();
        String me = self.pid() + "@";
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        java.util.Set<String> mine = new java.util.TreeSet<>();
        java.util.Set<String> uuids = new java.util.HashSet<>();
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            List<Path> all = files.filter(Files::isRegularFile).toList();
            for (Path file : all) {
                if (!file.getFileName().toString().endsWith("-result.json")) {
                    continue;
                }
                com.fasterxml.jackson.databind.JsonNode result = json.readTree(file.toFile());
                boolean ours = false;
                for (com.fasterxml.jackson.databind.JsonNode label : result.path("labels")) {
                    ours |= label.path("name").asText().equals("thread") && label.path("value").asText().startsWith(me);
                }
                if (ours) {
                    mine.add(file.getFileName().toString());
                    uuids.add(result.path("uuid").asText());
                    result.findValuesAsText("source").forEach(mine::add);
                }
            }
            for (Path file : all) {
                if (file.getFileName().toString().endsWith("-container.json")) {
                    com.fasterxml.jackson.databind.JsonNode container = json.readTree(file.toFile());
                    for (com.fasterxml.jackson.databind.JsonNode child : container.path("children")) {
                        if (uuids.contains(child.asText())) {
                            mine.add(file.getFileName().toString());
                            container.findValuesAsText("source").forEach(mine::add);
                        }
                    }
                }
            }
            // the run's own report files: the next run writes its own
            for (String own : List.of("categories.json", "environment.properties")) {
                if (Files.isRegularFile(dir.resolve(own))) {
                    mine.add(own);
                }
            }
            Files.write(dir.resolve("vmbench-run-" + self.pid() + "-" + self.info().startInstant()
                    .map(java.time.Instant::toEpochMilli).orElse(0L) + ".files"), mine);
        } catch (IOException e) {
            LOG.warn("Cannot list what this run wrote into {}: the next run will leave it there ({})", dir,
                    e.getMessage());
        }
    }

    /** An HTML attachment (charts, summaries). */
    /** Adds {@code html} to the end of the current test's description. */
    public static void appendDescriptionHtml(String html) {
        Allure.getLifecycle().updateTestCase(result -> result.setDescriptionHtml(
                (result.getDescriptionHtml() == null ? "" : result.getDescriptionHtml()) + html));
    }

    /** Replaces the current test's description with {@code html}. */
    public static void descriptionHtml(String html) {
        Allure.getLifecycle().updateTestCase(result -> result.setDescriptionHtml(html));
    }

    public static void html(String name, String html) {
        Allure.addAttachment(name, "text/html", html, ".html");
    }

    /**
     * Adds a result of its own, "Run summary", carrying the run's summary page: Allure has no run-level
     * attachments, and reviewers should find the ranking next to the tests. Its status is the run's: broken when
     * any test broke, failed when any missed a gate, passed otherwise.
     */
    public static void runSummary(String runId, String html, String status, Map<String, String> morePages) {
        io.qameta.allure.AllureLifecycle lifecycle = Allure.getLifecycle();
        String uuid = java.util.UUID.randomUUID().toString();
        io.qameta.allure.model.Status allureStatus = switch (status) {
            case "broken" -> io.qameta.allure.model.Status.BROKEN;
            case "failed" -> io.qameta.allure.model.Status.FAILED;
            case "passed" -> io.qameta.allure.model.Status.PASSED;
            default -> io.qameta.allure.model.Status.SKIPPED;
        };
        io.qameta.allure.model.TestResult result = new io.qameta.allure.model.TestResult()
                .setUuid(uuid).setName("Run summary " + runId).setFullName("vmbench.RunSummary." + runId)
                .setHistoryId("vmbench-run-summary")
                .setStatus(allureStatus)
                .setLabels(java.util.List.of(new io.qameta.allure.model.Label().setName("suite").setValue("vmbench run"),
                        io.qameta.allure.util.ResultsUtils.createHostLabel(),
                        io.qameta.allure.util.ResultsUtils.createThreadLabel()));
        lifecycle.scheduleTestCase(result);
        lifecycle.startTestCase(uuid);
        lifecycle.addAttachment("run summary", "text/html", ".html", html.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        morePages.forEach((name, page) -> lifecycle.addAttachment(name, "text/html", ".html",
                page.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        lifecycle.stopTestCase(uuid);
        lifecycle.writeTestCase(uuid);
    }
}
