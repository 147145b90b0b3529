package dev.vmbench.junit;

import dev.vmbench.cluster.GroupEvents;
import dev.vmbench.fio.FioRun;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.report.AllureReport;
import dev.vmbench.report.Charts;
import dev.vmbench.report.ResultStore;
import dev.vmbench.report.RunEnvironment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Sends what a group reports to the results folder first (nothing lost) and then to the Allure report, and
 * draws the group's charts from whatever ran (see {@link #drawCharts}).
 */
final class GroupRecorder implements GroupEvents {

    private final ResultStore results;
    private final RunEnvironment environment;
    private final List<FioRun> runs = new ArrayList<>();

    GroupRecorder(ResultStore results, RunEnvironment environment) {
        this.results = results;
        this.environment = environment;
    }

    @Override
    public void onManifest(VmGroupSpec group, String name, String yaml) {
        results.writeManifest(group, name, yaml);
    }

    @Override
    public void onProvisioned(VmGroupSpec group, Map<String, String> sysinfo, Map<String, Long> phaseMillis) {
        results.writeProvisioned(group, sysinfo, phaseMillis);
        sysinfo.values().stream().flatMap(String::lines).filter(l -> l.startsWith("fio: ")).findFirst()
                .ifPresent(line -> environment.put("fio in guests", line.substring(5)));
        sysinfo.forEach((vm, text) -> AllureReport.text("sysinfo " + vm, text));
        AllureReport.text("provisioning phases (ms)", phaseMillis.toString());
    }

    @Override
    public void onConsoles(VmGroupSpec group, Map<String, String> consoles) {
        results.writeConsoles(group, consoles);
        consoles.forEach((vm, text) -> AllureReport.text("serial console " + vm, text));
    }

    @Override
    public void onDiagnostics(VmGroupSpec group, Map<String, String> evidence) {
        results.writeDiagnostics(group, evidence);
        evidence.forEach(AllureReport::text);
    }

    @Override
    public void onRawOutput(VmGroupSpec group, FioPermutation permutation, String vm, String raw) {
        results.writeRaw(group, permutation, vm, raw);
        AllureReport.rawOutput(vm, raw);
    }

    @Override
    public void onLogs(VmGroupSpec group, FioPermutation permutation, String vm, byte[] gzip) {
        results.writeLogs(group, permutation, vm, gzip);
    }

    @Override
    public void onKept(VmGroupSpec group, String command) {
        results.writeKept(group, command);
    }

    @Override
    public void onJob(VmGroupSpec group, FioPermutation permutation, String job) {
        results.writeJob(group, permutation, job);
        AllureReport.text("fio job", job);
    }

    @Override
    public <T> T phase(String name, java.util.function.Supplier<T> work) {
        return AllureReport.step(name, work);
    }

    @Override
    public synchronized void onRun(FioRun run) {
        results.writeRun(run);
        AllureReport.metricsTable(run);
        runs.add(run);
    }

    /** The latest run of {@code permutation} on this group, if it ran. */
    synchronized java.util.Optional<FioRun> run(FioPermutation permutation) {
        for (int i = runs.size() - 1; i >= 0; i--) {
            if (runs.get(i).permutation().equals(permutation)) {
                return java.util.Optional.of(runs.get(i));
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * Writes the group's chart page from the permutations that ran — all of them, or what a filter, a resume or
     * a broken permutation left — and attaches it to the current test (the group's last). Nothing ran, nothing
     * drawn.
     */
    synchronized void drawCharts() {
        if (runs.isEmpty()) {
            return;
        }
        VmGroupSpec group = runs.get(0).group();
        String chart = Charts.group(group.toString(), runs);
        results.writeChart(group, chart);
        AllureReport.html("charts of group " + group + " (" + runs.size() + " permutation(s))", chart);
    }
}
