package dev.vmbench.junit;

import dev.vmbench.cluster.GroupEvents;
import dev.vmbench.fio.FioRun;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.report.AllureReport;
import dev.vmbench.report.ResultStore;
import java.util.Map;

/** Sends what a group reports to the results folder first (nothing lost) and then to the Allure report. */
final class GroupRecorder implements GroupEvents {

    private final ResultStore results;

    GroupRecorder(ResultStore results) {
        this.results = results;
    }

    @Override
    public void onManifest(VmGroupSpec group, String name, String yaml) {
        results.writeManifest(group, name, yaml);
    }

    @Override
    public void onProvisioned(VmGroupSpec group, Map<String, String> sysinfo, Map<String, Long> phaseMillis) {
        results.writeProvisioned(group, sysinfo, phaseMillis);
        sysinfo.forEach((vm, text) -> AllureReport.text("sysinfo " + vm, text));
        AllureReport.text("provisioning phases (ms)", phaseMillis.toString());
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
    public void onRun(FioRun run) {
        results.writeRun(run);
        AllureReport.metricsTable(run);
    }
}
