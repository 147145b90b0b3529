package dev.vmbench.config;

import static dev.vmbench.config.BenchProperties.*;

import dev.vmbench.matrix.BlockSize;
import dev.vmbench.matrix.VmSize;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every setting of one run, parsed and validated once (see {@link BenchProperties} for keys, defaults and
 * environment names). With no {@code pool} the run targets the embedded cluster and uses its smaller
 * defaults.
 *
 * <p>Example: {@code BenchConfig.from(key -> Optional.ofNullable(System.getProperty(key)), System::getenv)}.
 */
public record BenchConfig(
        boolean embedded,
        List<String> pools,
        List<VmSize> vmSizes,
        List<String> pvcSizes,
        List<Integer> concurrency,
        List<String> profiles,
        List<BlockSize> blockSizes,
        Duration runtime,
        Duration ramp,
        long fileSizeBytes,
        String namespace,
        String dataSourceNamespace,
        String dataSourceName,
        String rootDiskSize,
        Optional<String> volumeMode,
        String sshUser,
        CleanupMode cleanup,
        Duration readyTimeout,
        Duration transientGrace,
        Duration cloneStallTimeout,
        Path thresholdsFile,
        Map<String, String> thresholdOverrides,
        Path profileDir,
        Path templateDir,
        Path resultsDir,
        String connector,
        int sshPort,
        boolean keepKeys,
        Duration fioTimeoutMargin,
        Optional<Path> baseline,
        double baselineThroughputDrop,
        double baselineLatencyRise,
        dev.vmbench.matrix.Selection selection,
        boolean dryRun,
        Optional<String> resume,
        boolean sweep,
        Optional<String> rootStorageClass,
        String evictionStrategy,
        List<String> embeddedFaults,
        String embeddedGuests,
        Path embeddedImageCache,
        int iodepth,
        int numjobs,
        long rateIops,
        Map<String, String> baselinePools,
        int samples,
        Duration logInterval,
        List<Integer> qdDepths,
        String qdProfile,
        BlockSize qdBlockSize,
        Duration qdP99Target,
        int densityMaxVms,
        String densityProfile,
        Duration densityP99Sla,
        String podBaselineImage,
        Duration capabilityTimeout,
        Duration migrationLoad,
        boolean trace,
        Optional<Path> embeddedReplay) {

    /** The StorageClass the embedded cluster serves. */
    public static final String EMBEDDED_POOL = "embedded-local";

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern QUANTITY = Pattern.compile("(\\d+)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?");
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)?");
    private static final Pattern FILE_SIZE_PATTERN = Pattern.compile("(\\d+)([kmgt]?)(i?b)?");

    public BenchConfig {
        pools = List.copyOf(pools);
        vmSizes = List.copyOf(vmSizes);
        pvcSizes = List.copyOf(pvcSizes);
        concurrency = List.copyOf(concurrency);
        profiles = List.copyOf(profiles);
        blockSizes = List.copyOf(blockSizes);
        embeddedFaults = List.copyOf(embeddedFaults);
        thresholdOverrides = Map.copyOf(thresholdOverrides);
        baselinePools = Map.copyOf(baselinePools);
    }

    /**
     * Reads every key through {@code parameters} (JUnit configuration parameters, which include system
     * properties) and then {@code environment}.
     *
     * @param thresholdKeys the threshold keys that may be overridden with {@code vmbench.threshold.<key>}
     * @throws ConfigException naming key, value, rule and fix for the first bad setting
     */
    public static BenchConfig from(Function<String, Optional<String>> parameters,
            Function<String, String> environment, List<String> thresholdKeys) {
        Reader r = new Reader(parameters, environment);
        requireNoneEmpty(r, thresholdKeys);
        List<String> pools = r.list(POOL, text -> {
            if (!DNS_SUBDOMAIN.matcher(text).matches()) {
                throw new IllegalArgumentException("is not a StorageClass name (lower-case DNS subdomain)");
            }
            return text;
        });
        boolean embedded = pools.isEmpty();
        r.embedded = embedded;
        String preset = r.text(PRESET);
        if (embedded && !preset.isEmpty()) {
            throw new ConfigException(PRESET, preset, "sizes a real cluster's matrix, and no pool is set, so the "
                    + "embedded cluster runs its own small one; set -Dpool or remove it");
        }
        if (!embedded && !BenchProperties.PRESETS.containsKey(preset)) {
            throw new ConfigException(PRESET, preset, "is not a preset: use gate, quick, overview, rank or full");
        }
        r.preset = BenchProperties.PRESETS.getOrDefault(preset, Map.of());
        String guests = r.one(EMBEDDED_GUESTS, text -> switch (text) {
            case "sandbox", "qemu" -> text;
            default -> throw new IllegalArgumentException("must be sandbox or qemu");
        });
        if (!embedded && r.raw(EMBEDDED_GUESTS.name()).isPresent()) {
            throw new ConfigException(EMBEDDED_GUESTS, guests, "chooses the embedded cluster's guests, and pool ["
                    + r.text(POOL) + "] selects a real one; remove it");
        }
        if (guests.equals("qemu")) {
            r.preset = BenchProperties.QEMU_GUESTS;
        }
        List<String> pvcSizes = r.list(PVC_SIZES, BenchConfig::quantity);
        long fileSize = r.one(BenchProperties.FILE_SIZE, BenchConfig::fileSize);
        for (String pvc : pvcSizes) {
            if (quantityBytes(pvc) < fileSize + fileSize / 10) {
                throw new ConfigException(BenchProperties.FILE_SIZE, r.text(BenchProperties.FILE_SIZE),
                        "does not fit the data disk: the test file plus 10 % headroom must fit in every PVC size, "
                                + "and [" + pvc + "] is too small; use a smaller file or a larger "
                                + PVC_SIZES.name());
            }
        }
        String[] dataSource = r.one(DATA_SOURCE, text -> {
            String[] parts = text.split("/", -1);
            if (parts.length != 2 || !DNS_LABEL.matcher(parts[0]).matches()
                    || !DNS_SUBDOMAIN.matcher(parts[1]).matches()) {
                throw new IllegalArgumentException("must be NAMESPACE/NAME of a DataSource");
            }
            return parts;
        });
        Map<String, String> overrides = new LinkedHashMap<>();
        for (String key : thresholdKeys) {
            r.raw(THRESHOLD_PREFIX + key).ifPresent(value -> overrides.put(key, value));
        }
        return new BenchConfig(
                embedded,
                embedded ? List.of(EMBEDDED_POOL) : pools,
                r.list(VM_SIZES, VmSize::parse),
                pvcSizes,
                r.list(CONCURRENCY, text -> {
                    int n = integer(text);
                    if (n < 1 || n > 100) {
                        throw new IllegalArgumentException("must be a whole number of VMs from 1 to 100");
                    }
                    return n;
                }),
                r.list(PROFILES, text -> {
                    if (!text.matches("[a-z0-9][a-z0-9-]*")) {
                        throw new IllegalArgumentException("is not a profile name (lower-case letters, digits, -)");
                    }
                    return text;
                }),
                r.list(BLOCK_SIZES, text -> {
                    BlockSize bs = BlockSize.parse(text);
                    if (bs.isNative()) {
                        throw new IllegalArgumentException("lists native, which only fixed-size profiles use");
                    }
                    return bs;
                }),
                r.one(RUNTIME, text -> wholeSeconds(atLeast(duration(text), Duration.ofSeconds(1)))),
                r.one(RAMP, text -> wholeSeconds(duration(text))),
                fileSize,
                r.one(NAMESPACE, text -> {
                    if (!DNS_LABEL.matcher(text).matches()) {
                        throw new IllegalArgumentException("is not a namespace name (lower-case DNS label, ≤ 63)");
                    }
                    return text;
                }),
                dataSource[0],
                dataSource[1],
                r.one(ROOT_DISK_SIZE, BenchConfig::quantity),
                r.raw(VOLUME_MODE.name()).map(text -> r.one(VOLUME_MODE, value -> switch (value) {
                    case "Filesystem", "Block" -> value;
                    default -> throw new IllegalArgumentException("must be Filesystem or Block (case matters)");
                })),
                r.one(SSH_USER, text -> {
                    if (!text.matches("[a-z_][a-z0-9_-]{0,31}")) {
                        throw new IllegalArgumentException("is not a Linux user name");
                    }
                    return text;
                }),
                r.one(CLEANUP, CleanupMode::parse),
                r.one(READY_TIMEOUT, text -> atLeast(duration(text), Duration.ofSeconds(10))),
                r.one(TRANSIENT_GRACE, BenchConfig::duration),
                r.one(CLONE_STALL_TIMEOUT, text -> atLeast(duration(text), Duration.ofSeconds(1))),
                r.one(THRESHOLDS, Path::of),
                overrides,
                r.one(PROFILE_DIR, Path::of),
                r.one(TEMPLATE_DIR, Path::of),
                r.one(RESULTS_DIR, Path::of),
                r.one(CONNECTOR, text -> switch (text) {
                    case "portforward", "pod", "direct" -> text;
                    default -> throw new IllegalArgumentException("must be one of portforward, pod, direct");
                }),
                r.one(SSH_PORT, text -> {
                    int port = integer(text);
                    if (port < 1 || port > 65535) {
                        throw new IllegalArgumentException("is not a TCP port (1 to 65535)");
                    }
                    return port;
                }),
                r.one(KEEP_KEYS, BenchConfig::bool),
                r.one(FIO_TIMEOUT_MARGIN, BenchConfig::duration),
                r.raw(BASELINE.name()).map(Path::of),
                r.one(BASELINE_THROUGHPUT_DROP, BenchConfig::percent),
                r.one(BASELINE_LATENCY_RISE, BenchConfig::percent),
                new dev.vmbench.matrix.Selection(r.list(FILTER, text -> text), r.list(EXCLUDE, text -> text)),
                r.one(DRY_RUN, BenchConfig::bool),
                r.raw(RESUME.name()).map(text -> r.one(RESUME, value -> {
                    if (!value.matches("[0-9]{8}-[0-9]{6}-[0-9a-f]{4}")) {
                        throw new IllegalArgumentException("is not a run id (the name of a folder under "
                                + "target/vmbench, like 20261123-081549-24e0)");
                    }
                    return value;
                })),
                r.one(SWEEP, BenchConfig::bool),
                r.raw(ROOT_STORAGE_CLASS.name()).map(text -> r.one(ROOT_STORAGE_CLASS, value -> {
                    if (!DNS_SUBDOMAIN.matcher(value).matches()) {
                        throw new IllegalArgumentException("is not a StorageClass name (lower-case DNS subdomain)");
                    }
                    return value;
                })),
                r.one(EVICTION_STRATEGY, value -> switch (value) {
                    case "auto", "LiveMigrate", "LiveMigrateIfPossible", "None", "External" -> value;
                    default -> throw new IllegalArgumentException("must be auto, LiveMigrate, LiveMigrateIfPossible, "
                            + "None or External (case matters)");
                }),
                faults(r, embedded),
                guests,
                r.one(EMBEDDED_IMAGE_CACHE, text -> Path.of(text.startsWith("~/")
                        ? System.getProperty("user.home") + text.substring(1) : text)),
                r.one(IODEPTH, text -> between(integer(text), 1, 65536)),
                r.one(NUMJOBS, text -> between(integer(text), 1, 1024)),
                r.one(RATE_IOPS, text -> (long) between(integer(text), 0, Integer.MAX_VALUE)),
                aliases(r.list(BASELINE_POOLS, text -> {
                    String[] pair = text.split("=", -1);
                    if (pair.length != 2 || pair[0].isBlank() || !DNS_SUBDOMAIN.matcher(pair[1]).matches()) {
                        throw new IllegalArgumentException("is not ALIAS=STORAGECLASS (a bash-suite pool alias, then "
                                + "a StorageClass name)");
                    }
                    return pair;
                })),
                r.one(SAMPLES, text -> between(integer(text), 1, 20)),
                r.one(LOG_INTERVAL, BenchConfig::logInterval),
                r.list(QD_DEPTHS, text -> between(integer(text), 1, 4096)),
                r.one(QD_PROFILE, text -> {
                    if (!text.matches("[a-z0-9][a-z0-9-]*")) {
                        throw new IllegalArgumentException("is not a profile name (lower-case letters, digits, -)");
                    }
                    return text;
                }),
                r.one(QD_BLOCK_SIZE, text -> {
                    BlockSize bs = BlockSize.parse(text);
                    if (bs.isNative()) {
                        throw new IllegalArgumentException("is native, which only fixed-size profiles use");
                    }
                    return bs;
                }),
                r.one(QD_P99_TARGET, BenchConfig::latency),
                r.one(DENSITY_MAX_VMS, text -> between(integer(text), 1, 1000)),
                r.one(DENSITY_PROFILE, text -> {
                    if (!text.matches("[a-z0-9][a-z0-9-]*")) {
                        throw new IllegalArgumentException("is not a profile name (lower-case letters, digits, -)");
                    }
                    return text;
                }),
                r.one(DENSITY_P99_SLA, BenchConfig::latency),
                r.one(POD_BASELINE_IMAGE, text -> {
                    if (!text.matches("[a-z0-9][a-z0-9._/:@-]*") || text.endsWith(":") || text.endsWith("/")) {
                        throw new IllegalArgumentException("is not an image reference like registry/name:tag");
                    }
                    return text;
                }),
                r.one(CAPABILITY_TIMEOUT, text -> atLeast(duration(text), Duration.ofSeconds(10))),
                r.one(MIGRATION_LOAD, text -> atLeast(duration(text), Duration.ofSeconds(3))),
                r.one(TRACE, BenchConfig::bool),
                replay(r, embedded));
    }

    /** A latency like 800us, 5ms or 1s. */
    private static Duration latency(String text) {
        Matcher m = Pattern.compile("(\\d+)(us|ms|s)").matcher(text);
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new IllegalArgumentException("is not a latency: write it like 800us, 5ms or 1s");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "us" -> Duration.ofNanos(n * 1000);
            case "ms" -> Duration.ofMillis(n);
            default -> Duration.ofSeconds(n);
        };
    }

    /** fio averages its logs over whole milliseconds; below 100 ms the logs outgrow what they show. */
    private static Duration logInterval(String text) {
        Duration interval = duration(text);
        if (!interval.isZero() && (interval.toMillis() < 100 || interval.toNanosPart() % 1_000_000 != 0)) {
            throw new IllegalArgumentException("is not 0 or a whole number of milliseconds from 100ms: write it like "
                    + "1s or 500ms");
        }
        return interval;
    }

    private static List<String> faults(Reader r, boolean embedded) {
        List<String> faults = r.list(EMBEDDED_FAULTS, text -> text);
        if (!embedded && !faults.isEmpty()) {
            throw new ConfigException(EMBEDDED_FAULTS, r.text(EMBEDDED_FAULTS), "acts out failures on the embedded "
                    + "cluster only, and pool [" + r.text(POOL) + "] selects a real one; remove it");
        }
        return faults;
    }

    private static Optional<Path> replay(Reader r, boolean embedded) {
        Optional<Path> file = r.raw(EMBEDDED_REPLAY.name()).map(Path::of);
        if (file.isPresent() && !embedded) {
            throw new ConfigException(EMBEDDED_REPLAY, r.text(EMBEDDED_REPLAY), "replays a trace on the embedded "
                    + "cluster only, and pool [" + r.text(POOL) + "] selects a real one; remove it");
        }
        if (file.isPresent() && !java.nio.file.Files.isRegularFile(file.get())) {
            throw new ConfigException(EMBEDDED_REPLAY, r.text(EMBEDDED_REPLAY), "is no file: give the trace.jsonl.gz "
                    + "an earlier run wrote (target/vmbench/<run-id>/trace.jsonl.gz, with -Dvmbench.trace=true)");
        }
        return file;
    }

    private static Map<String, String> aliases(List<String[]> pairs) {
        Map<String, String> aliases = new java.util.LinkedHashMap<>();
        pairs.forEach(pair -> aliases.put(pair[0], pair[1]));
        return aliases;
    }

    private static int between(int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException("must be a whole number from " + min + " to " + max);
        }
        return value;
    }

    private static boolean bool(String text) {
        return switch (text) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("must be true or false");
        };
    }

    /** Parses {@code 10%} (or {@code 10}) as 0.10. */
    static double percent(String text) {
        Matcher m = Pattern.compile("(\\d{1,3}(?:\\.\\d+)?)%?").matcher(text);
        if (!m.matches() || Double.parseDouble(m.group(1)) > 100) {
            throw new IllegalArgumentException("is not a percentage from 0 to 100: write it like 10%");
        }
        return Double.parseDouble(m.group(1)) / 100;
    }

    /** Parses {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}; a bare number is seconds. */
    static Duration duration(String text) {
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("is not a duration: write it like 30s, 2m or 1h");
        }
        try {
            long n = Long.parseLong(m.group(1));
            Duration d = switch (m.group(2) == null ? "s" : m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofSeconds(n);
            };
            if (d.compareTo(Duration.ofDays(366)) > 0) {
                throw new ArithmeticException("longer than a year");
            }
            return d;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("is longer than a year, which no benchmark step needs: write it like "
                    + "30s, 2m or 1h");
        }
    }

    /** fio takes runtime and ramp_time in whole seconds and would round anything finer without a word. */
    static Duration wholeSeconds(Duration d) {
        if (d.toMillisPart() != 0) {
            throw new IllegalArgumentException("is not a whole number of seconds, and fio would silently round it to "
                    + d.toSeconds() + "s: write whole seconds like " + (d.toSeconds() + 1) + "s");
        }
        return d;
    }

    private static Duration atLeast(Duration value, Duration minimum) {
        if (value.compareTo(minimum) < 0) {
            throw new IllegalArgumentException("is shorter than the minimum of " + minimum.toSeconds() + "s");
        }
        return value;
    }

    private static int integer(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("is not a whole number");
        }
    }

    static String quantity(String text) {
        long bytes;
        try {
            bytes = QUANTITY.matcher(text).matches() ? quantityBytes(text) : 0;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("is larger than any disk (over 8 EiB): write it like 50Gi or 1Ti");
        }
        if (bytes == 0) {
            throw new IllegalArgumentException("is not a Kubernetes storage quantity: write it like 50Gi or 1Ti");
        }
        return text;
    }

    /** The bytes of a Kubernetes storage quantity this class accepted, e.g. {@code 50Gi}. */
    public static long bytes(String quantity) {
        return quantityBytes(quantity);
    }

    public static long quantityBytes(String quantity) {
        Matcher m = QUANTITY.matcher(quantity);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a quantity: " + quantity);
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2);
        int power = unit.isEmpty() ? 0 : "KMGTP".indexOf(Character.toUpperCase(unit.charAt(0))) + 1;
        long base = unit.endsWith("i") ? 1024 : 1000;
        long bytes = n;
        for (int i = 0; i < power; i++) {
            bytes = Math.multiplyExact(bytes, base);
        }
        return bytes;
    }

    static long fileSize(String text) {
        Matcher m = FILE_SIZE_PATTERN.matcher(text.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("is not a file size: write it like 64MiB or 4GiB");
        }
        long bytes;
        try {
            bytes = Long.parseLong(m.group(1));
            int power = m.group(2).isEmpty() ? 0 : "kmgt".indexOf(m.group(2)) + 1;
            for (int i = 0; i < power; i++) {
                bytes = Math.multiplyExact(bytes, 1024L);
            }
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("is larger than any disk (over 8 EiB): write it like 64MiB or 4GiB");
        }
        if (bytes < 1024 * 1024) {
            throw new IllegalArgumentException("is smaller than the minimum test file of 1MiB");
        }
        return bytes;
    }

    /**
     * Refuses a setting that is given but empty: {@code -Dpool=$POOL} with the variable unset would otherwise run
     * the embedded cluster (or any key its default) without a word, and a gate must not pass on what was not asked.
     */
    private static void requireNoneEmpty(Reader r, List<String> thresholdKeys) {
        List<String> names = new ArrayList<>();
        BenchProperties.ALL.forEach(key -> names.add(key.name()));
        thresholdKeys.forEach(key -> names.add(THRESHOLD_PREFIX + key));
        for (String name : names) {
            if (r.given(name).filter(String::isEmpty).isPresent()) {
                Key key = BenchProperties.ALL.stream().filter(k -> k.name().equals(name)).findFirst().orElse(null);
                String fix = name.equals(POOL.name())
                        ? "give the StorageClass to measure (-Dpool=<StorageClass>), or leave pool out entirely to "
                        + "run the embedded cluster on purpose"
                        : "give it a value, or leave it out to use its default";
                throw new ConfigException("Setting " + name + (key == null ? "" : " (env " + key.env() + ")")
                        + " = [] is set but empty (an unset CI variable, as in -D" + name + "=$VAR?): an empty "
                        + "setting is never read as its default" + (name.equals(POOL.name()) ? ", since an empty "
                        + "pool would run the embedded cluster and measure no StorageClass" : "") + ". Fix: " + fix
                        + ".");
            }
        }
    }

    private static final String TOO_LARGE = "has a number too large to be a setting's value";

    /** Looks keys up once and turns a parser's complaint into a {@link ConfigException}. */
    private static final class Reader {
        private final Function<String, Optional<String>> parameters;
        private final Function<String, String> environment;
        private boolean embedded;
        private Map<Key, String> preset = Map.of();

        Reader(Function<String, Optional<String>> parameters, Function<String, String> environment) {
            this.parameters = parameters;
            this.environment = environment;
        }

        Optional<String> raw(String name) {
            return given(name).filter(s -> !s.isEmpty());
        }

        /** The value as given, trimmed, empty when set to nothing. */
        Optional<String> given(String name) {
            return BenchProperties.raw(name, parameters, environment);
        }

        String text(Key key) {
            return raw(key.name()).orElse(preset.getOrDefault(key, key.defaultFor(embedded)));
        }

        <T> T one(Key key, Function<String, T> parser) {
            String text = text(key);
            try {
                return parser.apply(text);
            } catch (NumberFormatException e) {
                throw new ConfigException(key, text, TOO_LARGE);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(key, text, e.getMessage());
            }
        }

        <T> List<T> list(Key key, Function<String, T> parser) {
            String text = text(key);
            List<T> values = new ArrayList<>();
            for (String item : text.split(",")) {
                if (item.isBlank()) {
                    continue;
                }
                try {
                    T value = parser.apply(item.trim());
                    if (values.contains(value)) {
                        throw new IllegalArgumentException("lists [" + item.trim() + "] twice");
                    }
                    values.add(value);
                } catch (IllegalArgumentException e) {
                    // a number of more digits than fits is no Java error message for a person to read
                    String rule = e instanceof NumberFormatException ? TOO_LARGE : e.getMessage();
                    throw new ConfigException(key, text,
                            (text.contains(",") ? "has item [" + item.trim() + "] that " : "") + rule);
                }
            }
            if (values.isEmpty() && key != POOL && key != EMBEDDED_FAULTS && key != FILTER && key != EXCLUDE
                    && key != BASELINE_POOLS) {
                throw new ConfigException(key, text, "is empty: it needs at least one value");
            }
            return values;
        }
    }
}
