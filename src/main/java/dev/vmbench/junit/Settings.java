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
record Settings(String runId, String session, BenchConfig config, ProfileLibrary profiles, Thresholds thresholds, Baseline baseline,
        Templates templates, FioJobs jobs, List<VmGroupSpec> groups, List<FioPermutation> permutations,
        ResultStore results, RunEnvironment environment, Progress progress) implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Settings.class);

    static Settings load(ExtensionContext root) {
        ResultStore[] opened = new ResultStore[1];
        try {
            return load(root, opened);
        } catch (RuntimeException e) {
            // a run that cannot start lets its folder go at once: a resume with the right settings may follow
            if (opened[0] != null) {
                opened[0].close();
            }
            throw e;
        }
    }

    private static Settings load(ExtensionContext root, ResultStore[] opened) {
        java.util.Set<String> given = new java.util.HashSet<>(System.getProperties().stringPropertyNames());
        given.addAll(System.getenv().keySet());
        dev.vmbench.config.BenchProperties.requireKnown(given, Thresholds.KEYS);
        BenchConfig config = BenchConfig.from(root::getConfigurationParameter, System::getenv, Thresholds.KEYS);
        // an unknown fault is a wrong setting, not a cluster that cannot be reached: say so before anything starts
        for (String fault : config.embeddedFaults()) {
            try {
                dev.vmbench.embedded.Fault.parse(fault);
            } catch (IllegalArgumentException unknown) {
                throw new dev.vmbench.config.ConfigException("Setting vmbench.embedded.faults (env "
                        + "VMBENCH_EMBEDDED_FAULTS) = [" + String.join(",", config.embeddedFaults()) + "]: "
                        + unknown.getMessage());
            }
        }
        if (config.embedded()) {
            LOG.info("{}: no pool is set, so this run measures the local disk of this machine, not a cluster's "
                    + "storage (set -Dpool=<StorageClass> to measure one)", EMBEDDED);
        }
        ProfileLibrary profiles = ProfileLibrary.load(config.profileDir());
        profiles.select(config.profiles());
        Thresholds thresholds = Thresholds.load(config.thresholdsFile(), config.thresholdOverrides(),
                Thresholds.Names.of(profiles));
        Baseline baseline = config.baseline().map(path -> Baseline.load(path, config.baselineThroughputDrop(),
                config.baselineLatencyRise(), config.baselinePools())).orElse(Baseline.NONE);
        Templates templates = Templates.in(config.templateDir());
        FioJobs jobs = new FioJobs(profiles, templates, config.runtime(), config.ramp(), config.fileSizeBytes(),
                config.fioTimeoutMargin(), config.iodepth(), config.numjobs(), config.rateIops(), config.logInterval())
                .fittedTo(config.pvcSizes().stream().mapToLong(BenchConfig::quantityBytes).min().orElse(0));
        List<VmGroupSpec> groups = Matrix.groups(config.pools(), config.vmSizes(), config.pvcSizes(),
                config.concurrency());
        List<FioPermutation> permutations = Matrix.permutations(config.profiles(), config.blockSizes(),
                name -> profiles.get(name).takesBlockSize());
        requireFilesFit(config, jobs, permutations);
        String runId = config.resume().orElseGet(() -> LocalDateTime.now().format(DateTimeFormatter.ofPattern(
                "yyyyMMdd-HHmmss")) + "-" + newToken());
        // a group none of whose tests is selected is not provisioned
        groups = groups.stream().filter(g -> permutations.stream().anyMatch(p -> config.selection().selects(g, p)))
                .toList();
        ResultStore results;
        Map<String, String> planned = plannedSettings(config, profiles, templates);
        if (config.resume().isPresent()) {
            results = ResultStore.resume(config.resultsDir(), runId);
            opened[0] = results;
            requireSamePlan(runId, results.plannedSettings(), planned);
            java.util.Set<String> finished = results.finished();
            // a group with nothing left to run is not provisioned at all
            groups = groups.stream().filter(g -> permutations.stream()
                    .anyMatch(p -> !finished.contains(g.slug() + "/" + p.slug()))).toList();
            LOG.info("Resuming run {}: {} permutation(s) already finished; {} group(s) left", runId, finished.size(),
                    groups.size());
        } else {
            results = ResultStore.create(config.resultsDir(), runId);
            opened[0] = results;
            results.writePlan(plan(runId, config, groups, permutations, planned));
        }
        List<VmGroupSpec> selectedGroups = groups;
        int tests = (int) Matrix.groups(config.pools(), config.vmSizes(), config.pvcSizes(), config.concurrency())
                .stream().mapToLong(g -> permutations.stream().filter(p -> config.selection().selects(g, p)).count())
                .sum();
        results.plan(tests, config.embedded() ? EMBEDDED : "StorageClass(es) " + String.join(", ", config.pools()));
        List<String> notCompared;
        try {
            notCompared = baseline.notCompared(selectedGroups.stream().flatMap(g -> permutations.stream()
                    .filter(p -> config.selection().selects(g, p)).map(p -> g + " / " + p)).toList());
        } catch (IllegalArgumentException none) {
            throw new dev.vmbench.config.ConfigException(none.getMessage());
        }
        results.notCompared(notCompared);
        if (!notCompared.isEmpty()) {
            LOG.warn("{} of this run's test(s) have no numbers in {}, so they are not compared: {}", notCompared.size(),
                    baseline, notCompared);
        }
        boolean checks = config.resume().isEmpty() && !capabilityGroups(config).isEmpty();
        if (!config.dryRun() && selectedGroups.isEmpty() && !checks) {
            throw nothingToRun(runId, config, results);
        }
        // the report shows this run: what earlier runs (earlier JVMs) left in Allure's folder goes, history/ stays
        Path allureResults = AllureReport.resultsDirectory();
        int stale = AllureReport.removeEarlierResults(allureResults);
        if (stale > 0) {
            LOG.info("Removed {} Allure result file(s) earlier vmbench runs wrote in {} (history/ and other files "
                    + "kept)", stale, allureResults);
        }
        if (config.dryRun()) {
            dryRun(runId, config, templates, jobs, groups, permutations, results);
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
        // a resumed run names its resources afresh: a hard-killed earlier session may have left its own behind
        String session = config.resume().isPresent() ? runId + "-" + newToken() : runId;
        // what this session will run, for the progress lines: selected, and not finished in an earlier session
        java.util.Set<String> finished = config.resume().isPresent() ? results.finished() : java.util.Set.of();
        List<FioPermutation> toRun = config.dryRun() ? List.of() : groups.stream().flatMap(g -> permutations.stream()
                .filter(p -> config.selection().selects(g, p) && !finished.contains(g.slug() + "/" + p.slug()))).toList();
        Progress progress = new Progress(toRun.size(), toRun.stream().map(p -> fioTime(jobs, config, p)).reduce(java.time.Duration.ZERO,
                java.time.Duration::plus));
        return new Settings(runId, session, config, profiles, thresholds, baseline, templates, jobs, groups, permutations,
                results, environment, progress);
    }

    /** How a run on the embedded cluster is named wherever its results are shown. */
    static final String EMBEDDED = "embedded cluster: simulated, no StorageClass measured";

    /**
     * A run that selects no test would pass without measuring anything: it ends at once, {@code summary.json}
     * saying {@code not run} (a new run) and the build failing with why.
     */
    private static dev.vmbench.config.ConfigException nothingToRun(String runId, BenchConfig config,
            ResultStore results) {
        String why;
        if (config.resume().isPresent() && !results.finished().isEmpty()) {
            results.end();
            why = "Run [" + runId + "] has nothing left to run: each of its " + results.finished().size()
                    + " selected test(s) finished in an earlier session (its summary.json keeps the verdict). Fix: "
                    + "start a new run (leave out -Dvmbench.resume), or widen -Dvmbench.filter/-Dvmbench.exclude to "
                    + "tests it has not run.";
        } else {
            why = "No storage test was run: vmbench.filter " + config.selection().filter() + " / vmbench.exclude "
                    + config.selection().exclude() + " select none of the run's tests (pool:size:pvc:concurrency:"
                    + "profile:bs, e.g. " + example(config) + "; a capability check is pool:size:pvc:concurrency:"
                    + "capability:<name>), so nothing was measured. Fix: a filter that matches at least one test (the "
                    + "run's tests are listed by -Dvmbench.dryRun=true in plan.txt).";
            results.notRun(why);
        }
        LOG.error("{}", why);
        return new dev.vmbench.config.ConfigException(why);
    }

    private static String example(BenchConfig config) {
        return config.pools().get(0) + ":" + config.vmSizes().get(0).name() + ":" + config.pvcSizes().get(0) + ":"
                + config.concurrency().get(0) + ":" + config.profiles().get(0) + ":*";
    }

    /** The groups of one VM that run the storage capability checks: one per StorageClass with a check selected. */
    static List<VmGroupSpec> capabilityGroups(BenchConfig config) {
        return config.pools().stream().map(pool -> new VmGroupSpec(pool, config.vmSizes().get(0),
                config.pvcSizes().get(0), 1)).filter(g -> java.util.Arrays.stream(dev.vmbench.cluster.Capability
                        .values()).anyMatch(c -> config.selection().selectsCapability(g, c.spelling()))).toList();
    }

    private static String newToken() {
        return HexFormat.of().formatHex(new SecureRandom().generateSeed(2));
    }

    /** Why this test of the matrix does not run, or empty if it does: excluded, or finished in an earlier session. */
    java.util.Optional<String> skipped(VmGroupSpec group, FioPermutation permutation) {
        if (config.dryRun()) {
            return java.util.Optional.of("dry run: " + group + " / " + permutation + " is planned, not run (see "
                    + results.dir().resolve("plan.txt") + ")");
        }
        if (!config.selection().selects(group, permutation)) {
            return java.util.Optional.of(group + " / " + permutation + " is not selected by vmbench.filter "
                    + config.selection().filter() + " / vmbench.exclude " + config.selection().exclude());
        }
        if (config.resume().isPresent() && results.finished().contains(group.slug() + "/" + permutation.slug())) {
            return java.util.Optional.of(group + " / " + permutation + " finished in an earlier session of run " + runId);
        }
        return java.util.Optional.empty();
    }

    /** The last permutation {@code group} runs in this session (selected, not finished before), if any. */
    java.util.Optional<FioPermutation> lastToRun(VmGroupSpec group) {
        return permutations.stream().filter(p -> skipped(group, p).isEmpty()).reduce((a, b) -> b);
    }

    @Override
    public void close() {
        progress.close();
        results.end();
        environment.write();
        java.util.Map<String, String> pages = baseline.isNone() ? java.util.Map.of() : java.util.Map.of(
                "comparison with " + baseline, results.writeComparison(baseline.toString(),
                        baseline.compare(results.runs())));
        AllureReport.runSummary(runId, results.writeSummaryPage(), results.status(), pages);
        AllureReport.recordWritten(AllureReport.resultsDirectory());
        LOG.info("vmbench run {} finished, {}: summary in {}", runId, results.status(),
                results.dir().resolve("summary.html"));
        results.close();
    }

    /**
     * Prints and writes the plan ({@code plan.txt}) and renders every group's manifests into the results folder
     * (Secret data redacted), touching no cluster. Every test is then skipped ({@link #skipped}).
     */
    private static void dryRun(String runId, BenchConfig config, Templates templates, FioJobs jobs,
            List<VmGroupSpec> groups, List<FioPermutation> permutations, ResultStore results) {
        try (io.fabric8.kubernetes.client.KubernetesClient cluster = readOnlyCluster(config).orElse(null)) {
            dryRun(runId, config, templates, jobs, groups, permutations, results, cluster);
        }
    }

    /**
     * The kubeconfig's cluster, if there is one and it answers: a dry run reads StorageClasses and StorageProfiles
     * from it (never writes), so its manifests are what a run would apply.
     */
    private static java.util.Optional<io.fabric8.kubernetes.client.KubernetesClient> readOnlyCluster(BenchConfig config) {
        if (config.embedded()) {
            return java.util.Optional.empty();
        }
        try {
            dev.vmbench.cluster.Kubeconfig.locate();
        } catch (RuntimeException none) {
            LOG.info("Dry run without a cluster: {}", none.getMessage().lines().findFirst().orElse(""));
            return java.util.Optional.empty();
        }
        io.fabric8.kubernetes.client.KubernetesClient client = new io.fabric8.kubernetes.client.KubernetesClientBuilder()
                .withConfig(new io.fabric8.kubernetes.client.ConfigBuilder(io.fabric8.kubernetes.client.Config
                        .autoConfigure(null)).withRequestRetryBackoffLimit(0).withConnectionTimeout(5_000)
                        .withRequestTimeout(10_000).build()).build();
        try {
            client.storage().v1().storageClasses().withName(config.pools().get(0)).get();
            return java.util.Optional.of(client);
        } catch (RuntimeException unreachable) {
            LOG.info("Dry run: the kubeconfig's cluster did not answer ({}); fields it decides stay unknown",
                    unreachable.getMessage());
            client.close();
            return java.util.Optional.empty();
        }
    }

    private static void dryRun(String runId, BenchConfig config, Templates templates, FioJobs jobs,
            List<VmGroupSpec> groups, List<FioPermutation> permutations, ResultStore results,
            io.fabric8.kubernetes.client.KubernetesClient cluster) {
        dev.vmbench.cluster.VmGroupProvisioner renderer = new dev.vmbench.cluster.VmGroupProvisioner(cluster, null,
                config, templates, null, dev.vmbench.guest.SshIdentity.generate(), runId, jobs);
        StringBuilder plan = new StringBuilder("vmbench dry run " + runId + ": nothing is created\n");
        java.time.Duration total = java.time.Duration.ZERO;
        int tests = 0;
        int vms = 0;
        for (VmGroupSpec group : groups) {
            renderer.renderInto(group, (name, yaml) -> results.writeManifest(group, name, yaml));
            List<FioPermutation> selected = permutations.stream().filter(p -> config.selection().selects(group, p))
                    .toList();
            java.time.Duration fio = selected.stream().map(p -> fioTime(jobs, config, p)).reduce(java.time.Duration.ZERO,
                    java.time.Duration::plus);
            plan.append(String.format(java.util.Locale.ROOT, "  group %s: %d VM(s), %d test(s), data PVCs %d x %s, fio %s%n",
                    group, group.concurrency(), selected.size(), group.concurrency(), group.pvcSize(), minutes(fio)));
            selected.forEach(p -> plan.append("    ").append(p).append(" (").append(minutes(fioTime(jobs, config, p)))
                    .append(": ").append(jobs.phases(p)).append(" phase(s) of runtime + ramp, ")
                    .append(jobs.files(p).size()).append(" file(s) of ").append(jobs.fileSize(p) >> 20).append(" MiB")
                    .append(config.samples() > 1 ? ", " + config.samples() + " samples" : "").append(")\n"));
            total = total.plus(fio);
            tests += selected.size();
            vms = Math.max(vms, group.concurrency());
        }
        // the jobs exactly as the guests will get them
        for (FioPermutation p : permutations) {
            results.writeDryRunJob(p, jobs.render(p));
        }
        plan.append(String.format(java.util.Locale.ROOT, "%d group(s), %d test(s), at most %d VM(s) at once, data PVC "
                + "capacity %s in all (groups run one after another, so at most %s at once); fio time %s (every "
                + "stonewalled phase of every test runs runtime + ramp, one test after another) plus provisioning "
                + "(minutes per group on a real cluster); manifests in %s, jobs in %s%n", groups.size(), tests, vms,
                capacity(groups.stream().mapToLong(g -> g.concurrency() * BenchConfig.bytes(g.pvcSize())).sum()),
                capacity(groups.stream().mapToLong(g -> g.concurrency() * BenchConfig.bytes(g.pvcSize())).max()
                        .orElse(0)), minutes(total), results.dir().resolve("manifests"), results.dir().resolve("jobs")));
        List<String> unknown = renderer.unknownUntilTheRun();
        if (unknown.isEmpty()) {
            plan.append("Data-disk claim properties and evictionStrategy were read (read-only) from ")
                    .append(cluster.getMasterUrl()).append('\n');
        } else {
            plan.append("Unknown until the run asks the cluster:\n");
            unknown.forEach(u -> plan.append("  - ").append(u).append('\n'));
        }
        LOG.info("{}", plan);
        results.writePlanText(plan.toString());
    }

    private static String capacity(long bytes) {
        return bytes >= (1L << 40) ? String.format(java.util.Locale.ROOT, "%.1fTi", bytes / (double) (1L << 40))
                : String.format(java.util.Locale.ROOT, "%.0fGi", bytes / (double) (1L << 30));
    }

    private static String minutes(java.time.Duration d) {
        if (d.toHours() > 0) {
            return d.toHours() + " h " + d.toMinutesPart() + " min";
        }
        return d.toMinutes() > 0 ? d.toMinutes() + " min " + d.toSecondsPart() + " s" : d.toSeconds() + " s";
    }

    /**
     * What decides what a run measures, as settings names and values (files by their content's digest): a
     * resumed run must measure the same, so {@link #requireSamePlan} compares these with {@code plan.json}.
     * Selection (filter, exclude) may change between sessions.
     */
    static Map<String, String> plannedSettings(BenchConfig config, ProfileLibrary profiles, Templates templates) {
        Map<String, String> settings = new java.util.TreeMap<>();
        settings.put("pool", String.join(",", config.pools()));
        settings.put("vmbench.vmSizes", config.vmSizes().stream().map(Object::toString).collect(
                java.util.stream.Collectors.joining(",")));
        settings.put("vmbench.pvcSizes", String.join(",", config.pvcSizes()));
        settings.put("vmbench.concurrency", config.concurrency().stream().map(String::valueOf).collect(
                java.util.stream.Collectors.joining(",")));
        settings.put("vmbench.profiles", String.join(",", config.profiles()));
        settings.put("vmbench.blockSizes", config.blockSizes().stream().map(Object::toString).collect(
                java.util.stream.Collectors.joining(",")));
        settings.put("vmbench.runtime", config.runtime().toSeconds() + "s");
        settings.put("vmbench.ramp", config.ramp().toSeconds() + "s");
        settings.put("vmbench.fileSize", config.fileSizeBytes() + " bytes");
        settings.put("vmbench.iodepth", String.valueOf(config.iodepth()));
        settings.put("vmbench.numjobs", String.valueOf(config.numjobs()));
        settings.put("vmbench.rateIops", String.valueOf(config.rateIops()));
        settings.put("vmbench.samples", String.valueOf(config.samples()));
        settings.put("vmbench.volumeMode", config.volumeMode().orElse("(the StorageProfile's)"));
        settings.put("vmbench.dataSource", config.dataSourceNamespace() + "/" + config.dataSourceName());
        settings.put("vmbench.rootDiskSize", config.rootDiskSize());
        settings.put("vmbench.rootStorageClass", config.rootStorageClass().orElse("(the default class)"));
        if (config.embedded()) {
            settings.put("vmbench.embedded.guests", config.embeddedGuests());
        }
        settings.put("vmbench.thresholds", digest(read(config.thresholdsFile())));
        config.thresholdOverrides().forEach((key, value) -> settings.put("vmbench.threshold." + key, value));
        for (String name : config.profiles()) {
            settings.put("profile " + name + " (" + config.profileDir().resolve(name + ".fio") + ")",
                    digest(profiles.get(name).sections()));
        }
        settings.put("fio job template (" + config.templateDir().resolve("fio-job.fio.mustache") + ")",
                digest(new String(templates.file("fio-job.fio.mustache"), java.nio.charset.StandardCharsets.UTF_8)));
        return settings;
    }

    /**
     * A job that lays out several files (fio's own file per clone, as the bash suite's db-oltp has) shares the data
     * disk: {@link FioJobs#fittedTo} sizes its files down so they fit the smallest PVC with 10 % to spare, and this says
     * so. A disk too small for even 1 MiB per file is refused.
     */
    static void requireFilesFit(BenchConfig config, FioJobs jobs, List<FioPermutation> permutations) {
        java.util.Set<String> told = new java.util.HashSet<>();
        for (FioPermutation permutation : permutations) {
            int files = jobs.files(permutation).size();
            long size = jobs.fileSize(permutation);
            long needed = files * size;
            long smallest = config.pvcSizes().stream().mapToLong(BenchConfig::quantityBytes).min().orElse(0);
            if (size < (1L << 20) || smallest < needed + needed / 10) {
                throw new dev.vmbench.config.ConfigException("Profile [" + permutation.profile() + "] lays out " + files
                        + " files of " + (size >> 20) + " MiB on each VM's data disk (" + (needed >> 20) + " MiB, plus "
                        + "10 % to spare), which does not fit the smallest PVC size of " + config.pvcSizes() + ", or "
                        + "leaves less than 1 MiB a file. Fix: a larger -Dvmbench.pvcSizes, or leave the profile out of "
                        + "-Dvmbench.profiles.");
            }
            if (size < config.fileSizeBytes() && told.add(permutation.profile())) {
                LOG.info("Profile {} lays out {} files on each data disk: each is {} MiB instead of vmbench.fileSize "
                        + "{} MiB, so together they fit the smallest PVC ({}) with 10 % to spare", permutation.profile(),
                        files, size >> 20, config.fileSizeBytes() >> 20, config.pvcSizes().stream().min(
                                java.util.Comparator.comparingLong(BenchConfig::quantityBytes)).orElse(""));
            }
        }
    }

    /** How long a permutation's fio runs when nothing goes wrong: its phases back to back, once per sample. */
    java.time.Duration fioTime(FioPermutation permutation) {
        return fioTime(jobs, config, permutation);
    }

    private static java.time.Duration fioTime(FioJobs jobs, BenchConfig config, FioPermutation permutation) {
        return jobs.expected(permutation).multipliedBy(config.samples());
    }

    /** Refuses to resume a run whose settings changed, naming every difference and the fix. */
    static void requireSamePlan(String runId, Map<String, String> before, Map<String, String> now) {
        if (before.isEmpty()) {
            throw new dev.vmbench.config.ConfigException("Run [" + runId + "] cannot be resumed: its plan.json records "
                    + "no settings, so vmbench cannot tell whether this session would measure the same. Fix: start a "
                    + "new run (leave out -Dvmbench.resume).");
        }
        List<String> changed = new java.util.ArrayList<>();
        java.util.Set<String> keys = new java.util.TreeSet<>(before.keySet());
        keys.addAll(now.keySet());
        for (String key : keys) {
            String was = before.get(key);
            String is = now.get(key);
            if (!java.util.Objects.equals(was, is)) {
                boolean content = DIGEST.matcher(was == null ? is : was).matches();
                changed.add(!content ? key + " was [" + (was == null ? "unset" : was) + "], now ["
                        + (is == null ? "unset" : is) + "]"
                        : was == null ? key + " was not in the plan" : is == null ? key + " is no longer in the plan"
                        : key + " changed (content digest " + was.substring(0, 12) + " → " + is.substring(0, 12) + ")");
            }
        }
        if (!changed.isEmpty()) {
            throw new dev.vmbench.config.ConfigException("Run [" + runId + "] cannot be resumed with other settings: a "
                    + "resumed run must measure what its first session measured, and these differ from its plan.json: "
                    + String.join("; ", changed) + ". Fix: resume with the run's own settings (listed under \"settings\" "
                    + "in its plan.json), or start a new run (leave out -Dvmbench.resume).");
        }
    }

    private static String read(Path file) {
        try {
            return java.nio.file.Files.readString(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("Cannot read " + file.toAbsolutePath(), e);
        }
    }

    /** A file's content, as {@link #plannedSettings} records it: a SHA-256 in hex. */
    private static final java.util.regex.Pattern DIGEST = java.util.regex.Pattern.compile("[0-9a-f]{64}");

    private static String digest(String text) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private static Map<String, Object> plan(String runId, BenchConfig config, List<VmGroupSpec> groups,
            List<FioPermutation> permutations, Map<String, String> settings) {
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("run", runId);
        plan.put("embedded", config.embedded());
        plan.put("groups", groups.stream().map(VmGroupSpec::toString).toList());
        plan.put("permutations", permutations.stream().map(FioPermutation::toString).toList());
        plan.put("tests", groups.size() * permutations.size());
        plan.put("vms", groups.stream().mapToInt(VmGroupSpec::concurrency).sum());
        plan.put("runtimeSeconds", config.runtime().toSeconds());
        plan.put("rampSeconds", config.ramp().toSeconds());
        plan.put("settings", settings);
        return plan;
    }

    private static Map<String, String> environment(String runId, BenchConfig config, List<VmGroupSpec> groups,
            List<FioPermutation> permutations) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("run", runId);
        env.put("cluster", config.embedded() ? EMBEDDED + " (" + config.embeddedGuests() + " guests)" : "kubeconfig");
        env.put("storage classes", String.join(", ", config.pools()));
        env.put("data source", config.dataSourceNamespace() + "/" + config.dataSourceName());
        env.put("volume mode", config.volumeMode().orElse("from the StorageClass's StorageProfile"));
        env.put("groups", String.valueOf(groups.size()));
        env.put("permutations", permutations.stream().map(FioPermutation::toString).toList().toString());
        env.put("runtime", config.runtime().toSeconds() + "s + ramp " + config.ramp().toSeconds() + "s");
        return env;
    }
}
