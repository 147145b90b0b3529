package dev.vmbench.report;

import dev.vmbench.fio.FioMetrics;
import dev.vmbench.fio.FioRun;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import io.qameta.allure.Allure;
import io.qameta.allure.util.PropertiesUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What goes into the Allure report, through Allure's lambda API: each test's parameters, each VM's raw fio
 * JSON (attached before any assertion), a metrics table, diagnostics; and per run the environment and the
 * failure categories.
 */
public final class AllureReport {

    private AllureReport() {
    }

    /** The results folder Allure writes to: {@code allure.results.directory}, resolved as allure-java does. */
    public static Path resultsDir() {
        return Path.of(PropertiesUtils.loadAllureProperties().getProperty("allure.results.directory", "allure-results"));
    }

    public static void parameters(VmGroupSpec group, FioPermutation permutation) {
        Allure.parameter("pool", group.pool());
        Allure.parameter("vm size", group.vmSize().name());
        Allure.parameter("pvc size", group.pvcSize());
        Allure.parameter("concurrency", group.concurrency());
        Allure.parameter("profile", permutation.profile());
        Allure.parameter("block size", permutation.blockSize().toString());
    }

    public static void rawOutput(String vm, String raw) {
        Allure.addAttachment("fio " + vm + ".json", "application/json", raw, ".json");
    }

    public static void text(String name, String text) {
        Allure.addAttachment(name, "text/plain", text, ".txt");
    }

    public static void yaml(String name, String text) {
        Allure.addAttachment(name, "text/yaml", text, ".yaml");
    }

    /** A compact HTML table of every VM × job × direction, and the timings. */
    public static void metricsTable(FioRun run) {
        StringBuilder html = new StringBuilder("<html><body><table border='1' cellpadding='4' "
                + "style='border-collapse:collapse;font-family:sans-serif;font-size:13px'>"
                + "<tr><th>VM</th><th>job</th><th>dir</th><th>IOPS</th><th>MiB/s</th><th>clat mean</th>"
                + "<th>p50</th><th>p95</th><th>p99</th><th>p99.9</th></tr>");
        for (FioMetrics m : run.metrics()) {
            html.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%.0f</td><td>%.1f</td>"
                    + "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>", m.vm(), m.job(), m.direction(),
                    m.iops(), m.bandwidthBytes() / 1048576, us(m.clatMeanNs()), us(m.clatP50Ns()), us(m.clatP95Ns()),
                    us(m.clatP99Ns()), us(m.clatP999Ns())));
        }
        html.append("</table><p>swap ").append(run.timings().swap().toMillis()).append(" ms · prefill ")
                .append(run.timings().prefill().toMillis()).append(" ms · start skew ")
                .append(run.timings().startSkew().toMillis()).append(" ms · fio ")
                .append(run.timings().fio().toMillis()).append(" ms · collect ")
                .append(run.timings().collect().toMillis()).append(" ms · SSH reconnects ")
                .append(run.timings().reconnects()).append("</p></body></html>");
        Allure.addAttachment("metrics", "text/html", html.toString(), ".html");
    }

    private static String us(double ns) {
        return Double.isNaN(ns) ? "–" : String.format(Locale.ROOT, "%.0f us", ns / 1000);
    }

    /** Writes {@code environment.properties} and copies {@code categories.json} into the results folder. */
    public static void runInfo(Map<String, String> environment, Path categories) {
        Path dir = resultsDir();
        try {
            Files.createDirectories(dir);
            StringBuilder props = new StringBuilder();
            new TreeMap<>(environment).forEach((k, v) -> props.append(k.replace(' ', '_')).append('=')
                    .append(v.replace("\\", "\\\\").replace("\n", " ")).append('\n'));
            Files.writeString(dir.resolve("environment.properties"), props.toString());
            if (Files.isRegularFile(categories)) {
                Files.copy(categories, dir.resolve("categories.json"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write Allure run information to " + dir.toAbsolutePath(), e);
        }
    }
}
