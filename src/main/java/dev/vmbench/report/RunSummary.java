package dev.vmbench.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The run at a glance, per StorageClass: how many tests passed, failed (missed a threshold) or broke, and the
 * median over its measured permutations of total IOPS (the busiest phase: stonewalled sections are never added
 * up) and of worst-VM p99 latency — ranked with the fewest misses and then the highest IOPS first, so several
 * StorageClasses tested together can be compared. Read from {@code summary.json}'s permutation entries, so a
 * permutation counts once, with its latest verdict.
 */
public final class RunSummary {

    private RunSummary() {
    }

    /** One StorageClass's tally. */
    public record Row(String pool, int passed, int failed, int broken, double medianIops, double medianP99Ms) {
    }

    public static List<Row> rows(List<JsonNode> permutations) {
        Map<String, List<JsonNode>> byPool = new LinkedHashMap<>();
        permutations.forEach(e -> byPool.computeIfAbsent(e.path("pool").asText(), k -> new ArrayList<>()).add(e));
        List<Row> rows = new ArrayList<>();
        byPool.forEach((pool, entries) -> {
            List<JsonNode> measured = entries.stream().filter(e -> e.has("totalIops")).toList();
            rows.add(new Row(pool, count(entries, "passed"), count(entries, "failed"), count(entries, "broken"),
                    median(measured.stream().map(e -> e.path("totalIops").asDouble()).toList()),
                    median(measured.stream().map(e -> e.path("worstClatP99Ns").asDouble() / 1_000_000).toList())));
        });
        rows.sort(Comparator.comparingInt((Row r) -> r.failed() + r.broken()).thenComparing(Row::medianIops,
                Comparator.reverseOrder()));
        return rows;
    }

    private static String findings(List<String> findings) {
        StringBuilder html = new StringBuilder();
        findings.forEach(f -> html.append("<p><b>").append(Charts.escape(f)).append("</b></p>"));
        return html.toString();
    }

    /**
     * The summary page: the run's status, its findings beyond the gate (a density search's capacity, a sentence
     * each), the ranking with bar charts, and every test that did not pass, with why.
     */
    public static String html(String runId, String status, List<JsonNode> permutations, List<String> findings) {
        return html(runId, status, permutations, findings, "");
    }

    /** The page with the capability matrix ({@link #capabilityMatrix}) after the findings. */
    public static String html(String runId, String status, List<JsonNode> permutations, List<String> findings,
            String capabilityMatrix) {
        StringBuilder html = new StringBuilder("<html><head><meta charset='utf-8'><title>vmbench run " + runId
                + "</title></head><body style='font-family:sans-serif'><h2>vmbench run " + runId + ": " + status
                + "</h2>" + findings(findings) + capabilityMatrix + "<table border='1' cellpadding='5' style='border-collapse:collapse'><tr><th>rank</th>"
                + "<th>StorageClass</th><th>passed</th><th>failed (missed a threshold)</th><th>broken</th>"
                + "<th>median total IOPS</th><th>median worst p99 (ms)</th></tr>");
        List<Row> rows = rows(permutations);
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            html.append(String.format(Locale.ROOT, "<tr><td>%d</td><td>%s</td><td>%d</td><td>%d</td><td>%d</td>"
                    + "<td>%.0f</td><td>%.2f</td></tr>", i + 1, Charts.escape(r.pool()), r.passed(), r.failed(),
                    r.broken(), r.medianIops(), r.medianP99Ms()));
        }
        html.append("</table>");
        List<JsonNode> notPassed = permutations.stream().filter(e -> !e.path("outcome").asText().equals("passed")
                && e.has("outcome")).toList();
        if (!notPassed.isEmpty()) {
            html.append("<h3>Tests that did not pass</h3><table border='1' cellpadding='5' "
                    + "style='border-collapse:collapse'><tr><th>group</th><th>permutation</th><th>outcome</th>"
                    + "<th>why</th></tr>");
            notPassed.forEach(e -> html.append("<tr><td>").append(Charts.escape(e.path("group").asText()))
                    .append("</td><td>").append(Charts.escape(e.path("permutation").asText())).append("</td><td>")
                    .append(e.path("outcome").asText()).append("</td><td>")
                    .append(Charts.escape(e.path("why").asText(""))).append("</td></tr>"));
            html.append("</table>");
        }
        Map<String, double[]> bars = new LinkedHashMap<>();
        rows.forEach(r -> bars.put(r.pool(), new double[] {r.medianIops(), r.medianP99Ms()}));
        return html.append(Charts.bars("median total IOPS by StorageClass", bars, 0, "%.0f"))
                .append(Charts.bars("median worst p99 (ms) by StorageClass", bars, 1, "%.2f"))
                .append("</body></html>").toString();
    }

    /**
     * StorageClass × capability: the time when it worked (with the figure beside it: clone strategy, I/O stall), or
     * the outcome and why not; then the StorageClass's binding, volume and access modes.
     */
    @SuppressWarnings("unchecked")
    public static String capabilityMatrix(Map<String, Map<String, Object>> capabilities) {
        if (capabilities.isEmpty()) {
            return "";
        }
        List<String> columns = List.of("snapshot", "restore", "clone", "expansion", "migration");
        StringBuilder html = new StringBuilder("<h3>Storage capabilities</h3><table border='1' cellpadding='5' "
                + "style='border-collapse:collapse'><tr><th>StorageClass</th>");
        columns.forEach(c -> html.append("<th>").append(c).append("</th>"));
        html.append("<th>binding · volume mode · access modes · snapshot class</th></tr>");
        capabilities.forEach((pool, entry) -> {
            Map<String, Object> checks = (Map<String, Object>) entry.getOrDefault("checks", Map.of());
            html.append("<tr><td>").append(Charts.escape(pool)).append("</td>");
            for (String column : columns) {
                Map<String, Object> check = (Map<String, Object>) checks.get(column);
                html.append(cell(check));
            }
            Map<String, Object> facts = (Map<String, Object>) entry.getOrDefault("facts", Map.of());
            html.append("<td>").append(Charts.escape(facts.isEmpty() ? "-" : facts.get("bindingMode") + " · "
                    + facts.get("volumeMode") + " · " + facts.get("accessModes") + " · " + (String.valueOf(facts
                    .getOrDefault("snapshotClass", "")).isEmpty() ? "none" : facts.get("snapshotClass"))))
                    .append("</td></tr>");
        });
        return html.append("</table>").toString();
    }

    @SuppressWarnings("unchecked")
    private static String cell(Map<String, Object> check) {
        if (check == null) {
            return "<td>not checked</td>";
        }
        String outcome = String.valueOf(check.get("outcome"));
        Map<String, Object> details = (Map<String, Object>) check.getOrDefault("details", Map.of());
        String figure = details.containsKey("strategy") ? " (" + details.get("strategy") + ")"
                : details.containsKey("io-stall-ms") ? " (stall " + details.get("io-stall-ms") + " ms)" : "";
        String color = switch (outcome) {
            case "passed" -> "#e6f4e6";
            case "skipped" -> "#eeeeee";
            default -> "#fbe3e3";
        };
        String text = outcome.equals("passed") ? String.format(Locale.ROOT, "%.1f s", ((Number) check.get("seconds"))
                .doubleValue()) + figure : outcome + ": " + check.getOrDefault("why", "");
        return "<td style='background:" + color + "'>" + Charts.escape(text) + "</td>";
    }

    private static int count(List<JsonNode> entries, String outcome) {
        return (int) entries.stream().filter(e -> e.path("outcome").asText().equals(outcome)).count();
    }

    private static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }
}
