package dev.vmbench.junit;

import dev.vmbench.config.BenchConfig;
import dev.vmbench.gate.Baseline;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.Matrix;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.profile.FioJobs;
import dev.vmbench.profile.ProfileLibrary;
import dev.vmbench.profile.Thresholds;
import dev.vmbench.report.AllureReport;
import dev.vmbench.report.ResultStore;
import dev.vmbench.report.RunEnvironment;
import dev.vmbench.template.Templates;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything a run reads once — settings, profiles, thresholds, templates, the plan — and what it writes for
 * the whole run: its results folder and report environment. Closing it (the run is over) writes the summary.
 */
record Settings(String runId, BenchConfig config, ProfileLibrary profiles, Thresholds thresholds, Baseline baseline,
        Templates templates, FioJobs jobs, List<VmGroupSpec> groups, List<FioPermutation> permutations,
        ResultStore results, RunEnvironment environment) implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Settings.class);

    static Settings load(ExtensionContext root) {
        BenchConfig config = BenchConfig.from(root::getConfigurationParameter, System::getenv, Thresholds.KEYS);
        ProfileLibrary profiles = ProfileLibrary.load(config.profileDir());
        profiles.select(config.profiles());
        Thresholds thresholds = Thresholds.load(config.thresholdsFile(), config.thresholdOverrides());
        Baseline baseline = config.baseline().map(path -> Baseline.load(path, config.baselineThroughputDrop(),
                config.baselineLatencyRise())).orElse(Baseline.NONE);
        Templates templates = Templates.in(config.templateDir());
        FioJobs jobs = new FioJobs(profiles, templates, config.runtime(), config.ramp(), config.fileSizeBytes(),
                config.fioTimeoutMargin());
        List<VmGroupSpec> groups = Matrix.groups(config.pools(), config.vmSizes(), config.pvcSizes(),
                config.concurrency());
        List<FioPermutation> permutations = Matrix.permutations(config.profiles(), config.blockSizes(),
                name -> profiles.get(name).takesBlockSize());
        String runId = config.resume().orElseGet(() -> LocalDateTime.now().format(DateTimeFormatter.ofPattern(
                "yyyyMMdd-HHmmss")) + "-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(2)));
        // a group none of whose tests is selected is not provisioned
        groups = groups.stream().filter(g -> permutations.stream().anyMatch(p -> config.selection().selects(g, p)))
                .toList();
        ResultStore results;
        if (config.resume().isPresent()) {
            results = ResultStore.resume(config.resultsDir(), runId);
            java.util.Set<String> finished = results.finished();
            // a group with nothing left to run is not provisioned at all
            groups = groups.stream().filter(g -> permutations.stream()
                    .anyMatch(p -> !finished.contains(g.slug() + "/" + p.slug()))).toList();
            LOG.info("Resuming run {}: {} permutation(s) already finished; {} group(s) left", runId, finished.size(),
                    groups.size());
        } else {
            results = ResultStore.create(config.resultsDir(), runId);
            results.writePlan(plan(runId, config, groups, permutations));
        }
        AllureReport.categories(Path.of("allure/categories.json"));
        RunEnvironment environment = new RunEnvironment();
        environment.putAll(environment(runId, config, groups, permutations));
        LOG.info("vmbench run {}: {} VM group(s) x {} permutation(s) on {}; results in {}", runId, groups.size(),
                permutations.size(), config.embedded() ? "the embedded cluster" : "StorageClass(es) " + config.pools(),
                results.dir());
        if (!baseline.isNone()) {
            environment.put("baseline", baseline.toString());
        }
        return new Settings(runId, config, profiles, thresholds, baseline, templates, jobs, groups, permutations,
                results, environment);
    }

    /** Why this test of the matrix does not run, or empty if it does: excluded, or finished in an earlier session. */
    java.util.Optional<String> skipped(VmGroupSpec group, FioPermutation permutation) {
        if (!config.selection().selects(group, permutation)) {
            return java.util.Optional.of(group + " / " + permutation + " is not selected by vmbench.filter "
                    + config.selection().filter() + " / vmbench.exclude " + config.selection().exclude());
        }
        if (config.resume().isPresent() && results.finished().contains(group.slug() + "/" + permutation.slug())) {
            return java.util.Optional.of(group + " / " + permutation + " finished in an earlier session of run " + runId);
        }
        return java.util.Optional.empty();
    }

    @Override
    public void close() {
        environment.write();
        java.util.Map<String, String> pages = baseline.isNone() ? java.util.Map.of() : java.util.Map.of(
                "comparison with " + baseline, results.writeComparison(baseline.toString(),
                        baseline.compare(results.runs())));
        AllureReport.runSummary(runId, results.writeSummaryPage(), results.allPassed(), pages);
        LOG.info("vmbench run {} finished: summary in {}", runId, results.dir().resolve("summary.html"));
    }

    private static Map<String, Object> plan(String runId, BenchConfig config, List<VmGroupSpec> groups,
            List<FioPermutation> permutations) {
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("run", runId);
        plan.put("embedded", config.embedded());
        plan.put("groups", groups.stream().map(VmGroupSpec::toString).toList());
        plan.put("permutations", permutations.stream().map(FioPermutation::toString).toList());
        plan.put("tests", groups.size() * permutations.size());
        plan.put("vms", groups.stream().mapToInt(VmGroupSpec::concurrency).sum());
        plan.put("runtimeSeconds", config.runtime().toSeconds());
        plan.put("rampSeconds", config.ramp().toSeconds());
        return plan;
    }

    private static Map<String, String> environment(String runId, BenchConfig config, List<VmGroupSpec> groups,
            List<FioPermutation> permutations) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("run", runId);
        env.put("cluster", config.embedded() ? "embedded" : "kubeconfig");
        env.put("storage classes", String.join(", ", config.pools()));
        env.put("data source", config.dataSourceNamespace() + "/" + config.dataSourceName());
        env.put("volume mode", config.volumeMode().orElse("from the StorageClass's StorageProfile"));
        env.put("groups", String.valueOf(groups.size()));
        env.put("permutations", permutations.stream().map(FioPermutation::toString).toList().toString());
        env.put("runtime", config.runtime().toSeconds() + "s + ramp " + config.ramp().toSeconds() + "s");
        return env;
    }
}
