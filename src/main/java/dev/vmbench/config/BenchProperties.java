package dev.vmbench.config;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * Every setting vmbench reads: its key, environment name, default and meaning. The README's settings table
 * is checked against {@link #ALL}.
 *
 * <p>A key is looked up as a JUnit configuration parameter (which covers {@code -Dkey=value} system
 * properties, {@code junit-platform.properties} and Launcher parameters), then as the environment variable
 * {@code VMBENCH_<KEY>} (dots and dashes become underscores).
 */
public final class BenchProperties {

    /** One setting. {@code embeddedDefault} applies when no StorageClass is given (the embedded cluster). */
    public record Key(String name, String defaultValue, String embeddedDefault, String example, String meaning) {
        public String env() {
            return envName(name);
        }

        String defaultFor(boolean embedded) {
            return embedded ? embeddedDefault : defaultValue;
        }
    }

    public static final Key POOL = new Key("pool", "", "", "-Dpool=ocs-storagecluster-ceph-rbd",
            "StorageClass(es) under test, comma-separated; empty runs the embedded cluster");
    public static final Key VM_SIZES = new Key("vmbench.vmSizes", "medium", "small", "small,large or 4x8Gi",
            "VM sizes: small (2 CPUs, 4Gi), medium (4, 8Gi), large (8, 16Gi) as the bash suite defines them, xlarge "
                    + "(16, 32Gi) or CPUSxMEMORY");
    public static final Key PVC_SIZES = new Key("vmbench.pvcSizes", "50Gi", "1Gi", "50Gi,200Gi",
            "data-disk PVC sizes (Kubernetes quantities)");
    public static final Key CONCURRENCY = new Key("vmbench.concurrency", "1,4", "1,2", "1,4,8",
            "VMs per group running fio at the same instant");
    public static final Key PROFILES = new Key("vmbench.profiles",
            "sequential-rw,random-rw,mixed-70-30,mixed-70-30-capped,db-oltp,app-server,data-pipeline",
            "sequential-rw,random-rw,db-oltp", "random-rw,db-oltp",
            "fio profiles from test-profiles/profiles/");
    public static final Key BLOCK_SIZES = new Key("vmbench.blockSizes", "4k,64k,1m", "4k,64k", "4k,128k",
            "block sizes for profiles that take one (fixed-size profiles run once as \"native\")");
    public static final Key RUNTIME = new Key("vmbench.runtime", "60s", "2s", "2m",
            "measured fio time per job section");
    public static final Key RAMP = new Key("vmbench.ramp", "10s", "0s", "15s",
            "fio warm-up per job section, not measured");
    public static final Key FILE_SIZE = new Key("vmbench.fileSize", "4GiB", "64MiB", "8GiB",
            "size of fio's test file on the data disk (must fit the PVC)");
    public static final Key IODEPTH = new Key("vmbench.iodepth", "32", "32", "16",
            "${IODEPTH} of job-file profiles (the bash suite's FIO_IODEPTH)");
    public static final Key NUMJOBS = new Key("vmbench.numjobs", "4", "4", "8",
            "${NUMJOBS} of job-file profiles (the bash suite's FIO_NUMJOBS)");
    public static final Key RATE_IOPS = new Key("vmbench.rateIops", "0", "0", "500",
            "${RATE_IOPS_LINE} of job-file profiles: rate_iops=N per job, or no cap when 0 (the bash suite's FIO_RATE_IOPS)");
    public static final Key SAMPLES = new Key("vmbench.samples", "1", "1", "3",
            "how many times each permutation runs on the same group; the test judges the median (by total IOPS) and "
                    + "reports the spread");
    public static final Key LOG_INTERVAL = new Key("vmbench.logInterval", "1s", "250ms", "100ms",
            "fio's IOPS, bandwidth and completion-latency logs averaged over this (log_avg_msec), from every VM: the "
                    + "time-series charts and iops-drift; 0 turns them off");
    public static final Key QD_DEPTHS = new Key("vmbench.qd.depths", "1,2,4,8,16,32,64", "1,2,4,8,16,32,64",
            "1,4,16,64", "QueueDepthIT: the queue depths swept, in order, on the same VMs and file");
    public static final Key QD_PROFILE = new Key("vmbench.qd.profile", "random-rw", "random-rw", "mixed-70-30",
            "QueueDepthIT: the job-file profile swept (it must write iodepth=${IODEPTH})");
    public static final Key QD_BLOCK_SIZE = new Key("vmbench.qd.blockSize", "4k", "4k", "8k",
            "QueueDepthIT: the block size of the sweep");
    public static final Key QD_P99_TARGET = new Key("vmbench.qd.p99Target", "5ms", "5ms", "2ms",
            "QueueDepthIT: the latency target: the highest IOPS whose worst p99 (every VM and direction) stays within it");
    public static final Key DENSITY_MAX_VMS = new Key("vmbench.density.maxVms", "64", "8", "128",
            "VmDensityIT: the most VMs a density search grows its group to");
    public static final Key DENSITY_PROFILE = new Key("vmbench.density.profile", "density-rated", "density-rated",
            "my-rated", "VmDensityIT: the rated workload every VM runs in each step");
    public static final Key DENSITY_P99_SLA = new Key("vmbench.density.p99Sla", "5ms", "5ms", "10ms",
            "VmDensityIT: the SLA every VM's read and write p99 must keep for a step to count");
    public static final Key POD_BASELINE_IMAGE = new Key("vmbench.podBaseline.image",
            "quay.io/cloud-bulldozer/fio:latest", "quay.io/cloud-bulldozer/fio:latest", "registry.example.com/tools/fio:3.35",
            "PodBaselineIT: the image of the baseline pod; it needs bash, fio and coreutils and runs as a non-root user");
    public static final Key CAPABILITY_TIMEOUT = new Key("vmbench.capabilities.timeout", "10m", "1m", "30m",
            "StorageCapabilitiesIT: the longest wait for one operation (snapshot, restore, clone, migration, expansion) "
                    + "when its thresholds set no max-… limit; a limit that is set is the wait");
    public static final Key MIGRATION_LOAD = new Key("vmbench.capabilities.migrationLoad", "60s", "6s", "120s",
            "StorageCapabilitiesIT: how long fio runs (100 ms logs) in the VM that is live-migrated; a third of it "
                    + "before the migration starts");
    public static final Key NAMESPACE = new Key("vmbench.namespace", "vmbench", "vmbench", "storage-qa",
            "namespace the VMs are created in");
    public static final Key DATA_SOURCE = new Key("vmbench.dataSource", "openshift-virtualization-os-images/fedora",
            "openshift-virtualization-os-images/fedora", "my-images/rhel9",
            "NAMESPACE/NAME of the CDI DataSource the root disks are cloned from");
    public static final Key ROOT_DISK_SIZE = new Key("vmbench.rootDiskSize", "30Gi", "1Gi", "40Gi",
            "size of each VM's cloned root disk");
    public static final Key VOLUME_MODE = new Key("vmbench.volumeMode", "", "", "Block",
            "volumeMode of the data-disk PVC: Filesystem or Block; by default the StorageClass's CDI StorageProfile's");
    public static final Key SSH_USER = new Key("vmbench.sshUser", "vmbench", "vmbench", "fedora",
            "user cloud-init creates and the harness logs in as");
    public static final Key CLEANUP = new Key("vmbench.cleanup", "always", "always", "on-success",
            "when groups are deleted: always, on-success (keep failed groups), never");
    public static final Key READY_TIMEOUT = new Key("vmbench.readyTimeout", "15m", "2m", "30m",
            "how long a group may take from create until its VMs are ready (SSH answers, cloud-init finished)");
    public static final Key TRANSIENT_GRACE = new Key("vmbench.transientGrace", "2m", "3s", "5m",
            "how long a VM may stay in DataVolumeError or ErrorPvcNotFound before that counts as a failure");
    public static final Key CLONE_STALL_TIMEOUT = new Key("vmbench.cloneStallTimeout", "5m", "5s", "10m",
            "how long a root-disk clone's progress may stand still before it counts as stalled");
    public static final Key THRESHOLDS = new Key("vmbench.thresholds", "test-profiles/thresholds.yaml",
            "test-profiles/thresholds.yaml", "my-gates.yaml", "thresholds file");
    public static final Key THRESHOLD = new Key("vmbench.threshold.<key>", "", "", "-Dvmbench.threshold.max-clat-p99=20ms",
            "override one threshold key for every test of the run");
    public static final Key PROFILE_DIR = new Key("vmbench.profileDir", "test-profiles/profiles",
            "test-profiles/profiles", "my-profiles", "folder of fio profile files");
    public static final Key TEMPLATE_DIR = new Key("vmbench.templateDir", "templates", "templates", "my-templates",
            "folder of manifest, cloud-init and job templates");
    public static final Key RESULTS_DIR = new Key("vmbench.resultsDir", "target/vmbench", "target/vmbench",
            "/data/vmbench-runs", "where each run's folder of results is written");

    public static final Key CONNECTOR = new Key("vmbench.connector", "portforward", "portforward", "pod",
            "how SSH reaches a guest: portforward (VMI subresource via the API), pod (virt-launcher port-forward), "
                    + "direct (VMI address; in-cluster)");
    public static final Key SSH_PORT = new Key("vmbench.sshPort", "22", "2222", "22",
            "the guests' SSH port");
    public static final Key KEEP_KEYS = new Key("vmbench.keepKeys", "false", "false", "true",
            "write the run's SSH client key to the results folder (for debugging by hand); off by default");
    public static final Key TRACE = new Key("vmbench.trace", "true", "false", "true",
            "write trace.jsonl.gz: every watch event and API error of the run's objects, to replay a run");
    public static final Key EMBEDDED_REPLAY = new Key("vmbench.embedded.replay", "", "", "target/vmbench/<run>/trace.jsonl.gz",
            "embedded cluster only: a trace whose recorded states drive the simulated objects instead of the simulation");
    public static final Key FIO_TIMEOUT_MARGIN = new Key("vmbench.fioTimeoutMargin", "2m", "30s", "10m",
            "slack on top of (runtime + ramp) × sections + file layout before fio counts as hung");
    public static final Key BASELINE = new Key("vmbench.baseline", "", "", "target/vmbench/20261120-101500-ab12",
            "an earlier run (folder or summary.json) to compare every permutation with");
    public static final Key BASELINE_POOLS = new Key("vmbench.baselinePools", "", "", "rep3=ocs-storagecluster-ceph-rbd",
            "a bash-suite baseline's pool aliases as StorageClasses, ALIAS=STORAGECLASS comma-separated");
    public static final Key BASELINE_THROUGHPUT_DROP = new Key("vmbench.baselineThroughputDrop", "10%", "10%", "5%",
            "largest fall in total IOPS per job section and direction that is not a regression");
    public static final Key BASELINE_LATENCY_RISE = new Key("vmbench.baselineLatencyRise", "20%", "20%", "50%",
            "largest rise in worst-VM p99 latency that is not a regression");
    public static final Key FILTER = new Key("vmbench.filter", "", "", "*:*:*:8:db-*",
            "run only tests matching one of these globs (pool:size:pvc:concurrency:profile:bs, comma-separated)");
    public static final Key EXCLUDE = new Key("vmbench.exclude", "", "", "*:*:*:*:*:1m",
            "skip tests matching any of these globs (same form as vmbench.filter)");
    public static final Key PRESET = new Key("vmbench.preset", "gate", "", "quick",
            "a real cluster's matrix: gate (the defaults), or the bash suite's modes quick, overview, rank, full");
    public static final Key DRY_RUN = new Key("vmbench.dryRun", "false", "false", "true",
            "print the plan (groups, tests, VMs, PVC capacity, ETA) and write the manifests; create nothing");
    public static final Key RESUME = new Key("vmbench.resume", "", "", "20261123-081549-24e0",
            "continue an interrupted run: its folder is reused and permutations it finished (passed or failed) are "
                    + "skipped; a group with none left is not provisioned");
    public static final Key SWEEP = new Key("vmbench.sweep", "false", "false", "true",
            "before the run, delete what earlier runs left in the namespace (by label), and report it");
    public static final Key ROOT_STORAGE_CLASS = new Key("vmbench.rootStorageClass", "", "", "ocs-storagecluster-ceph-rbd-virtualization",
            "StorageClass of the cloned root disks; by default the cluster's default (virt) class");
    public static final Key EVICTION_STRATEGY = new Key("vmbench.evictionStrategy", "auto", "auto", "None",
            "the VMs' evictionStrategy: auto (LiveMigrate when every disk is ReadWriteMany, else None), LiveMigrate, "
                    + "LiveMigrateIfPossible, None or External");
    public static final Key EMBEDDED_FAULTS = new Key("vmbench.embedded.faults", "", "", "unschedulable,fio-fails",
            "embedded cluster only: failures to act out (unschedulable, data-volume-failed, fio-fails, wrong-host-key)");
    public static final Key EMBEDDED_GUESTS = new Key("vmbench.embedded.guests", "sandbox", "sandbox", "qemu",
            "embedded cluster only: what a VM is, sandbox (a folder and an SSH server, seconds) or qemu (Debian booted "
                    + "under QEMU with real cloud-init and systemd, about 90 s per VM)");
    public static final Key EMBEDDED_IMAGE_CACHE = new Key("vmbench.embedded.imageCache", "~/.cache/vmbench/guest-images",
            "~/.cache/vmbench/guest-images", "/var/cache/vmbench", "where QEMU guests' Debian image is built once and kept");

    public static final List<Key> ALL = List.of(POOL, VM_SIZES, PVC_SIZES, CONCURRENCY, PROFILES, BLOCK_SIZES,
            RUNTIME, RAMP, FILE_SIZE, IODEPTH, NUMJOBS, RATE_IOPS, SAMPLES, LOG_INTERVAL, QD_DEPTHS, QD_PROFILE, QD_BLOCK_SIZE, QD_P99_TARGET,
            DENSITY_MAX_VMS, DENSITY_PROFILE, DENSITY_P99_SLA, POD_BASELINE_IMAGE,
            CAPABILITY_TIMEOUT, MIGRATION_LOAD, NAMESPACE, DATA_SOURCE, ROOT_DISK_SIZE, VOLUME_MODE, SSH_USER, CLEANUP,
            READY_TIMEOUT, TRANSIENT_GRACE, CLONE_STALL_TIMEOUT, THRESHOLDS, THRESHOLD, PROFILE_DIR, TEMPLATE_DIR, RESULTS_DIR, CONNECTOR, SSH_PORT,
            KEEP_KEYS, TRACE, EMBEDDED_REPLAY, FIO_TIMEOUT_MARGIN, BASELINE, BASELINE_POOLS, BASELINE_THROUGHPUT_DROP, BASELINE_LATENCY_RISE, FILTER, EXCLUDE, PRESET, DRY_RUN, RESUME, SWEEP,
            ROOT_STORAGE_CLASS, EVICTION_STRATEGY, EMBEDDED_FAULTS, EMBEDDED_GUESTS, EMBEDDED_IMAGE_CACHE);

    /**
     * What QEMU guests change from the embedded defaults (an explicit setting still wins): a software-emulated
     * boot takes minutes, not seconds, one VM per group keeps a run short, and the root disk holds the image.
     */
    static final java.util.Map<Key, String> QEMU_GUESTS = java.util.Map.of(READY_TIMEOUT, "10m",
            FIO_TIMEOUT_MARGIN, "3m", CONCURRENCY, "1", ROOT_DISK_SIZE, "4Gi", TRANSIENT_GRACE, "30s",
            // QEMU's own migration of the guest's memory takes seconds under emulation: the load must outlast it
            MIGRATION_LOAD, "20s");

    /** What each preset changes from the defaults (a real cluster only); an explicit setting still wins. */
    static final java.util.Map<String, java.util.Map<Key, String>> PRESETS = java.util.Map.of(
            // the bash suite's modes, matrix for matrix (its runtime 120 s + 10 s ramp unless a mode says otherwise)
            "quick", java.util.Map.of(VM_SIZES, "small", PVC_SIZES, "150Gi", CONCURRENCY, "1",
                    PROFILES, "random-rw,sequential-rw", BLOCK_SIZES, "4k,1m", RUNTIME, "120s", RAMP, "10s"),
            "overview", java.util.Map.of(VM_SIZES, "small", PVC_SIZES, "150Gi", CONCURRENCY, "1",
                    PROFILES, "random-rw,sequential-rw", BLOCK_SIZES, "4k,1m", RUNTIME, "120s", RAMP, "10s",
                    FILTER, "*:*:*:*:random-rw:4k,*:*:*:*:sequential-rw:1m"),
            "rank", java.util.Map.of(VM_SIZES, "medium", PVC_SIZES, "150Gi", CONCURRENCY, "1",
                    PROFILES, "random-rw,sequential-rw,mixed-70-30", BLOCK_SIZES, "4k,1m", RUNTIME, "60s", RAMP, "10s",
                    FILTER, "*:*:*:*:random-rw:4k,*:*:*:*:sequential-rw:1m,*:*:*:*:mixed-70-30:4k"),
            "full", java.util.Map.of(VM_SIZES, "small,medium,large", PVC_SIZES, "150Gi,500Gi,1000Gi",
                    CONCURRENCY, "1,5,10", PROFILES, "sequential-rw,random-rw,mixed-70-30,db-oltp,app-server,data-pipeline",
                    BLOCK_SIZES, "4k,64k,1m", RUNTIME, "120s", RAMP, "10s"),
            // vmbench's own default gate
            "gate", java.util.Map.of());

    /** The Debian mirror the QEMU guest image is built from, an environment variable of the image's recipe. */
    public static final String DEBIAN_MIRROR_ENV = "VMBENCH_DEBIAN_MIRROR";

    /** The prefix of per-key threshold overrides, {@code vmbench.threshold.<key>}. */
    public static final String THRESHOLD_PREFIX = "vmbench.threshold.";

    private BenchProperties() {
    }

    /**
     * The raw value of a key: configuration parameter first (also {@code vmbench.pool} for {@code pool}),
     * then environment.
     */
    static Optional<String> raw(String name, Function<String, Optional<String>> parameters,
            Function<String, String> environment) {
        Optional<String> value = parameters.apply(name);
        if (value.isEmpty() && name.equals(POOL.name())) {
            value = parameters.apply("vmbench.pool");
        }
        if (value.isEmpty()) {
            value = Optional.ofNullable(environment.apply(envName(name)));
        }
        return value.map(String::trim);
    }

    /** {@code vmbench.fileSize} → {@code VMBENCH_FILESIZE}: dots and dashes become underscores. */
    static String envName(String name) {
        String bare = name.startsWith("vmbench.") ? name.substring("vmbench.".length()) : name;
        return "VMBENCH_" + bare.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /**
     * Refuses a {@code vmbench.*} system property or {@code VMBENCH_*} environment variable that is no setting:
     * a misspelt key would otherwise be ignored and the run would use the default without a word.
     *
     * @param given the names set (system properties and environment variables)
     * @param thresholdKeys the keys {@code vmbench.threshold.<key>} may name
     * @throws ConfigException naming the unknown setting and the closest known one
     */
    public static void requireKnown(java.util.Collection<String> given, List<String> thresholdKeys) {
        java.util.Set<String> known = new java.util.TreeSet<>();
        for (Key key : ALL) {
            if (key != THRESHOLD) {
                known.add(key.name());
            }
        }
        known.add("vmbench.pool");
        // read by the QEMU guest image's recipe (src/main/guest-image/build-image.sh), not by the harness
        known.add(DEBIAN_MIRROR_ENV);
        thresholdKeys.forEach(k -> known.add(THRESHOLD_PREFIX + k));
        java.util.Map<String, String> byEnv = new java.util.HashMap<>();
        known.forEach(k -> byEnv.put(envName(k), k));
        for (String name : given) {
            boolean ours = name.startsWith("vmbench.") || name.startsWith("VMBENCH_");
            if (ours && !known.contains(name) && !byEnv.containsKey(name)) {
                String nearest = known.stream().min(java.util.Comparator.comparingInt(k -> distance(
                        name.startsWith("VMBENCH_") ? envName(k) : k, name))).orElseThrow();
                throw new ConfigException("Setting [" + name + "] is not one vmbench reads, so it would be ignored. "
                        + "Fix: remove it, or use " + (name.startsWith("VMBENCH_") ? envName(nearest) : nearest)
                        + " if that is what you meant (every setting is in the README's Settings table).");
            }
        }
    }

    /** Edit distance, to suggest the setting a typo meant. */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int[] current = new int[b.length() + 1];
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                current[j] = Math.min(Math.min(current[j - 1], previous[j]) + 1,
                        previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            previous = current;
        }
        return previous[b.length()];
    }
}
