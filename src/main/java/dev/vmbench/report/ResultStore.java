package dev.vmbench.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vmbench.fio.FioMetrics;
import dev.vmbench.fio.FioRun;
import dev.vmbench.fio.GroupMetrics;
import dev.vmbench.fio.RunTimings;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A run's folder, {@code target/vmbench/<run-id>/}, written as results arrive so an interrupted run keeps
 * everything it measured: {@code plan.json}, {@code manifests/}, {@code <group>/<permutation>/<vm>.json}
 * (raw fio) and {@code <vm>.logs.gz} (fio's interval logs), {@code results.csv}, {@code timings.csv},
 * {@code summary.json}, {@code provisioning.log},
 * {@code <group>/sysinfo/}, {@code <group>/console/}, {@code <group>/diagnostics/}. Safe for concurrent use.
 */
public final class ResultStore {

    static final String RESULTS_HEADER = "run,pool,vm_size,pvc_size,concurrency,profile,block_size,vm,job,direction,"
            + "ios,iops,bw_bytes,clat_mean_ns,clat_stddev_ns,clat_p50_ns,clat_p90_ns,clat_p95_ns,clat_p99_ns,"
            + "clat_p99_9_ns,clat_max_ns,lat_mean_ns,runtime_ms,errors,cpu_usr_pct,cpu_sys_pct,group_clat_p99_ns,"
            + "vm_iops_drift_pct";
    static final String TIMINGS_HEADER = "run,pool,vm_size,pvc_size,concurrency,profile,block_size,swap_ms,"
            + "prefill_ms,start_spread_ms,fio_ms,collect_ms,total_ms,overhead_ms,reconnects,overlap_pct";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String runId;
    private final Path dir;
    /** One entry per permutation, keyed {@code group-slug/permutation-slug}: its outcome and its numbers. */
    private final Map<String, ObjectNode> permutations = new java.util.LinkedHashMap<>();
    private final List<FioRun> runs = new java.util.ArrayList<>();
    /** The tests of the matrix the run plans (all sessions), what it runs on, and whether it has ended. */
    private int planned;
    private String cluster = "";
    private boolean ended;
    /** Why nothing was run, when a run selected nothing. */
    private String notRun;
    /** The run's tests its baseline has no numbers for. */
    private List<String> notCompared = List.of();

    /** This JVM's hold on the folder, from create or resume until {@link #close()}. */
    private final RunLock lock;

    private ResultStore(String runId, Path dir) {
        this.runId = runId;
        this.dir = dir;
        this.lock = RunLock.take(dir);
    }

    /** Releases the run folder for another JVM (a later resume). */
    public synchronized void close() {
        lock.close();
    }

    public static ResultStore create(Path resultsDir, String runId) {
        Path dir = resultsDir.resolve(runId);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the results folder " + dir.toAbsolutePath()
                    + ". Fix: make it writable or set -Dvmbench.resultsDir.", e);
        }
        return new ResultStore(runId, dir);
    }

    public Path dir() {
        return dir;
    }

    public String runId() {
        return runId;
    }

    /**
     * What the run plans: {@code tests} of the matrix, on {@code cluster} (for example {@code embedded cluster:
     * simulated, no StorageClass measured}). Until {@link #end()}, {@code summary.json} says {@code incomplete}
     * with these counts, so a run killed halfway is never read as a pass.
     */
    public synchronized void plan(int tests, String cluster) {
        this.planned = tests;
        this.cluster = cluster;
        writeSummary();
    }

    /** The run's tests the baseline holds no numbers for: {@code summary.json} lists them under {@code notCompared}. */
    public synchronized void notCompared(List<String> tests) {
        notCompared = List.copyOf(tests);
        writeSummary();
    }

    /** The run has ended (its last test is done): {@code summary.json} now gives the verdict. */
    public synchronized void end() {
        ended = true;
        writeSummary();
    }

    /** The run ended before it began because it selected nothing: {@code summary.json} says {@code not run}, and why. */
    public synchronized void notRun(String why) {
        notRun = why;
        end();
    }

    public synchronized void writePlan(Object plan) {
        write(dir.resolve("plan.json"), json(plan));
    }

    public synchronized void writePlanText(String plan) {
        write(dir.resolve("plan.txt"), plan);
    }

    public synchronized void writeManifest(VmGroupSpec group, String name, String yaml) {
        write(dir.resolve("manifests").resolve(group.slug()).resolve(name), yaml);
    }

    public synchronized void writeRaw(VmGroupSpec group, FioPermutation permutation, String vm, String raw) {
        write(dir.resolve(group.slug()).resolve(permutation.slug()).resolve(vm + ".json"), raw);
    }

    /** One VM's fio interval logs of a permutation, as the guest compressed them ({@code <vm>.logs.gz}). */
    public synchronized void writeLogs(VmGroupSpec group, FioPermutation permutation, String vm, byte[] gzip) {
        Path file = dir.resolve(group.slug()).resolve(permutation.slug()).resolve(vm + ".logs.gz");
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, gzip);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file.toAbsolutePath() + ". Fix: make the results folder "
                    + "writable or set -Dvmbench.resultsDir.", e);
        }
    }

    /** A group left in the cluster (cleanup mode), with the command that deletes it ({@code kept.txt}). */
    public synchronized void writeKept(VmGroupSpec group, String command) {
        append(dir.resolve("kept.txt"), null, group + ": " + command);
    }

    /** What a sweep of earlier runs deleted, one resource a line ({@code swept.txt}). */
    public synchronized void writeSwept(List<String> swept) {
        write(dir.resolve("swept.txt"), swept.isEmpty() ? "" : String.join("\n", swept) + "\n");
    }

    /** A dry run's job for a permutation, as every group would install it. */
    public synchronized void writeDryRunJob(FioPermutation permutation, String job) {
        write(dir.resolve("jobs").resolve(permutation.slug() + ".fio"), job);
    }

    public synchronized void writeJob(VmGroupSpec group, FioPermutation permutation, String job) {
        write(dir.resolve(group.slug()).resolve(permutation.slug()).resolve("job.fio"), job);
    }

    public synchronized void writeProvisioned(VmGroupSpec group, Map<String, String> sysinfo,
            Map<String, Long> phaseMillis) {
        sysinfo.forEach((vm, text) -> write(dir.resolve(group.slug()).resolve("sysinfo").resolve(vm + ".txt"), text));
        append(dir.resolve("provisioning.log"), null, Instant.now() + " provisioned group " + group.slug() + " ("
                + group + ") VMs " + sysinfo.keySet() + " phases_ms " + phaseMillis);
    }

    public synchronized void writeConsoles(VmGroupSpec group, Map<String, String> consoles) {
        consoles.forEach((vm, text) -> write(dir.resolve(group.slug()).resolve("console").resolve(vm + ".log"), text));
    }

    public synchronized void writeDiagnostics(VmGroupSpec group, Map<String, String> evidence) {
        evidence.forEach((name, text) -> write(dir.resolve(group.slug()).resolve("diagnostics").resolve(name), text));
    }

    /** Appends the run's rows to results.csv and timings.csv and rewrites summary.json. */
    public synchronized void writeRun(FioRun run) {
        String dims = csv(runId, run.group().pool(), run.group().vmSize().name(), run.group().pvcSize(),
                run.group().concurrency(), run.permutation().profile(), run.permutation().blockSize());
        // the group's own p99 per job section and direction, from the VMs' merged histograms
        Map<String, Double> groupP99 = new java.util.HashMap<>();
        List<GroupMetrics> groups = GroupMetrics.of(run);
        groups.forEach(g -> groupP99.put(g.key(), g.mergedClatP99Ns()));
        // each VM's steadiness over time (its whole job), on each of its rows
        Map<String, Double> drift = run.series().iopsDrift();
        for (FioMetrics m : run.metrics()) {
            append(dir.resolve("results.csv"), RESULTS_HEADER, dims + "," + csv(m.vm(), m.job(), m.direction(), m.ios(),
                    num(m.iops()), num(m.bandwidthBytes()), num(m.clatMeanNs()), num(m.clatStddevNs()),
                    num(m.clatP50Ns()), num(m.clatP90Ns()), num(m.clatP95Ns()), num(m.clatP99Ns()),
                    num(m.clatP999Ns()), num(m.clatMaxNs()), num(m.latMeanNs()), m.runtimeMs(), m.errors(),
                    num(m.cpuUserPercent()), num(m.cpuSystemPercent()),
                    num(groupP99.getOrDefault(m.job() + " " + m.direction(), Double.NaN)),
                    num(drift.getOrDefault(m.vm(), Double.NaN) * 100)));
        }
        RunTimings t = run.timings();
        append(dir.resolve("timings.csv"), TIMINGS_HEADER, dims + "," + csv(t.swap().toMillis(),
                t.prefill().toMillis(), t.startSpread().toMillis(), t.fio().toMillis(), t.collect().toMillis(),
                t.total().toMillis(), t.overhead().toMillis(), t.reconnects(), num(t.overlapPct())));
        ObjectNode entry = entry(run.group(), run.permutation());
        entry.put("vms", run.rawJson().size());
        entry.put("totalIops", GroupMetrics.peakIops(run));
        entry.put("worstClatP99Ns", run.metrics().stream().filter(m -> !m.direction().equals("sync"))
                .mapToDouble(FioMetrics::clatP99Ns).max().orElse(0));
        entry.put("overheadMs", t.overhead().toMillis());
        entry.put("samples", run.samples().count());
        if (!Double.isNaN(run.series().worstIopsDrift())) {
            entry.put("worstIopsDrift", run.series().worstIopsDrift());
        }
        ArrayNode jobs = entry.putArray("jobs");
        for (GroupMetrics g : groups) {
            ObjectNode job = jobs.addObject();
            job.put("job", g.job());
            job.put("direction", g.direction());
            job.put("vms", g.vms());
            job.put("iops", g.iops());
            job.put("bandwidthBytes", g.bandwidthBytes());
            job.put("worstClatP99Ns", g.worstClatP99Ns());
            job.put("medianClatP99Ns", g.medianClatP99Ns());
            job.put("iopsCv", g.iopsCv());
            double[] range = run.samples().range().get(g.key());
            if (range != null) {
                // the samples' spread: a baseline flags a regression only outside it
                job.put("iopsMin", range[0]);
                job.put("iopsMax", range[1]);
                job.put("worstClatP99NsMin", range[2]);
                job.put("worstClatP99NsMax", range[3]);
            }
            if (!Double.isNaN(g.mergedClatP99Ns())) {
                job.put("mergedClatP50Ns", g.mergedClatP50Ns());
                job.put("mergedClatP99Ns", g.mergedClatP99Ns());
                job.put("mergedClatP999Ns", g.mergedClatP999Ns());
            }
        }
        writeSummary();
        runs.add(run);
    }

    private ObjectNode entry(VmGroupSpec group, FioPermutation permutation) {
        return permutations.computeIfAbsent(group.slug() + "/" + permutation.slug(), key -> {
            ObjectNode entry = JSON.createObjectNode();
            entry.put("key", key);
            entry.put("pool", group.pool());
            entry.put("group", group.toString());
            entry.put("permutation", permutation.toString());
            return entry;
        });
    }

    /**
     * Rewrites {@code summary.json}: the run's status, the count of each outcome, and every permutation with its
     * outcome (and why, when it did not pass) and its group numbers.
     */
    private void writeSummary() {
        ObjectNode summary = JSON.createObjectNode();
        summary.put("run", runId);
        summary.put("status", ended ? status() : "incomplete");
        if (!cluster.isEmpty()) {
            summary.put("cluster", cluster);
        }
        if (notRun != null) {
            summary.put("why", notRun);
        }
        if (!notCompared.isEmpty()) {
            notCompared.forEach(summary.putArray("notCompared")::add);
        }
        summary.put("planned", planned);
        summary.put("finished", permutations.values().stream().filter(e -> List.of("passed", "failed", "broken")
                .contains(e.path("outcome").asText())).count());
        ObjectNode tests = summary.putObject("tests");
        for (String outcome : List.of("passed", "failed", "broken", "skipped")) {
            tests.put(outcome, permutations.values().stream().filter(e -> e.path("outcome").asText().equals(outcome))
                    .count());
        }
        summary.putArray("permutations").addAll(permutations.values());
        if (!densities.isEmpty()) {
            // the density searches' answers, one sentence each
            ArrayNode sentences = summary.putArray("density");
            densities.values().forEach(d -> sentences.add(String.valueOf(d.get("sentence"))));
        }
        if (!capabilities.isEmpty()) {
            summary.set("capabilities", JSON.valueToTree(capabilities));
        }
        write(dir.resolve("summary.json"), json(summary));
    }

    /**
     * The run's verdict: {@code broken} when any test broke, {@code failed} when any missed a gate, {@code passed}
     * when at least one test passed and none did either, {@code not run} otherwise. {@code summary.json} shows it
     * once the run has {@link #end() ended} ({@code incomplete} before).
     */
    public synchronized String status() {
        if (notRun != null) {
            return "not run";
        }
        java.util.Set<String> outcomes = new java.util.HashSet<>();
        permutations.values().forEach(e -> outcomes.add(e.path("outcome").asText()));
        capabilities.values().forEach(c -> ((Map<?, ?>) c.getOrDefault("checks", Map.of())).values()
                .forEach(check -> outcomes.add(String.valueOf(((Map<?, ?>) check).get("outcome")))));
        return outcomes.contains("broken") ? "broken" : outcomes.contains("failed") ? "failed"
                : outcomes.contains("passed") ? "passed" : "not run";
    }

    /** The runs recorded in this session, in order. */
    public synchronized List<FioRun> runs() {
        return List.copyOf(runs);
    }

    /**
     * Writes {@code comparison.md} and {@code comparison.html}: per permutation × job × direction, this run's IOPS,
     * bandwidth (MiB/s) and worst p99 (ms) against the baseline's, with the change. Returns the HTML.
     */
    public synchronized String writeComparison(String baseline, List<String[]> rows) {
        return writeComparison(dir, runId, baseline, rows);
    }

    /** The same, for run {@code runId} whose folder is {@code dir} (no session needed: two runs on disk). */
    public static String writeComparison(Path dir, String runId, String baseline, List<String[]> rows) {
        StringBuilder md = new StringBuilder("# vmbench run " + runId + " compared with " + baseline + "\n\n"
                + "| permutation | job direction | IOPS | MiB/s | worst p99 (ms) |\n|---|---|---|---|---|\n");
        StringBuilder html = new StringBuilder("<html><head><meta charset='utf-8'><title>vmbench comparison</title>"
                + "</head><body style='font-family:sans-serif'><h2>Run " + runId + " compared with "
                + Charts.escape(baseline) + "</h2><table border='1' cellpadding='4' style='border-collapse:collapse'>"
                + "<tr><th>permutation</th><th>job direction</th><th>IOPS</th><th>MiB/s</th><th>worst p99 (ms)</th></tr>");
        for (String[] row : rows) {
            md.append("| ").append(String.join(" | ", row)).append(" |\n");
            html.append("<tr>");
            for (String cell : row) {
                html.append("<td>").append(Charts.escape(cell)).append("</td>");
            }
            html.append("</tr>");
        }
        if (rows.isEmpty()) {
            md.append("\n(no permutation of this run was in the baseline)\n");
        }
        html.append("</table></body></html>");
        try {
            Files.writeString(dir.resolve("comparison.md"), md.toString());
            Files.writeString(dir.resolve("comparison.html"), html.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the comparison in " + dir, e);
        }
        return html.toString();
    }

    /** A group's chart page, once its results are complete. */
    static final String QD_HEADER = "run,pool,vm_size,pvc_size,concurrency,profile,block_size,iodepth,iops,bw_bytes,"
            + "worst_clat_p99_ns,merged_clat_p99_ns,within_target";

    /** One depth of a queue-depth sweep ({@code qd.csv}): the group's rate and latency at that queue depth. */
    public synchronized void writeQueueDepth(FioRun run, double iops, double bandwidthBytes, double worstP99Ns,
            double mergedP99Ns, boolean withinTarget) {
        append(dir.resolve("qd.csv"), QD_HEADER, csv(runId, run.group().pool(), run.group().vmSize().name(),
                run.group().pvcSize(), run.group().concurrency(), run.permutation().profile(),
                run.permutation().blockSize(), run.permutation().iodepth(), num(iops), num(bandwidthBytes),
                num(worstP99Ns), num(mergedP99Ns), withinTarget));
    }

    static final String DENSITY_HEADER = "run,pool,vm_size,pvc_size,vms,profile,block_size,iops_per_vm,total_iops,"
            + "worst_read_clat_p99_ns,worst_write_clat_p99_ns,within_sla";
    /** Every density search of the run by group slug, as {@code density.json} lists them. */
    private final Map<String, Map<String, Object>> densities = new java.util.LinkedHashMap<>();

    /** One step of a density search ({@code density.csv}): its VM count, rate per VM and worst latencies. */
    public synchronized void writeDensityStep(FioRun run, double iopsPerVm, double worstReadP99Ns,
            double worstWriteP99Ns, boolean withinSla) {
        append(dir.resolve("density.csv"), DENSITY_HEADER, csv(runId, run.group().pool(), run.group().vmSize().name(),
                run.group().pvcSize(), run.group().concurrency(), run.permutation().profile(),
                run.permutation().blockSize(), num(iopsPerVm), num(iopsPerVm * run.group().concurrency()),
                num(worstReadP99Ns), num(worstWriteP99Ns), withinSla));
    }

    /**
     * Rewrites {@code density.json} with {@code search} (one group's search so far) among the run's searches; its
     * top-level {@code capacityVms} is the smallest capacity of the searches, the run's answer for all of them.
     */
    public synchronized void writeDensity(String groupSlug, Map<String, Object> search) {
        densities.put(groupSlug, search);
        Map<String, Object> density = new java.util.LinkedHashMap<>();
        density.put("run", runId);
        density.put("capacityVms", densities.values().stream().mapToInt(d -> (Integer) d.get("capacityVms")).min()
                .orElse(0));
        density.put("searches", List.copyOf(densities.values()));
        write(dir.resolve("density.json"), json(density));
        writeSummary();
    }

    static final String CAPABILITY_HEADER = "run,pool,capability,outcome,seconds,details,why";
    /** Per StorageClass: its facts and each capability's latest check, as {@code capabilities.json} lists them. */
    private final Map<String, Map<String, Object>> capabilities = new java.util.TreeMap<>();

    /**
     * Records one capability check of {@code pool} ({@code passed}, {@code failed}, {@code broken} or {@code skipped}):
     * a line of {@code capabilities.csv}, and {@code capabilities.json} (the matrix) rewritten.
     */
    public synchronized void writeCapability(String pool, String capability, String outcome, double seconds,
            Map<String, String> details, String why) {
        append(dir.resolve("capabilities.csv"), CAPABILITY_HEADER, csv(runId, pool, capability, outcome, num(seconds),
                String.join(" ", details.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()),
                why == null ? "" : why));
        Map<String, Object> check = new java.util.LinkedHashMap<>();
        check.put("outcome", outcome);
        if (!Double.isNaN(seconds)) {
            check.put("seconds", Math.round(seconds * 100) / 100.0);
        }
        check.put("details", new java.util.TreeMap<>(details));
        if (why != null) {
            check.put("why", why);
        }
        poolCapabilities(pool).computeIfAbsent("checks", k -> new java.util.LinkedHashMap<String, Object>());
        @SuppressWarnings("unchecked")
        Map<String, Object> checks = (Map<String, Object>) poolCapabilities(pool).get("checks");
        checks.put(capability, check);
        writeCapabilities();
    }

    /** Records what {@code pool} offers VMs beside its checks (binding, volume and access modes, snapshot class). */
    public synchronized void writeStorageFacts(String pool, Map<String, Object> facts) {
        poolCapabilities(pool).put("facts", new java.util.LinkedHashMap<>(facts));
        writeCapabilities();
    }

    private Map<String, Object> poolCapabilities(String pool) {
        return capabilities.computeIfAbsent(pool, k -> new java.util.LinkedHashMap<>());
    }

    private void writeCapabilities() {
        Map<String, Object> doc = new java.util.LinkedHashMap<>();
        doc.put("run", runId);
        doc.put("storageClasses", capabilities);
        write(dir.resolve("capabilities.json"), json(doc));
    }

    /** The capability matrix as HTML (StorageClass × capability: time, or why not); empty without checks. */
    public synchronized String capabilityMatrix() {
        return RunSummary.capabilityMatrix(capabilities);
    }

    /** A group's density chart ({@code <group>/density.html}). */
    public synchronized void writeDensityChart(VmGroupSpec group, String html) {
        write(dir.resolve(group.slug()).resolve("density.html"), html);
    }

    static final String POD_BASELINE_HEADER = "run,pool,vm_size,pvc_size,concurrency,profile,block_size,job,direction,"
            + "vm_iops,pod_iops,iops_ratio,vm_bw_bytes,pod_bw_bytes,bw_ratio,vm_clat_p99_ns,pod_clat_p99_ns,p99_ratio";

    /** A permutation's VM-to-pod ratios ({@code pod-baseline.csv}), a row per job section and direction. */
    public synchronized void writePodBaseline(FioRun vm, List<dev.vmbench.fio.PodRatio> ratios) {
        for (dev.vmbench.fio.PodRatio r : ratios) {
            append(dir.resolve("pod-baseline.csv"), POD_BASELINE_HEADER, csv(runId, vm.group().pool(),
                    vm.group().vmSize().name(), vm.group().pvcSize(), vm.group().concurrency(), vm.permutation().profile(),
                    vm.permutation().blockSize(), r.job(), r.direction(), num(r.vmIops()), num(r.podIops()),
                    num(r.iopsRatio()), num(r.vmBandwidthBytes()), num(r.podBandwidthBytes()), num(r.bandwidthRatio()),
                    num(r.vmP99Ns()), num(r.podP99Ns()), num(r.p99Ratio())));
        }
    }

    /** A group's queue-depth chart ({@code <group>/qd.html}). */
    public synchronized void writeQueueDepthChart(VmGroupSpec group, String html) {
        write(dir.resolve(group.slug()).resolve("qd.html"), html);
    }

    public synchronized void writeChart(VmGroupSpec group, String html) {
        write(dir.resolve(group.slug()).resolve("chart.html"), html);
    }

    /** Writes {@code summary.html} (the ranking of StorageClasses, and every test that did not pass) and returns it. */
    public synchronized String writeSummaryPage() {
        writeSummary();
        String html = RunSummary.html(runId + (cluster.isEmpty() ? "" : " (" + cluster + ")"), status(),
                List.copyOf(permutations.values()), densities.values().stream()
                .map(d -> String.valueOf(d.get("sentence"))).toList(), capabilityMatrix());
        write(dir.resolve("summary.html"), html);
        return html;
    }

    /**
     * Records a test's verdict — {@code passed}, {@code failed}, {@code broken} or {@code skipped} — in
     * {@code checkpoint} (one line per verdict) and {@code summary.json}, where a later verdict of the same
     * permutation (a resumed run) replaces the earlier one. {@code why} says what went wrong (null when passed).
     */
    public synchronized void writeOutcome(VmGroupSpec group, FioPermutation permutation, String outcome, String why) {
        ObjectNode entry = entry(group, permutation);
        entry.put("outcome", outcome);
        if (outcome.equals("broken")) {
            // what a broken test measured is no result of the group (its VMs may not have run together, or a VM
            // restarted): the per-VM rows stay in results.csv, the group's sums leave the summary and any baseline
            entry.remove(java.util.List.of("jobs", "totalIops", "worstClatP99Ns"));
        }
        if (why == null) {
            entry.remove("why");
        } else {
            entry.put("why", why.length() > 2000 ? why.substring(0, 2000) + "…" : why);
        }
        // summary.json (replaced whole, atomically) first, then the checkpoint line: a kill between the two leaves a
        // verdict the checkpoint lacks, which resume() writes back from the summary; never one the summary lacks
        writeSummary();
        checkpoint(entry.path("key").asText(), outcome, group.pool());
    }

    private void checkpoint(String key, String outcome, String pool) {
        append(dir.resolve("checkpoint"), null, key + " " + outcome + " pool=" + pool);
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String csv(Object... values) {
        StringBuilder line = new StringBuilder();
        for (Object v : values) {
            if (line.length() > 0) {
                line.append(',');
            }
            String text = String.valueOf(v);
            line.append(text.contains(",") || text.contains("\"") ? "\"" + text.replace("\"", "\"\"") + "\"" : text);
        }
        return line.toString();
    }

    private static String num(double value) {
        return Double.isNaN(value) ? "" : String.format(Locale.ROOT, "%.2f", value);
    }

    /** Writes through a temporary file, so a reader never sees half a file. */
    private static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file.toAbsolutePath(), e);
        }
    }

    private static void append(Path file, String header, String line) {
        try {
            Files.createDirectories(file.getParent());
            if (header != null && !Files.exists(file)) {
                Files.writeString(file, header + "\n", StandardCharsets.UTF_8);
            }
            Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot append to " + file.toAbsolutePath(), e);
        }
    }

    /**
     * Reopens an earlier run's folder to continue it: later results are appended, and what it finished is
     * known through {@link #finished()}.
     *
     * @throws IllegalArgumentException if there is no such run
     */
    public static ResultStore resume(Path resultsDir, String runId) {
        Path dir = resultsDir.resolve(runId);
        if (!Files.isRegularFile(dir.resolve("plan.json"))) {
            throw new IllegalArgumentException("Run [" + runId + "] cannot be resumed: " + dir.toAbsolutePath()
                    + " holds no plan.json. Fix: give -Dvmbench.resume the name of a run folder under "
                    + resultsDir.toAbsolutePath() + ".");
        }
        ResultStore store = new ResultStore(runId, dir);
        try {
            if (Files.isRegularFile(dir.resolve("summary.json"))) {
                for (com.fasterxml.jackson.databind.JsonNode entry : JSON.readTree(dir.resolve("summary.json").toFile())
                        .path("permutations")) {
                    store.permutations.put(entry.path("key").asText(), (ObjectNode) entry);
                }
            }
        } catch (IOException | UncheckedIOException | ClassCastException e) {
            throw new IllegalArgumentException("Run [" + runId + "] cannot be resumed: its summary.json is unreadable ("
                    + e.getMessage() + "). Fix: start a new run.", e);
        }
        store.repairCheckpoint();
        return store;
    }

    /**
     * Appends to {@code checkpoint} every verdict {@code summary.json} holds that the checkpoint's last line for that
     * test does not (the session was killed between writing the one and the other), so both say the same again.
     */
    private void repairCheckpoint() {
        Map<String, String> last = new java.util.HashMap<>();
        for (String line : lines("checkpoint")) {
            String[] parts = line.split(" ");
            if (parts.length >= 2) {
                last.put(parts[0], parts[1]);
            }
        }
        permutations.forEach((key, entry) -> {
            String outcome = entry.path("outcome").asText("");
            if (!outcome.isEmpty() && !outcome.equals(last.get(key))) {
                checkpoint(key, outcome, entry.path("pool").asText());
            }
        });
    }

    /** {@code 12345 IOPS, worst p99 2.10 ms}: a measured permutation's headline, for progress lines. */
    public synchronized java.util.Optional<String> headline(VmGroupSpec group, FioPermutation permutation) {
        ObjectNode entry = permutations.get(group.slug() + "/" + permutation.slug());
        if (entry == null || !entry.has("totalIops")) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(String.format(Locale.ROOT, "%.0f IOPS, worst p99 %.2f ms",
                entry.path("totalIops").asDouble(), entry.path("worstClatP99Ns").asDouble() / 1e6));
    }

    /** The settings recorded in {@code plan.json} when the run began (empty if it recorded none). */
    public Map<String, String> plannedSettings() {
        try {
            Map<String, String> settings = new java.util.TreeMap<>();
            JSON.readTree(dir.resolve("plan.json").toFile()).path("settings").fields()
                    .forEachRemaining(e -> settings.put(e.getKey(), e.getValue().asText()));
            return settings;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + dir.resolve("plan.json").toAbsolutePath(), e);
        }
    }

    /** The permutations this run already judged — passed or failed, as last recorded — as {@code group-slug/permutation-slug}. */
    public synchronized java.util.Set<String> finished() {
        java.util.Map<String, String> last = new java.util.HashMap<>();
        for (String line : lines("checkpoint")) {
            String[] parts = line.split(" ");
            if (parts.length >= 2) {
                last.put(parts[0], parts[1]);
            }
        }
        java.util.Set<String> done = new java.util.HashSet<>();
        last.forEach((key, outcome) -> {
            if (outcome.equals("passed") || outcome.equals("failed")) {
                done.add(key);
            }
        });
        return done;
    }

    /** Lines of a file of this run (none if it does not exist yet), for tests and tools. */
    public List<String> lines(String name) {
        try {
            if (!Files.exists(dir.resolve(name))) {
                return List.of();
            }
            return Files.readAllLines(dir.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
